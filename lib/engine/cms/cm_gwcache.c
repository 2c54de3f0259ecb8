/* cm_gwcache - the current GatewayCertificates/TrustAnchors/TrustCRLs set,
 * a cm_snapshot: read again when the configuration is reloaded (its
 * serial) or when the TrustAnchors or TrustCRLs file changes. A CA
 * publishes a new CRL every day or so: its file is watched (as is the
 * bundle, which may hold CRLs), and read again without a SIGHUP. Until a
 * changed file reads well, the set read before is not used. */
#include "cm_gwcerts.h"
#include "cm_log.h"

#include <string.h>

/* A watched file's identity: all zero when it is not set, and when it is
 * gone or cannot be looked at, which no file read is, so the set is read
 * again and the load says what is wrong. */
static void watched(const char *path, cm_snapshot_file *f)
{
    if (path[0] && cm_snapshot_file_stat(path, f) < 0)
        memset(f, 0, sizeof(*f));
}

static cm_stat gw_stamp(const void *src, const cm_snapshot_stamp *held, cm_snapshot_stamp *now)
{
    const cm_config *cfg = src;

    (void) held;
    now->gen = cfg->serial;
    watched(cfg->trust_anchors, &now->file[0]);
    watched(cfg->trust_crls, &now->file[1]);
    return CM_OK;
}

static cm_stat gw_load(const void *src, const cm_snapshot_stamp *held, cm_snapshot_obj **obj,
                       cm_snapshot_stamp *stamp)
{
    const cm_config *cfg = src;
    char err[512];
    cm_gwcerts *g;
    cm_stat st;

    *obj = NULL;
    if (held != NULL && held->gen == cfg->serial)
        cm_log_notice("TrustAnchors or TrustCRLs changed: read again");
    if ((st = cm_gwcerts_load(cfg, &g, err, sizeof(err))) != CM_OK) {
        cm_log_error("%s", err);
        return st;
    }
    cm_gwcerts_stamp(g, stamp);     /* the files as read */
    *obj = (cm_snapshot_obj *) g;
    return CM_OK;
}

static void gw_put(cm_snapshot_obj *obj)
{
    cm_gwcerts_put((cm_gwcerts *) obj);
}

static const cm_snapshot_ops gw_ops = {.stamp = gw_stamp, .load = gw_load, .put = gw_put};

cm_gwcache *cm_gwcache_new(void)
{
    return cm_snapshot_new(&gw_ops);
}

void cm_gwcache_free(cm_gwcache *c)
{
    cm_snapshot_free(c);
}

cm_stat cm_gwcache_get(cm_gwcache *c, const cm_config *cfg, cm_gwcerts **out)
{
    cm_snapshot_obj *obj;
    cm_stat st = cm_snapshot_get(c, NULL, cfg, &obj);

    *out = (cm_gwcerts *) obj;
    return st;
}
