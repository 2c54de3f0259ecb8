/* cm_config - the configuration: one typed table, "Key value" lines. */
#ifndef CM_CONFIG_H
#define CM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "cm_addrpol.h"
#include "cm_alias.h"
#include "cm_cidr.h"
#include "cm_list.h"

typedef enum { CM_MISSING_PASS, CM_MISSING_TEMPFAIL, CM_MISSING_REJECT, CM_MISSING_SPLIT } cm_missing_action;
typedef enum { CM_OVERSIZE_TEMPFAIL, CM_OVERSIZE_REJECT, CM_OVERSIZE_PASS } cm_oversize_action;
typedef enum { CM_ONERROR_TEMPFAIL, CM_ONERROR_REJECT } cm_onerror_action;
typedef enum { CM_BACKEND_GPGME, CM_BACKEND_RNP, CM_BACKENDS } cm_openpgp_backend;
/* KeyDiscovery: where outbound opportunistic encryption looks for a key
 * KeyringDir lacks. */
typedef enum { CM_DISCOVERY_NONE, CM_DISCOVERY_WKD } cm_key_discovery;
typedef enum { CM_SMIME_AES256_CBC, CM_SMIME_AES256_GCM } cm_smime_cipher;
typedef enum { CM_SMIME_KT_PKCS1, CM_SMIME_KT_OAEP } cm_smime_key_transport;

typedef struct cm_config {
    char *socket;
    char *user_id;
    char *pid_file;
    int syslog;
    int log_level;              /* LOG_* */
    char *keyring_dir;
    char *gpg_program;          /* "": the one GPGME finds */
    uint64_t engine_timeout;    /* seconds */
    int compress;               /* compress before encrypting */
    int openpgp_backend;        /* cm_openpgp_backend */
    char *certificate_dir;      /* "none" (or ""): no S/MIME */
    cm_list prefer_smime;       /* addresses and domains that take S/MIME over OpenPGP */
    int smime_cipher;           /* cm_smime_cipher */
    int smime_key_transport;    /* cm_smime_key_transport */
    cm_list gateway_certificates;   /* PEM files: the gateway's certificates and keys */
    char *trust_anchors;        /* PEM bundle the outbound signers chain to; "" none */
    char *trust_crls;           /* PEM file of CRLs for TrustAnchors; "": the CRLs in the
                                 * TrustAnchors bundle itself */
    cm_list local_domains;
    char *recipient_delimiter;  /* "": none */
    cm_cidr_list internal_hosts;
    cm_list outbound_daemons;
    cm_list gateway_keys;
    int missing_key_action;     /* cm_missing_action */
    char *encryption_policy;    /* "file:/path", "": none */
    char *key_aliases;          /* "file:/path", "": none */
    cm_addrpol *policy;         /* the files they name, read with the configuration */
    cm_alias *aliases;          /* (cm_config_load_maps); NULL: none */
    int require_signature;
    uint64_t signature_max_age; /* seconds */
    int opportunistic;
    int protect_headers;    /* RFC 9788 header protection when encrypting */
    int legacy_display;     /* ... with its legacy display element */
    cm_list encrypt_to_self;
    uint64_t memory_buffer_size;
    uint64_t max_message_size;
    uint64_t max_decrypted_size;    /* bound on outbound plaintext; 0: MaxMessageSize */
    int oversize_action;        /* cm_oversize_action */
    char *spool_dir;
    int on_error;               /* cm_onerror_action */
    char *replay_cache;         /* LMDB environment directory, or a PostgreSQL URI */
    uint64_t replay_cache_size; /* LMDB's map size: the most it may hold */
    char *replay_node;          /* this gateway's name in a shared replay cache */
    uint64_t replay_timeout;    /* seconds one shared replay check may take */
    char *stats_file;           /* Prometheus text file the daemon writes; "": none */
    uint64_t stats_interval;    /* seconds between two writes of it */
    uint64_t keyring_max_age;   /* seconds; 0: off (no keysync stamp is asked for) */
    char *keysync_uri;          /* cryptmilter-keysync: the directory (ldap://, ldaps://, ldapi://) */
    char *keysync_base;         /* ... the base DN its keys and certificates are under */
    char *keysync_bind_dn;      /* ... simple bind as this DN; "": SASL EXTERNAL */
    char *keysync_password_file;    /* ... the bind password's file (never the password) */
    uint64_t keysync_interval;  /* ... seconds between two runs (its timer) */
    int key_discovery;          /* cm_key_discovery */
    char *key_discovery_dir;    /* the discovered keyring: a GnuPG home of its own */
    char *key_discovery_cache;  /* LMDB environment directory: answers and misses, by address */
    uint64_t key_discovery_timeout; /* seconds one Web Key Directory lookup may take */
    char *key_discovery_ca_file;    /* tests only: PEM CAs for WKD's HTTPS; "": the system's */
    cm_list key_discovery_connect_to; /* tests only: "host:port:addr:port", CURLOPT_CONNECT_TO */
    size_t keys_set;            /* keys the file set (cm_config_load) */
    char *path;                 /* the file it was loaded from; NULL if none */
    uint32_t key_line[64];      /* per table row: the line that set it; 0 default */
    uint64_t inert_set;         /* bit per table row: an inert key the file set */
    uint64_t serial;            /* unique per configuration made: caches keyed by the
                                 * configuration in use compare it (never the address,
                                 * which a later configuration may reuse) */
} cm_config;

