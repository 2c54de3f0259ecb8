/* cm_status - one status enum; one table from status to SMTP reply and exit code. */
#include "cm_status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static const cm_stat_info cm_stat_table[CM_STAT_COUNT] = {
    {CM_OK, "ok", CM_CLASS_OK, "250", "2.0.0", "OK", EX_OK},
    {CM_ERR_NOMEM, "nomem", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Encryption gateway out of memory, try again later", EX_TEMPFAIL},
    {CM_ERR_SPOOL, "spool", CM_CLASS_INTERNAL, "452", "4.3.1",
     "Encryption gateway spool unavailable or full, try again later", EX_TEMPFAIL},
    {CM_ERR_ENGINE, "engine", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Encryption engine unavailable, try again later", EX_TEMPFAIL},
    {CM_ERR_KEYRING, "keyring", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Encryption keyring unavailable, try again later", EX_TEMPFAIL},
    {CM_ERR_KEYRING_DAMAGED, "keyring-damaged", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Encryption keyring damaged or being replaced, try again later", EX_TEMPFAIL},
    {CM_ERR_TIMEOUT, "timeout", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Encryption engine did not answer in time, try again later", EX_TEMPFAIL},
    {CM_ERR_KEYLOOKUP, "keylookup", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Recipient key lookup failed, try again later", EX_TEMPFAIL},
    {CM_ERR_ENCRYPT, "encrypt", CM_CLASS_INTERNAL, "451", "4.7.5",
     "Encryption failed, try again later", EX_TEMPFAIL},
    {CM_ERR_INTERNAL, "internal", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Internal error in encryption gateway, try again later", EX_TEMPFAIL},
    {CM_ERR_CONFIG, "config", CM_CLASS_INTERNAL, "451", "4.3.5",
     "Encryption gateway misconfigured, try again later", EX_CONFIG},
    {CM_NOKEY, "nokey", CM_CLASS_ACTION, "451", "4.7.4",
     "No encryption key for recipient, delivery deferred", EX_TEMPFAIL},
    {CM_TOOBIG, "oversize", CM_CLASS_ACTION, "452", "4.3.4",
     "Message too large for the encryption gateway, try again later", EX_TEMPFAIL},
    {CM_HEADER_LIMIT, "header-limit", CM_CLASS_PERM, "552", "5.3.4",
     "Message header section too large or has too many fields", EX_UNAVAILABLE},
    {CM_BAD_INPUT, "bad-input", CM_CLASS_PERM, "554", "5.6.0",
     "Message cannot be parsed", EX_UNAVAILABLE},
    {CM_SPLIT_CLASS, "split", CM_CLASS_TEMP, "452", "4.5.3",
     "Recipient needs a different kind of encryption, send it in a separate transaction",
     EX_TEMPFAIL},
    {CM_SPLIT_LOCAL, "split-local", CM_CLASS_TEMP, "452", "4.5.3",
     "Local and external recipients go in separate transactions, send this one again",
     EX_TEMPFAIL},
    {CM_ERR_GATEWAY_KEY, "gateway-key", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Gateway decryption key unavailable, try again later", EX_TEMPFAIL},
    {CM_ERR_REPLAY, "replay-cache", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Signature replay cache unavailable, try again later", EX_TEMPFAIL},
    {CM_REPLAY_FULL, "replay-cache-full", CM_CLASS_INTERNAL, "452", "4.3.1",
     "Signature replay cache full, try again later", EX_TEMPFAIL},
    {CM_DECRYPT_FAILED, "decrypt-failed", CM_CLASS_PERM, "554", "5.7.5",
     "The gateway cannot decrypt this message (damaged, or encrypted without "
     "integrity protection); encrypt it again and resend", EX_UNAVAILABLE},
    {CM_ERR_ENGINE_MIDSTREAM, "engine-died", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Decryption engine failed, try again later", EX_TEMPFAIL},
    {CM_GATE_UNSIGNED, "unsigned", CM_CLASS_PERM, "550", "5.7.1",
     "Mail encrypted to the gateway must be signed with your own key; sign it and resend",
     EX_UNAVAILABLE},
    {CM_GATE_BADSIG, "bad-signature", CM_CLASS_PERM, "550", "5.7.7",
     "The signature does not verify; sign the message again and resend", EX_UNAVAILABLE},
    {CM_GATE_UNKNOWN_SIGNER, "unknown-signer", CM_CLASS_PERM, "550", "5.7.1",
     "Signed by a key the gateway does not know; ask your administrator to add your key",
     EX_UNAVAILABLE},
    {CM_GATE_WRONG_SIGNER, "wrong-signer", CM_CLASS_PERM, "550", "5.7.1",
     "Signed by a key that is not yours (not the envelope sender's)", EX_UNAVAILABLE},
    {CM_GATE_FROM, "from-mismatch", CM_CLASS_PERM, "550", "5.7.1",
     "The From: address is not the envelope sender", EX_UNAVAILABLE},
    {CM_GATE_STALE, "stale-signature", CM_CLASS_PERM, "550", "5.7.1",
     "The signature is too old; sign the message again and resend", EX_UNAVAILABLE},
    {CM_GATE_FUTURE, "future-signature", CM_CLASS_PERM, "550", "5.7.1",
     "The signature is dated in the future; check your computer's clock and resend",
     EX_UNAVAILABLE},
    {CM_GATE_REPLAY, "replay", CM_CLASS_PERM, "550", "5.7.1",
     "This signed message was already sent once; write and sign a new one", EX_UNAVAILABLE},
    {CM_ERR_CERTS, "certificates", CM_CLASS_INTERNAL, "451", "4.3.0",
     "S/MIME certificate directory unavailable, try again later", EX_TEMPFAIL},
    {CM_GATE_UNCOVERED, "unsigned-content", CM_CLASS_PERM, "554", "5.7.5",
     "The decrypted message holds content its signature does not cover; "
     "encrypt only the signed message and resend", EX_UNAVAILABLE},
    {CM_DECRYPT_TOOBIG, "decrypted-oversize", CM_CLASS_PERM, "552", "5.3.4",
     "The decrypted message is larger than the gateway accepts; send it in smaller pieces",
     EX_UNAVAILABLE},
    {CM_GATE_ORIGINATOR, "originator-fields", CM_CLASS_PERM, "550", "5.7.1",
     "The header has a second or obsolete From, Sender or Reply-To field; "
     "send it again from a standard mail client", EX_UNAVAILABLE},
    {CM_ERR_CRL, "crl", CM_CLASS_INTERNAL, "451", "4.3.0",
     "Certificate revocation list unreadable or out of date, try again later", EX_TEMPFAIL},
    {CM_NOKEY_POLICY, "nokey-policy", CM_CLASS_TEMP, "451", "4.7.4",
     "No encryption key for recipient, whose mail must be encrypted; delivery deferred",
     EX_TEMPFAIL},
    {CM_NOKEY_POLICY_REJECT, "nokey-policy-reject", CM_CLASS_PERM, "554", "5.7.4",
     "No encryption key for recipient; mail to this address must be encrypted", EX_UNAVAILABLE},
    {CM_KEYRING_STALE, "keyring-stale", CM_CLASS_TEMP, "451", "4.3.0",
     "The gateway's copy of the key directory is out of date, try again later", EX_TEMPFAIL},
    /* Never encrypted without the archive key, never in the clear: the
     * administrator renews or imports it, and the MTA sends again. */
    {CM_ARCHIVE_KEY, "archive-key", CM_CLASS_TEMP, "451", "4.3.0",
     "The gateway's archive key (EncryptToSelf) cannot be used, try again later", EX_TEMPFAIL},
};

/* Answered as a rejection, an internal error keeps its text under 554; a
 * CM_CLASS_ACTION cause has its own code and text here. The enhanced code
 * starts with 5 and the exit code is 69 either way. */
static const struct {
    cm_stat stat;
    const char *rcode, *text;
} cm_stat_rejects[] = {
    {CM_NOKEY, "554", "No encryption key for recipient; mail to this address must be encrypted"},
    {CM_TOOBIG, "552", "Message too large for the encryption gateway"},
};

const cm_stat_info *cm_stat_lookup(cm_stat stat)
{
    if ((unsigned) stat >= CM_STAT_COUNT)
        stat = CM_ERR_INTERNAL;
    return &cm_stat_table[stat];
}

cm_stat cm_stat_of_errno(int e)
{
    return e == ENOMEM ? CM_ERR_NOMEM : CM_ERR_SPOOL;
}

void cm_stat_reply(cm_stat stat, int reject, const char *detail, cm_reply *out)
{
    const cm_stat_info *si = cm_stat_lookup(stat);
    const char *text = si->text;
    size_t n, i;

    snprintf(out->rcode, sizeof(out->rcode), "%s", si->rcode);
    snprintf(out->xcode, sizeof(out->xcode), "%s", si->xcode);
    out->sysexit = si->sysexit;
    if (reject && (si->cls == CM_CLASS_INTERNAL || si->cls == CM_CLASS_ACTION)) {
        snprintf(out->rcode, sizeof(out->rcode), "554");
        out->xcode[0] = '5';
        out->sysexit = EX_UNAVAILABLE;
        for (i = 0; i < sizeof(cm_stat_rejects) / sizeof(cm_stat_rejects[0]); i++)
            if (cm_stat_rejects[i].stat == si->stat) {
                snprintf(out->rcode, sizeof(out->rcode), "%s", cm_stat_rejects[i].rcode);
                text = cm_stat_rejects[i].text;
            }
    }
    n = (size_t) snprintf(out->text, sizeof(out->text), "%s", text);
    if (detail != NULL && *detail && n + 2 < sizeof(out->text)) {
        out->text[n++] = ':';
        out->text[n++] = ' ';
        for (i = 0; detail[i] && n + 1 < sizeof(out->text); i++) {
            unsigned char c = (unsigned char) detail[i];

            out->text[n++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
        }
        out->text[n] = 0;
    }
}
