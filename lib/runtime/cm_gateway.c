/* cm_gateway - the process's runtime. */
#include "cm_gateway.h"
#include "cm_digest.h"
#include "cm_log.h"
#include "cm_wkd_cache.h"
#include "cm_wkd_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cm_gateway *cm_gateway_new(const char *conf_path, const cm_config *cfg, cm_gateway_kind kind,
                           cm_stat *st, char *err, size_t errlen)
{
    cm_gateway *gw;

    /* Here, in the thread that makes the gateway, before any worker uses
     * OpenSSL (cm_digest_init). */
    if (cm_digest_init() < 0) {
        snprintf(err, errlen, "OpenSSL cannot be initialised");
        *st = CM_ERR_INTERNAL;
        return NULL;
    }
    /* libcurl's process-wide start, before threads (KeyDiscovery). */
    if (cm_wkd_fetch_init() < 0) {
        snprintf(err, errlen, "libcurl cannot be initialised");
        *st = CM_ERR_INTERNAL;
        return NULL;
    }
    gw = calloc(1, sizeof(*gw));
    if (gw == NULL || (gw->conf_path = strdup(conf_path)) == NULL
        || (gw->replay = cm_replay_new()) == NULL) {
        snprintf(err, errlen, "out of memory");
        *st = CM_ERR_NOMEM;
        if (gw == NULL)
            cm_wkd_fetch_done();
        cm_gateway_free(gw);
        return NULL;
    }
    if (kind == CM_GATEWAY_ONCE)
        gw->once = cm_engines_create(cfg, st, err, errlen);
    else if ((gw->engines = cm_engine_set_create(st, err, errlen)) != NULL
             && (gw->discovered = cm_engine_set_create(st, err, errlen)) == NULL) {
        cm_gateway_free(gw);
        return NULL;
    }
    if (gw->once == NULL && gw->engines == NULL) {
        cm_gateway_free(gw);
        return NULL;
    }
    *st = CM_OK;
    return gw;
}

int cm_gateway_hold(cm_gateway *gw, cm_config *cfg)
{
    cm_replay_configure(gw->replay, cfg->replay_node, cfg->replay_timeout);
    return (gw->conf = cm_confhold_new(cfg)) == NULL ? -1 : 0;
}

cm_msg *cm_gateway_msg(cm_gateway *gw, const cm_config *cfg, const char *qid)
{
    const cm_engines *e = gw->once != NULL ? gw->once : cm_engine_set_pick(gw->engines, cfg);
    cm_msg *m = cm_msg_new(cfg, e, qid);

    if (m != NULL)
        cm_msg_set_replay(m, gw->replay);
    /* A daemon keeps the discovered keyring's snapshot apart from
     * KeyringDir's (its engines made at start, as every engine list, so
     * that a reload may turn KeyDiscovery on); cryptmilter-filter, one
     * message, reads both with its one list. */
    if (m != NULL && gw->discovered != NULL)
        cm_msg_set_discovery_engines(m, cm_engine_set_pick(gw->discovered, cfg));
    return m;
}