/* A config with every default. NULL on out of memory. */
cm_config *cm_config_new(void);
void cm_config_free(cm_config *cfg);
/* Read path into a fresh config. On error returns NULL and writes
 * "path:line: reason" to err. */
cm_config *cm_config_load(const char *path, char *err, size_t errlen);
/* Read the files EncryptionPolicy and KeyAliases name into cfg->policy
 * and cfg->aliases (cm_config_load does; a configuration made with
 * cm_config_set calls it itself). 0, or -1 with "Key: file:line: reason"
 * in err and the maps left as they were. */
int cm_config_load_maps(cm_config *cfg, char *err, size_t errlen);
/* Where key (case-insensitive) was set, for a message about its value:
 * "path:line", "path" for a key the file leaves at its default, "" for
 * a configuration made without a file. Returns buf. */
const char *cm_config_where(const cm_config *cfg, const char *key, char *buf, size_t len);
/* The keys the file set that are accepted but not implemented yet (they
 * have no effect): up to max names, their count returned. */
size_t cm_config_inert_keys(const cm_config *cfg, const char **names, size_t max);
/* Is a freshly loaded file fit to replace the configuration in use? A file
 * read while half-written (empty) or naming a KeyringDir that is not there
 * is refused. 0, or -1 with the reason in err. */
int cm_config_check_reload(const cm_config *cfg, const char *path, char *err, size_t errlen);
/* Set one key (case-insensitive) from its textual value; 0 or -1 with reason. */
int cm_config_set(cm_config *cfg, const char *key, const char *value,
                  char *err, size_t errlen);
/* Is an OpenPGP keyring (KeyringDir) or S/MIME certificate directory
 * (CertificateDir) configured? "none" or "" means the site does without. */
int cm_config_has_keyring(const cm_config *cfg);
int cm_config_has_certs(const cm_config *cfg);
/* The most plaintext one outbound decryption may produce (SPEC §4.2):
 * MaxDecryptedSize, or MaxMessageSize when that is 0. */
uint64_t cm_config_max_decrypted(const cm_config *cfg);
/* Does PreferSMIME name addr or its domain (case-insensitive; a domain
 * in any IDN form and case, cm_idn_list_has)? */
int cm_config_prefers_smime(const cm_config *cfg, const char *addr);
/* Print the effective configuration, one "Key value" line each (cm_confdump.c). */
void cm_confdump(const cm_config *cfg, void (*emit)(const char *line, void *arg), void *arg);

#endif
