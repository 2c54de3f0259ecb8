/* cm_snapshot: one file's contents as a snapshot, loaded again when the
 * file changes (also in place, same size, mtime put back: ctime), kept
 * while unchanged, alive while held, and an error (never the old one)
 * while the file cannot be loaded. */
#include "cm_snapshot.h"
#include "cm_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct obj {
    cm_snapshot_obj snap;
    char text[16];              /* the file's contents when loaded */
} obj;

static atomic_int loads, frees, reloads_seen;

static cm_stat stamp(const void *src, const cm_snapshot_stamp *held, cm_snapshot_stamp *now)
{
    (void) held;
    return cm_snapshot_file_stat(src, &now->file[0]) < 0 || now->file[0].ino == 0
           ? CM_ERR_KEYRING : CM_OK;
}

/* The file's text; "bad" does not load. */
static cm_stat load(const void *src, const cm_snapshot_stamp *held, cm_snapshot_obj **out,
                    cm_snapshot_stamp *st)
{
    struct stat sb;
    obj *o;
    ssize_t n;
    int fd = open(src, O_RDONLY);

    *out = NULL;
    if (held != NULL)
        atomic_fetch_add(&reloads_seen, 1);
    if (fd < 0)
        return CM_ERR_KEYRING;
    ck_assert_ptr_nonnull(o = calloc(1, sizeof(*o)));
    n = read(fd, o->text, sizeof(o->text) - 1);
    ck_assert_int_eq(fstat(fd, &sb), 0);
    close(fd);
    if (n < 0 || strncmp(o->text, "bad", 3) == 0) {
        free(o);
        return CM_ERR_KEYRING_DAMAGED;
    }
    cm_snapshot_file_of(&sb, &st->file[0]);
    cm_snapshot_obj_init(&o->snap);
    atomic_fetch_add(&loads, 1);
    *out = &o->snap;
    return CM_OK;
}

static void put(obj *o)
{
    if (o != NULL && cm_snapshot_obj_drop(&o->snap)) {
        atomic_fetch_add(&frees, 1);
        free(o);
    }
}

static void obj_put(cm_snapshot_obj *s)
{
    put((obj *) s);
}

static const cm_snapshot_ops ops = {.stamp = stamp, .load = load, .put = obj_put};

static obj *get(cm_snapshot *c, const char *name, const char *path, cm_stat want)
{
    cm_snapshot_obj *s = (cm_snapshot_obj *) 1;

    ck_assert_int_eq(cm_snapshot_get(c, name, path, &s), want);
    if (want != CM_OK)
        ck_assert_ptr_null(s);
    return (obj *) s;
}

