/* cm_config - the configuration: one typed table, "Key value" lines. */
#include "cm_config.h"
#include "cm_replayuri.h"
#include "cm_archkeys.h"
#include "cm_buf.h"
#include "cm_hex.h"
#include "cm_idn.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "cm_conftable.h"

static const char *const missing_names[] = {"pass", "tempfail", "reject", "split", NULL};
static const char *const oversize_names[] = {"tempfail", "reject", "pass", NULL};
static const char *const onerror_names[] = {"tempfail", "reject", NULL};
static const char *const backend_names[] = {"gpgme", "rnp", NULL};
static const char *const cipher_names[] = {"aes256-cbc", "aes256-gcm", NULL};
static const char *const transport_names[] = {"pkcs1", "oaep", NULL};
static const char *const discovery_names[] = {"none", "wkd", NULL};
static const char *const level_names[] = {"error", "warning", "notice", "info", "debug", NULL};
static const int level_vals[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};

#define OFF(f) offsetof(cm_config, f)
#define KIB ((uint64_t) 1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

const cm_conf_key cm_conf_table[] = {
    {"Socket", T_STR, OFF(socket), "local:/run/cryptmilter/cryptmilter.sock", 0, 0, NULL, NULL, 0},
    {"UserID", T_STR, OFF(user_id), "", 0, 0, NULL, NULL, 0},
    {"PidFile", T_STR, OFF(pid_file), "", 0, 0, NULL, NULL, 0},
    {"Syslog", T_BOOL, OFF(syslog), "yes", 0, 0, NULL, NULL, 0},
    {"LogLevel", T_ENUM, OFF(log_level), "info", 0, 0, level_names, level_vals, 0},
    {"KeyringDir", T_STR, OFF(keyring_dir), "/var/lib/cryptmilter/gnupg", 0, 0, NULL, NULL, 0},
    {"GpgProgram", T_STR, OFF(gpg_program), "", 0, 0, NULL, NULL, 0},
    {"OpenPGPBackend", T_ENUM, OFF(openpgp_backend), "rnp", 0, 0, backend_names, NULL, 0},
    {"Compress", T_BOOL, OFF(compress), "no", 0, 0, NULL, NULL, 0},
    {"EngineTimeout", T_DURATION, OFF(engine_timeout), "2m", 1, 3600, NULL, NULL, 0},
    {"CertificateDir", T_STR, OFF(certificate_dir), "none", 0, 0, NULL, NULL, 0},
    {"PreferSMIME", T_LIST, OFF(prefer_smime), "", 0, 0, NULL, NULL, 0},
    {"SMIMECipher", T_ENUM, OFF(smime_cipher), "aes256-cbc", 0, 0, cipher_names, NULL, 0},
    {"SMIMEKeyTransport", T_ENUM, OFF(smime_key_transport), "pkcs1", 0, 0, transport_names, NULL, 0},
    {"GatewayCertificates", T_LIST, OFF(gateway_certificates), "", 0, 0, NULL, NULL, 0},
    {"TrustAnchors", T_STR, OFF(trust_anchors), "", 0, 0, NULL, NULL, 0},
    {"TrustCRLs", T_STR, OFF(trust_crls), "", 0, 0, NULL, NULL, 0},
    {"LocalDomains", T_LIST, OFF(local_domains), "", 0, 0, NULL, NULL, 0},
    {"RecipientDelimiter", T_STR, OFF(recipient_delimiter), "", 0, 0, NULL, NULL, 0},
    {"InternalHosts", T_CIDRS, OFF(internal_hosts), "", 0, 0, NULL, NULL, 0},
    {"OutboundDaemons", T_LIST, OFF(outbound_daemons), "", 0, 0, NULL, NULL, 0},
    {"GatewayKeys", T_LIST, OFF(gateway_keys), "", 0, 0, NULL, NULL, 0},
    {"MissingKeyAction", T_ENUM, OFF(missing_key_action), "split", 0, 0, missing_names, NULL, 0},
    {"EncryptionPolicy", T_STR, OFF(encryption_policy), "", 0, 0, NULL, NULL, 0},
    {"KeyAliases", T_STR, OFF(key_aliases), "", 0, 0, NULL, NULL, 0},
    {"RequireSignature", T_BOOL, OFF(require_signature), "yes", 0, 0, NULL, NULL, 0},
    {"SignatureMaxAge", T_DURATION, OFF(signature_max_age), "1h", 1, 366 * 86400, NULL, NULL, 0},
    {"OpportunisticEncryption", T_BOOL, OFF(opportunistic), "no", 0, 0, NULL, NULL, 0},
    {"ProtectHeaders", T_BOOL, OFF(protect_headers), "yes", 0, 0, NULL, NULL, 0},
    {"LegacyDisplay", T_BOOL, OFF(legacy_display), "no", 0, 0, NULL, NULL, 0},
    {"EncryptToSelf", T_LIST, OFF(encrypt_to_self), "", 0, 0, NULL, NULL, 0},
    {"MemoryBufferSize", T_SIZE, OFF(memory_buffer_size), "1M", 4 * KIB, 1 * GIB, NULL, NULL, 0},
    {"MaxMessageSize", T_SIZE, OFF(max_message_size), "64M", 1 * KIB, 16 * GIB, NULL, NULL, 0},
    {"MaxDecryptedSize", T_SIZE, OFF(max_decrypted_size), "0", 0, 16 * GIB, NULL, NULL, 0},
    {"OversizeAction", T_ENUM, OFF(oversize_action), "tempfail", 0, 0, oversize_names, NULL, 0},
    {"SpoolDir", T_STR, OFF(spool_dir), "/var/spool/cryptmilter", 0, 0, NULL, NULL, 0},
    {"OnError", T_ENUM, OFF(on_error), "tempfail", 0, 0, onerror_names, NULL, 0},
    {"ReplayCache", T_STR, OFF(replay_cache), "/var/lib/cryptmilter/replay", 0, 0, NULL, NULL, 0},
    {"ReplayCacheSize", T_SIZE, OFF(replay_cache_size), "64M", 1 * MIB, 16 * GIB, NULL, NULL, 0},
    {"ReplayNode", T_STR, OFF(replay_node), "", 0, 0, NULL, NULL, 0},
    {"ReplayTimeout", T_DURATION, OFF(replay_timeout), "2s", 1, 60, NULL, NULL, 0},
    {"StatsFile", T_STR, OFF(stats_file), "", 0, 0, NULL, NULL, 0},
    {"StatsInterval", T_DURATION, OFF(stats_interval), "60s", 1, 3600, NULL, NULL, 0},
    {"KeyringMaxAge", T_DURATION, OFF(keyring_max_age), "0", 0, 366 * 86400, NULL, NULL, 0},
    {"KeySyncURI", T_STR, OFF(keysync_uri), "", 0, 0, NULL, NULL, 0},
    {"KeySyncBase", T_STR, OFF(keysync_base), "", 0, 0, NULL, NULL, 0},
    {"KeySyncBindDN", T_STR, OFF(keysync_bind_dn), "", 0, 0, NULL, NULL, 0},
    {"KeySyncPasswordFile", T_STR, OFF(keysync_password_file), "", 0, 0, NULL, NULL, 0},
    {"KeySyncInterval", T_DURATION, OFF(keysync_interval), "15m", 1, 86400, NULL, NULL, 0},
    {"KeyDiscovery", T_ENUM, OFF(key_discovery), "none", 0, 0, discovery_names, NULL, 0},
    {"KeyDiscoveryDir", T_STR, OFF(key_discovery_dir), "/var/lib/cryptmilter/discovered", 0, 0, NULL, NULL, 0},
    {"KeyDiscoveryCache", T_STR, OFF(key_discovery_cache), "/var/lib/cryptmilter/discovered/cache", 0, 0, NULL, NULL, 0},
    {"KeyDiscoveryTimeout", T_DURATION, OFF(key_discovery_timeout), "3s", 1, 60, NULL, NULL, 0},
    {"KeyDiscoveryCAFile", T_STR, OFF(key_discovery_ca_file), "", 0, 0, NULL, NULL, 0},
    {"KeyDiscoveryConnectTo", T_LIST, OFF(key_discovery_connect_to), "", 0, 0, NULL, NULL, 0},
};

