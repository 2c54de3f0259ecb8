/* cm_engine - the engine interface (Postfix milter.h style: a struct of
 * function pointers). An engine moves bytes, ASCII-armored OpenPGP or DER,
 * through a reader and a writer, and answers key questions; it knows
 * nothing of MIME. A format (cm_pgpmime; later cm_smime) frames what it
 * writes, checks it and owns Content-Type and trace text. */
#ifndef CM_ENGINE_H
#define CM_ENGINE_H

#include <stddef.h>
#include <sys/types.h>

#include "cm_config.h"
#include "cm_status.h"

/* What a recipient's key lookup found: the class decides the format. */
typedef enum cm_key_class {
    CM_KEY_UNSET = -1,      /* no recipient accepted yet */
    CM_KEY_NONE = 0,
    CM_KEY_OPENPGP = 1
} cm_key_class;

typedef struct cm_engine cm_engine;                 /* per process: caches */
typedef struct cm_engine_session cm_engine_session; /* per message */
typedef struct cm_key cm_key;                       /* a key, owned by its session */

/* What every log line of a message names, passed down to the engines. */
typedef struct cm_msgctx {
    const cm_config *cfg;   /* the message's configuration snapshot */
    char *qid;              /* the MTA's queue ID, NULL until known */
} cm_msgctx;

#define CM_QID(ctx) ((ctx) != NULL && (ctx)->qid != NULL ? (ctx)->qid : "-")

/* Plaintext into the engine: read(2)-like; tick is called while the engine
 * waits (may be NULL). */
typedef struct cm_reader {
    ssize_t (*read)(void *arg, void *buf, size_t n);
    void (*tick)(void *arg);
    void *arg;
} cm_reader;

/* Ciphertext out of the engine: 0, or -1 with errno (ENOSPC, ENOMEM...). */
typedef struct cm_writer {
    int (*write)(void *arg, const void *buf, size_t n);
    void *arg;
} cm_writer;

typedef struct cm_engine_ops {
    const char *name;
    cm_key_class key_class;         /* the class of the keys it finds */
    /* Once per process, before threads. */
    cm_stat (*create)(cm_engine **out, char *err, size_t errlen);
    void (*destroy)(cm_engine *e);
    /* ctx outlives the session. */
    cm_stat (*session_new)(cm_engine *e, const cm_msgctx *ctx, cm_engine_session **out);
    void (*session_free)(cm_engine_session *s);
    /* The usable key for exactly addr, or *key NULL: "no key" is only
     * answered when the engine is sure (else an error). */
    cm_stat (*lookup)(cm_engine_session *s, const char *addr, const cm_key **key);
    /* Encrypt the next message to key too (a key added twice counts once). */
    cm_stat (*add_recipient)(cm_engine_session *s, const cm_key *key);
    size_t (*recipients)(const cm_engine_session *s);
    /* All of in, encrypted to the recipients, to out. */
    cm_stat (*encrypt)(cm_engine_session *s, cm_reader *in, cm_writer *out);
    /* Room for decrypt_verify and lookup by fingerprint (outbound). */
} cm_engine_ops;

/* An engine and its ops, as the registry hands them out. */
typedef struct cm_engine_ref {
    const cm_engine_ops *ops;
    cm_engine *engine;
} cm_engine_ref;

#endif