void cm_gateway_warn(const cm_config *cfg)
{
    const char *names[64];
    size_t i, n = cm_config_inert_keys(cfg, names, 64);

    for (i = 0; i < n; i++)
        cm_log_warn("%s is set but not implemented yet: it has no effect", names[i]);
    if (!cfg->require_signature)
        cm_log_warn("RequireSignature no: outbound mail encrypted to the gateway is decrypted "
                    "without proof of who sent it; anyone who can submit mail can use the "
                    "gateway to decrypt. Only for sites that authenticate senders otherwise");
    if (cfg->gateway_keys.n == 0)
        cm_log_notice("GatewayKeys is empty: outbound mail encrypted to the gateway passes "
                      "as it is");
    /* EnvelopedData (CBC) has no integrity of its own: only the signature
     * gate gives it that, so without the gate it is never decrypted
     * (cm_outbound's strip). Say so before users find out by 554s. */
    if (cfg->gateway_certificates.n > 0 && !cfg->require_signature)
        cm_log_warn("GatewayCertificates with RequireSignature no: S/MIME enveloped-data "
                    "(AES-CBC, what most clients send) to the gateway will be refused 554 5.7.5, "
                    "as nothing protects its integrity without the signature gate; only "
                    "authenticated enveloped-data (AES-GCM, RFC 5083) is decrypted");
    /* The Web Key Directory's test hooks: on a gateway they would trust
     * another CA or send lookups elsewhere. */
    if (cfg->key_discovery_ca_file[0])
        cm_log_warn("KeyDiscoveryCAFile is for tests only: key lookups trust %s instead of the "
                    "system's certificate authorities", cfg->key_discovery_ca_file);
    if (cfg->key_discovery == CM_DISCOVERY_WKD && !cfg->opportunistic)
        cm_log_warn("KeyDiscovery wkd without OpportunisticEncryption: no key is looked up "
                    "(discovered keys serve only outbound opportunistic encryption)");
    else if (cfg->key_discovery == CM_DISCOVERY_WKD)
        cm_log_notice("KeyDiscovery wkd: outbound recipients without a key are looked up in "
                      "their domain's Web Key Directory over HTTPS; under systemd the unit's "
                      "IPAddressAllow must let the daemon out (docs/keys.md)");
    if (cfg->key_discovery_connect_to.n > 0)
        cm_log_warn("KeyDiscoveryConnectTo is for tests only: key lookups connect where it says, "
                    "not where the DNS says");
    if (cfg->gateway_certificates.n > 0 && cfg->require_signature && !cfg->trust_anchors[0])
        cm_log_warn("GatewayCertificates without TrustAnchors: every outbound S/MIME message "
                    "to the gateway will be refused (no signer can be trusted)");
}

/* The new configuration n, checked, against the one in use: what only a
 * restart changes, and whether the replay cache moves. */
static int compare(cm_gateway *gw, const cm_config *n)
{
    const cm_config *old = cm_confhold_get(gw->conf);
    int moved = strcmp(n->replay_cache, old->replay_cache) != 0;

    if (strcmp(n->socket, old->socket) != 0 || strcmp(n->user_id, old->user_id) != 0
        || strcmp(n->pid_file, old->pid_file) != 0 || n->syslog != old->syslog)
        cm_log_warn("reload: changes to Socket, UserID, PidFile and Syslog take effect "
                    "at the next start");
    cm_confhold_put(gw->conf, old);
    return moved;
}

unsigned cm_gateway_reload(cm_gateway *gw)
{
    char err[1024];
    cm_config *n = cm_config_load(gw->conf_path, err, sizeof(err));
    cm_stat st = CM_ERR_CONFIG;
    unsigned gen;
    int level, moved;

    if (n != NULL && cm_config_check_reload(n, gw->conf_path, err, sizeof(err)) == 0) {
        st = cm_engines_check_gateway(n, err, sizeof(err));
        cm_engines_thread_done();
    }
    if (n == NULL || st != CM_OK) {
        cm_log_error("reload: %s; the configuration in use stays", err);
        cm_config_free(n);
        return 0;
    }
    moved = compare(gw, n);
    cm_gateway_warn(n);
    cm_replay_configure(gw->replay, n->replay_node, n->replay_timeout);
    level = n->log_level;
    if ((gen = cm_confhold_set(gw->conf, n)) == 0) {
        cm_log_error("reload: out of memory; the configuration in use stays");
        return 0;
    }
    cm_log_set_level(level);
    cm_log_notice("reload: configuration %u from %s in use", gen, gw->conf_path);
    /* n is current until the next reload, which only this thread makes. */
    if (moved) {
        cm_replay_retire(gw->replay, n->replay_cache);
        cm_log_info("reload: ReplayCache %s from now; the previous one is closed once the "
                    "messages under way are done", n->replay_cache);
    }
    return gen;
}

void cm_gateway_free(cm_gateway *gw)
{
    if (gw == NULL)
        return;
    if (gw->conf != NULL)
        cm_confhold_free(gw->conf);
    cm_engine_set_destroy(gw->engines);
    cm_engine_set_destroy(gw->discovered);
    cm_engines_destroy(gw->once);
    cm_replay_free(gw->replay);
    cm_wkd_cache_close();
    cm_wkd_fetch_done();
    free(gw->conf_path);
    free(gw);
}