#define NKEYS (sizeof(cm_conf_table) / sizeof(cm_conf_table[0]))
const size_t cm_conf_nkeys = NKEYS;
_Static_assert(NKEYS <= 64, "inert_set is a 64-bit mask");
_Static_assert(NKEYS <= sizeof(((cm_config *) 0)->key_line) / sizeof(uint32_t),
               "key_line has a slot per key");

/* Parse "<n>[unit]" where units maps a suffix letter to a multiplier. */
static int parse_scaled(const char *v, const char *units, const uint64_t *mult,
                        uint64_t *out)
{
    uint64_t n = 0, m = 1;
    const char *p = v, *u;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (uint64_t) (*p - '0');
    }
    if (*p != 0) {
        if ((u = strchr(units, *p)) == NULL || p[1] != 0)
            return -1;
        m = mult[u - units];
    }
    if (m != 0 && n > UINT64_MAX / m)
        return -1;
    *out = n * m;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    size_t i;

    for (i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static void free_value(cm_config *cfg, const cm_conf_key *k)
{
    void *field = (char *) cfg + k->off;

    switch (k->type) {
    case T_STR:
        free(*(char **) field);
        *(char **) field = NULL;
        break;
    case T_LIST:
        cm_list_free(field);
        break;
    case T_CIDRS:
        cm_cidr_list_free(field);
        break;
    default:
        break;
    }
}

static int set_value(cm_config *cfg, const cm_conf_key *k, const char *v,
                     char *err, size_t errlen)
{
    static const uint64_t size_mult[] = {KIB, KIB, MIB, MIB, GIB, GIB};
    static const uint64_t dur_mult[] = {1, 60, 3600, 86400, 604800};
    void *field = (char *) cfg + k->off;
    uint64_t n;
    size_t i;

    switch (k->type) {
    case T_STR: {
        char *s = strdup(v);

        if (s == NULL)
            return snprintf(err, errlen, "out of memory"), -1;
        free_value(cfg, k);
        *(char **) field = s;
        return 0;
    }
    case T_BOOL:
        if (parse_bool(v, field) < 0)
            return snprintf(err, errlen, "%s: expected yes or no, got \"%s\"", k->name, v), -1;
        return 0;
    case T_SIZE:
    case T_DURATION:
        if ((k->type == T_SIZE ? parse_scaled(v, "kKmMgG", size_mult, &n)
             : parse_scaled(v, "smhdw", dur_mult, &n)) < 0)
            return snprintf(err, errlen, "%s: expected a %s, got \"%s\"", k->name,
                            k->type == T_SIZE ? "size such as 512K or 10M"
                            : "duration such as 90s, 30m or 1h", v), -1;
        if (n < k->min || n > k->max)
            return snprintf(err, errlen, "%s: %s is out of range [%llu, %llu]%s", k->name, v,
                            (unsigned long long) k->min, (unsigned long long) k->max,
                            k->type == T_SIZE ? " bytes" : " seconds"), -1;
        *(uint64_t *) field = n;
        return 0;
    case T_ENUM:
        for (i = 0; k->enums[i] != NULL; i++) {
            if (strcasecmp(v, k->enums[i]) == 0) {
                *(int *) field = k->enum_vals ? k->enum_vals[i] : (int) i;
                return 0;
            }
        }
        {
            cm_buf names = CM_BUF_INIT;

            for (i = 0; k->enums[i] != NULL; i++)
                (void) cm_buf_printf(&names, "%s%s", i ? ", " : "", k->enums[i]);
            snprintf(err, errlen, "%s: \"%s\" is not one of %s", k->name, v, cm_buf_str(&names));
            cm_buf_free(&names);
        }
        return -1;
    case T_LIST: {
        cm_list l = {NULL, 0};

        if (cm_list_parse(&l, v, err, errlen) < 0) {
            cm_list_free(&l);
            return -1;
        }
        free_value(cfg, k);
        *(cm_list *) field = l;
        return 0;
    }
    case T_CIDRS: {
        cm_list l = {NULL, 0};
        cm_cidr_list cl = {NULL, 0};
        cm_cidr c;

        if (cm_list_parse(&l, v, err, errlen) < 0) {
            cm_list_free(&l);
            return -1;
        }
        for (i = 0; i < l.n; i++) {
            if (cm_cidr_parse(l.v[i], &c) < 0) {
                snprintf(err, errlen, "%s: \"%s\" is not an address or network", k->name, l.v[i]);
                break;
            }
            if (cm_cidr_list_add(&cl, &c) < 0) {
                snprintf(err, errlen, "out of memory");
                break;
            }
        }
        {
            int bad = i < l.n;

            cm_list_free(&l);
            if (bad) {
                cm_cidr_list_free(&cl);
                return -1;
            }
        }
        free_value(cfg, k);
        *(cm_cidr_list *) field = cl;
        return 0;
    }
    }
    return -1;
}

static const cm_conf_key *find_key(const char *name)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        if (strcasecmp(cm_conf_table[i].name, name) == 0)
            return &cm_conf_table[i];
    return NULL;
}

