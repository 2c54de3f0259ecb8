/* cm_entity - reads the MIME entity to encrypt: the Content-* fields of the
 * message, an empty line, then the body, all with CRLF line endings. */
#ifndef CM_ENTITY_H
#define CM_ENTITY_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "cm_buf.h"
#include "cm_crlf.h"
#include "cm_engine.h"
#include "cm_header.h"
#include "cm_spool.h"

typedef struct cm_entity {
    cm_buf pending;     /* canonical bytes not yet handed out */
    size_t pending_off;
    cm_spool *body;
    cm_crlf crlf;
    int body_eof;
    void (*progress)(void *);   /* "still working", at most once a second */
    void *progress_arg;
    time_t last_progress;
} cm_entity;

/* Start reading the entity of header list h and body (rewound here).
 * 0, or -1 with errno (ENOMEM, or the spool's). */
int cm_entity_open(cm_entity *e, const cm_hdrs *h, cm_spool *body);
/* The same with RFC 9788 header protection (cm_hp): the protected fields
 * of outer, hp="cipher" and HP-Outer in the entity's header; with legacy,
 * the legacy display element before the body where the body can take one
 * (*why_not says why not, else NULL). The caller has checked
 * cm_hp_refusal(h). 0, or -1 with errno. */
int cm_entity_open_hp(cm_entity *e, const cm_hdrs *outer, const cm_hdrs *h, cm_spool *body,
                      int legacy, const char **why_not);
void cm_entity_close(cm_entity *e);
/* Report progress (cm_entity_set_progress) if a second has passed since
 * the last report. Reading calls it; an engine waiting calls it too. */
void cm_entity_tick(cm_entity *e);
void cm_entity_set_progress(cm_entity *e, void (*fn)(void *), void *arg);
/* Like read(2): bytes copied, 0 at the end, -1 with errno. */
ssize_t cm_entity_read(cm_entity *e, void *buf, size_t n);
/* e as an engine's reader: cm_entity_read, and cm_entity_tick while the
 * engine works. */
cm_reader cm_entity_reader(cm_entity *e);

#endif