/* Write text to path: through a new file renamed over it, or in place. */
static void write_file(const char *path, const char *text, int in_place)
{
    char tmp[4200];
    int fd;

    snprintf(tmp, sizeof(tmp), "%s.new", path);
    fd = open(in_place ? path : tmp, O_WRONLY | O_CREAT | (in_place ? 0 : O_TRUNC), 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    ck_assert_int_eq(close(fd), 0);
    if (!in_place)
        ck_assert_int_eq(rename(tmp, path), 0);
}

static void scratch(char *path, size_t len)
{
    int fd = mkstemp(cm_test_path(path, len, "snapshot-"));

    ck_assert_int_ge(fd, 0);
    close(fd);
    atomic_store(&loads, 0);
    atomic_store(&frees, 0);
    atomic_store(&reloads_seen, 0);
}

/* Past the file system's timestamp granularity. */
static void tick(void)
{
    struct timespec d = {0, 20 * 1000 * 1000};

    nanosleep(&d, NULL);
}

/* A cache, and path holding "one", loaded into *a under the name "x". */
static cm_snapshot *start(char *path, size_t len, obj **a)
{
    cm_snapshot *c = cm_snapshot_new(&ops);

    ck_assert_ptr_nonnull(c);
    scratch(path, len);
    write_file(path, "one", 0);
    *a = get(c, "x", path, CM_OK);
    ck_assert_str_eq((*a)->text, "one");
    return c;
}

START_TEST(kept_while_unchanged)
{
    char path[4096];
    obj *a, *b;
    cm_snapshot *c = start(path, sizeof(path), &a);

    b = get(c, "x", path, CM_OK);
    ck_assert_ptr_eq(a, b);
    ck_assert_int_eq(loads, 1);
    put(a);
    put(b);
    ck_assert_int_eq(frees, 0);         /* the cache's own reference */
    cm_snapshot_free(c);
    ck_assert_int_eq(frees, 1);
    unlink(path);
}
END_TEST

START_TEST(reloaded_when_replaced)
{
    char path[4096];
    obj *a, *b, *d;
    cm_snapshot *c = start(path, sizeof(path), &a);

    write_file(path, "two", 0);         /* a new inode */
    b = get(c, "x", path, CM_OK);
    ck_assert_ptr_ne(a, b);
    ck_assert_str_eq(b->text, "two");
    ck_assert_int_eq(reloads_seen, 1);
    /* The same stamp under another name is another snapshot. */
    d = get(c, "y", path, CM_OK);
    ck_assert_ptr_ne(d, b);
    ck_assert_int_eq(loads, 3);
    put(a);
    put(b);
    put(d);
    cm_snapshot_free(c);
    ck_assert_int_eq(frees, 3);
    unlink(path);
}
END_TEST

START_TEST(reloaded_when_rewritten_in_place)
{
    char path[4096];
    cm_snapshot *c = cm_snapshot_new(&ops);
    struct stat before;
    struct timespec times[2];
    obj *a, *b;

    scratch(path, sizeof(path));
    write_file(path, "aaaa", 0);
    a = get(c, NULL, path, CM_OK);
    ck_assert_int_eq(stat(path, &before), 0);
    tick();
    /* Same inode, same size, and its mtime put back: only ctime moved. */
    write_file(path, "bbbb", 1);
    times[0] = before.st_atim;
    times[1] = before.st_mtim;
    ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
    b = get(c, NULL, path, CM_OK);
    ck_assert_ptr_ne(a, b);
    ck_assert_str_eq(a->text, "aaaa");
    ck_assert_str_eq(b->text, "bbbb");
    put(a);
    put(b);
    cm_snapshot_free(c);
    unlink(path);
}
END_TEST

START_TEST(held_snapshot_outlives_a_reload)
{
    char path[4096];
    obj *a, *b;
    cm_snapshot *c = start(path, sizeof(path), &a);

    write_file(path, "two", 0);
    b = get(c, "x", path, CM_OK);
    /* The cache let go of a; its holder has not. */
    ck_assert_int_eq(frees, 0);
    ck_assert_str_eq(a->text, "one");
    ck_assert_str_eq(b->text, "two");
    put(a);
    ck_assert_int_eq(frees, 1);
    put(b);
    ck_assert_int_eq(frees, 1);
    cm_snapshot_free(c);
    ck_assert_int_eq(frees, 2);
    unlink(path);
}
END_TEST

START_TEST(failed_load_is_an_error_until_one_succeeds)
{
    char path[4096];
    obj *a, *b;
    cm_snapshot *c = start(path, sizeof(path), &a);

    write_file(path, "bad", 0);
    /* Neither the old snapshot nor an empty one: an error, each time. */
    get(c, "x", path, CM_ERR_KEYRING_DAMAGED);
    get(c, "x", path, CM_ERR_KEYRING_DAMAGED);
    ck_assert_int_eq(unlink(path), 0);
    get(c, "x", path, CM_ERR_KEYRING);  /* gone: the stamp fails */
    write_file(path, "two", 0);
    b = get(c, "x", path, CM_OK);
    ck_assert_str_eq(b->text, "two");
    ck_assert_int_eq(frees, 0);
    put(a);
    put(b);
    cm_snapshot_free(c);
    ck_assert_int_eq(frees, 2);
    unlink(path);
}
END_TEST

typedef struct reader_arg {
    cm_snapshot *c;
    const char *path;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *ra = p;
    int i;

    for (i = 0; i < 2000; i++) {
        cm_snapshot_obj *s;

        ck_assert_int_eq(cm_snapshot_get(ra->c, "x", ra->path, &s), CM_OK);
        ck_assert(strcmp(((obj *) s)->text, "one") == 0 || strcmp(((obj *) s)->text, "two") == 0);
        put((obj *) s);
    }
    return NULL;
}

START_TEST(concurrent_readers_and_a_writer)
{
    char path[4096];
    cm_snapshot *c = cm_snapshot_new(&ops);
    pthread_t t[4];
    reader_arg ra = {c, path};
    size_t i;

    scratch(path, sizeof(path));
    write_file(path, "one", 0);
    for (i = 0; i < NELEM(t); i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &ra), 0);
    for (i = 0; i < 50; i++)
        write_file(path, i % 2 ? "one" : "two", 0);
    for (i = 0; i < NELEM(t); i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    cm_snapshot_free(c);
    /* Every snapshot loaded was freed, once. */
    ck_assert_int_eq(frees, loads);
    unlink(path);
}
END_TEST

/* Only a cache marked as the keyring's counts: the time of its last load,
 * and a reload when a load replaces what it held. A second keyring cache's
 * first load (a process has one per OpenPGP backend) is not a reload. */
START_TEST(keyring_reloads_counted)
{
    static const cm_snapshot_ops kops = {.stamp = stamp, .load = load, .put = obj_put,
                                         .keyring = 1};
    char path[4096];
    obj *a, *b, *d, *e;
    cm_snapshot *c = start(path, sizeof(path), &a), *k = cm_snapshot_new(&kops),
        *k2 = cm_snapshot_new(&kops);
    uint64_t n;
    int64_t when, before = (int64_t) time(NULL);

    ck_assert_ptr_nonnull(k);
    ck_assert_ptr_nonnull(k2);
    cm_snapshot_keyring(&n, &when);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(when, 0);          /* the plain cache's load is not the keyring's */
    b = get(k, "x", path, CM_OK);
    e = get(k2, "x", path, CM_OK);
    d = get(k, "x", path, CM_OK);       /* unchanged: no load */
    cm_snapshot_keyring(&n, &when);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_ge(when, before);
    ck_assert_int_le(when, (int64_t) time(NULL));
    put(d);
    tick();
    write_file(path, "two", 0);
    d = get(k, "x", path, CM_OK);
    cm_snapshot_keyring(&n, &when);
    ck_assert_uint_eq(n, 1);
    put(a);
    put(b);
    put(d);
    put(e);
    cm_snapshot_free(c);
    cm_snapshot_free(k);
    cm_snapshot_free(k2);
    unlink(path);
}
END_TEST

static void add_cases(Suite *s)
{
    CM_ADD(s, kept_while_unchanged);
    CM_ADD(s, reloaded_when_replaced);
    CM_ADD(s, reloaded_when_rewritten_in_place);
    CM_ADD(s, held_snapshot_outlives_a_reload);
    CM_ADD(s, failed_load_is_an_error_until_one_succeeds);
    CM_ADD(s, concurrent_readers_and_a_writer);
    CM_ADD(s, keyring_reloads_counted);
}

CM_TEST_MAIN("cm_snapshot", add_cases)