int cm_config_set(cm_config *cfg, const char *key, const char *value,
                  char *err, size_t errlen)
{
    const cm_conf_key *k = find_key(key);

    if (k == NULL) {
        snprintf(err, errlen, "unknown key \"%s\"", key);
        return -1;
    }
    return set_value(cfg, k, value, err, errlen);
}

static atomic_uint_fast64_t serials;

cm_config *cm_config_new(void)
{
    cm_config *cfg = calloc(1, sizeof(*cfg));
    char err[256];
    size_t i;

    if (cfg == NULL)
        return NULL;
    cfg->serial = atomic_fetch_add(&serials, 1) + 1;
    for (i = 0; i < NKEYS; i++) {
        if (set_value(cfg, &cm_conf_table[i], cm_conf_table[i].def, err, sizeof(err)) < 0) {
            cm_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

void cm_config_free(cm_config *cfg)
{
    size_t i;

    if (cfg == NULL)
        return;
    for (i = 0; i < NKEYS; i++)
        free_value(cfg, &cm_conf_table[i]);
    cm_addrpol_free(cfg->policy);
    cm_alias_free(cfg->aliases);
    free(cfg->path);
    free(cfg);
}

/* Split one line into key and value; returns 0 (blank/comment), 1 (pair), -1. */
static int split_line(char *line, char **key, char **value)
{
    char *p = line, *e;

    if ((e = strchr(p, '#')) != NULL)
        *e = 0;
    e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == 0)
        return 0;
    *key = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (*p == 0)
        return -1;
    *p++ = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    *value = p;
    return 1;
}

/* GatewayKeys are full fingerprints (40 or 64 hex digits): a key ID or a
 * user ID could name more keys than the administrator meant. */
static int check_fingerprints(const cm_list *l, char *err, size_t errlen)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (!cm_hex_is_fpr(l->v[i])) {
            snprintf(err, errlen, "\"%s\" is not a fingerprint (40 or 64 hex digits)", l->v[i]);
            return -1;
        }
    }
    return 0;
}

