/* cm_keysync_stage - the staging GnuPG home keysync builds the keyring in:
 * a fresh directory inside KeyringDir (so that the rename into place is
 * one atomic step on one file system), under a lock that keeps two runs
 * apart; what a crashed run left behind is removed by the next. */
#ifndef CM_KEYSYNC_STAGE_H
#define CM_KEYSYNC_STAGE_H

#include <stddef.h>

typedef struct cm_keysync_stage {
    char keyring[4096];     /* KeyringDir */
    char dir[4096];         /* the staging home; "" once removed */
    const char *name;       /* the file replaced: pubring.kbx, or pubring.gpg if that is used */
    char certdir[4096];     /* CertificateDir, "" if none is synchronised */
    char certs[4096];       /* its staging directory beside it; "" once removed */
    int lock_fd;
} cm_keysync_stage;

/* Lock KeyringDir (errno EWOULDBLOCK: another run holds it), clear old
 * staging homes, make a new one. 0, or -1 with the reason in err. */
int cm_keysync_stage_open(cm_keysync_stage *s, const char *keyring, char *err, size_t errlen);
/* Rename the staging home's public keyring over KeyringDir's (its mode
 * kept) and sync the directory. 0, or -1 with the reason in err. */
int cm_keysync_stage_install(cm_keysync_stage *s, char *err, size_t errlen);
/* A fresh staging directory beside certdir (CertificateDir, on its file
 * system), in s->certs. 0, or -1 with the reason in err. */
int cm_keysync_stage_certdir(cm_keysync_stage *s, const char *certdir, char *err, size_t errlen);
/* Put the staging directory in CertificateDir's place in one step (the two
 * exchanged; the old one is removed by close), its mode kept. 0, or -1
 * with the reason in err. */
int cm_keysync_stage_install_certdir(cm_keysync_stage *s, char *err, size_t errlen);
/* Remove the staging home(s) and drop the lock. */
void cm_keysync_stage_close(cm_keysync_stage *s);

#endif