/* err: "file:line: " where key was set, label, why (a check once the file is read). */
static void key_error(const cm_config *cfg, const char *key, const char *label, const char *why,
                      char *err, size_t errlen)
{
    char where[PATH_MAX + 32];

    snprintf(err, errlen, "%s: %s%s", cm_config_where(cfg, key, where, sizeof(where)), label, why);
}

cm_config *cm_config_load(const char *path, char *err, size_t errlen)
{
    FILE *fp;
    cm_config *cfg;
    char *line = NULL, *key, *value, why[512];
    size_t cap = 0, lineno = 0;
    unsigned char seen[NKEYS] = {0};
    ssize_t n;

    if ((fp = fopen(path, "re")) == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if ((cfg = cm_config_new()) == NULL || (cfg->path = strdup(path)) == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        cm_config_free(cfg);
        fclose(fp);
        return NULL;
    }
    while ((n = getline(&line, &cap, fp)) >= 0) {
        const cm_conf_key *k;
        int r;

        lineno++;
        if (memchr(line, 0, (size_t) n) != NULL) {
            snprintf(err, errlen, "%s:%zu: NUL byte in line", path, lineno);
            goto fail;
        }
        if ((r = split_line(line, &key, &value)) == 0)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s:%zu: key \"%s\" has no value", path, lineno, key);
            goto fail;
        }
        if ((k = find_key(key)) == NULL) {
            snprintf(err, errlen, "%s:%zu: unknown key \"%s\"", path, lineno, key);
            goto fail;
        }
        if (seen[k - cm_conf_table]) {
            snprintf(err, errlen, "%s:%zu: %s is set twice", path, lineno, k->name);
            goto fail;
        }
        seen[k - cm_conf_table] = 1;
        cfg->key_line[k - cm_conf_table] = lineno > UINT32_MAX ? UINT32_MAX : (uint32_t) lineno;
        cfg->keys_set++;
        if (k->inert)
            cfg->inert_set |= (uint64_t) 1 << (k - cm_conf_table);
        if (set_value(cfg, k, value, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
            goto fail;
        }
    }
    if (ferror(fp)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    if (check_fingerprints(&cfg->gateway_keys, why, sizeof(why)) < 0) {
        key_error(cfg, "GatewayKeys", "GatewayKeys: ", why, err, errlen);
        goto fail;
    }
    if (cm_archkeys_check(&cfg->encrypt_to_self, &cfg->gateway_keys, cm_config_has_keyring(cfg),
                          cm_config_has_certs(cfg), why, sizeof(why)) < 0) {
        key_error(cfg, "EncryptToSelf", "EncryptToSelf: ", why, err, errlen);
        goto fail;
    }
    if (cm_config_load_maps(cfg, why, sizeof(why)) < 0) {   /* why names the key */
        key_error(cfg, strncmp(why, "KeyAliases", 10) == 0 ? "KeyAliases" : "EncryptionPolicy", "",
                  why, err, errlen);
        goto fail;
    }
    if (cm_replayuri_check(cfg->replay_cache, why, sizeof(why)) < 0
        || cm_replayuri_check_host(cfg->replay_cache, why, sizeof(why)) < 0) {
        key_error(cfg, "ReplayCache", "ReplayCache: ", why, err, errlen);
        goto fail;
    }
    free(line);
    fclose(fp);
    return cfg;

fail:
    free(line);
    fclose(fp);
    cm_config_free(cfg);
    return NULL;
}

int cm_config_load_maps(cm_config *cfg, char *err, size_t errlen)
{
    cm_addrpol *p = NULL;
    cm_alias *a = NULL;
    char why[768];

    if (*cfg->encryption_policy && (p = cm_addrpol_load(cfg->encryption_policy, why, sizeof(why))) == NULL)
        return snprintf(err, errlen, "EncryptionPolicy: %s", why), -1;
    if (*cfg->key_aliases && (a = cm_alias_load(cfg->key_aliases, why, sizeof(why))) == NULL) {
        cm_addrpol_free(p);
        return snprintf(err, errlen, "KeyAliases: %s", why), -1;
    }
    cm_addrpol_free(cfg->policy);
    cm_alias_free(cfg->aliases);
    cfg->policy = p;
    cfg->aliases = a;
    return 0;
}

const char *cm_config_where(const cm_config *cfg, const char *key, char *buf, size_t len)
{
    const cm_conf_key *k = find_key(key);
    uint32_t line = k != NULL ? cfg->key_line[k - cm_conf_table] : 0;

    if (cfg->path == NULL)
        snprintf(buf, len, "%s", "");
    else if (line == 0)
        snprintf(buf, len, "%s", cfg->path);
    else
        snprintf(buf, len, "%s:%lu", cfg->path, (unsigned long) line);
    return buf;
}

size_t cm_config_inert_keys(const cm_config *cfg, const char **names, size_t max)
{
    size_t i, n = 0;

    for (i = 0; i < NKEYS && i < 64; i++)
        if ((cfg->inert_set >> i & 1) && n < max)
            names[n++] = cm_conf_table[i].name;
    return n;
}

static int is_none(const char *v)
{
    return *v == 0 || strcasecmp(v, "none") == 0;
}

int cm_config_has_keyring(const cm_config *cfg)
{
    return !is_none(cfg->keyring_dir);
}

int cm_config_has_certs(const cm_config *cfg)
{
    return !is_none(cfg->certificate_dir);
}

uint64_t cm_config_max_decrypted(const cm_config *cfg)
{
    return cfg->max_decrypted_size ? cfg->max_decrypted_size : cfg->max_message_size;
}

int cm_config_prefers_smime(const cm_config *cfg, const char *addr)
{
    const char *at = strrchr(addr, '@');

    /* a domain in any IDN form and case; out of memory: OpenPGP first */
    return cm_list_has_ci(&cfg->prefer_smime, addr)
           || (at != NULL && cm_idn_list_has(&cfg->prefer_smime, at + 1) == 1);
}

static int check_dir(const char *path, const char *key, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    int r;

    if ((r = stat(dir, &st)) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: %s %s: %s", path, key, dir,
                 r < 0 ? strerror(errno) : "not a directory");
        return -1;
    }
    return 0;
}

int cm_config_check_reload(const cm_config *cfg, const char *path, char *err, size_t errlen)
{
    if (cfg->keys_set == 0) {
        snprintf(err, errlen, "%s sets no key at all (empty, or caught while being written)", path);
        return -1;
    }
    if (cm_config_has_keyring(cfg) && check_dir(path, "KeyringDir", cfg->keyring_dir, err, errlen) < 0)
        return -1;
    if (cm_config_has_certs(cfg)
        && check_dir(path, "CertificateDir", cfg->certificate_dir, err, errlen) < 0)
        return -1;
    return 0;
}
