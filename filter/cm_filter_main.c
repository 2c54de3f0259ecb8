/* cryptmilter-filter - the core as a pipe filter: message on stdin, the
 * rewritten message on stdout, sysexits.h exit codes, one-line reason on
 * stderr. No libmilter here. It builds the runtime as the daemon does (a
 * cm_gateway, for one message: only the backend the configuration names). */
#include "cm_config.h"
#include "cm_buf.h"
#include "cm_edit.h"
#include "cm_gateway.h"
#include "cm_header.h"
#include "cm_log.h"
#include "cm_msg.h"
#include "cm_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#define CHUNK 65536

static const char *progname = "cryptmilter-filter";
static FILE *verdict_fp;    /* where the verdict goes: stderr, see quiet_fd2 */

/* librnp prints diagnostics of its own on fd 2 (Debian builds it with
 * them always on). Without -v the caller must see only the verdict on
 * stderr, as the README promises: the verdict keeps a copy of fd 2 and
 * fd 2 itself goes to /dev/null. If that cannot be done, stderr stays. */
static void quiet_fd2(void)
{
    int keep, nul;
    FILE *fp;

    if ((keep = fcntl(2, F_DUPFD_CLOEXEC, 3)) < 0)
        return;
    if ((fp = fdopen(keep, "w")) == NULL) {
        (void) close(keep);
        return;
    }
    if ((nul = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0 || dup2(nul, 2) < 0) {
        if (nul >= 0)
            (void) close(nul);
        (void) fclose(fp);
        return;
    }
    (void) close(nul);
    setvbuf(fp, NULL, _IONBF, 0);
    verdict_fp = fp;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: %s -c CONF [--direction inbound|outbound] [--from SENDER]\n"
            "       --to RCPT [--to RCPT ...] [--client-address ADDR] [--authenticated USER]\n"
            "       [--daemon-name NAME] [--queue-id ID] [-v] < message > rewritten\n"
            "       %s -V (print the version)\n"
            "exit: 0 written, 75 temporary failure, 69 refused, 78 bad configuration\n",
            progname, progname);
}

/* Report a refusal or failure in one line and return its exit code. */
static int refuse(cm_stat st, int on_error_reject, const char *detail)
{
    cm_reply r;

    cm_stat_reply(st, on_error_reject, detail, &r);
    fprintf(verdict_fp ? verdict_fp : stderr, "%s: %s %s %s\n", progname, r.rcode, r.xcode,
            r.text);
    return r.sysexit;
}

static int write_all(const void *p, size_t n)
{
    return n == 0 || fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

/* Read stdin until the header section is complete; feed it to m, and the
 * bytes after it as the first body chunk. *eol gets the line ending of the
 * first line, which an unchanged message is written back with. An mbox
 * "From " line before the header (pipe(8) flag F, many mail tools) is not
 * part of the message: it goes to *envline and is written back as it was. */
static cm_stat read_headers(cm_msg *m, int *eof, const char **eol, cm_buf *envline)
{
    cm_buf in = CM_BUF_INIT;
    cm_hdrs h;
    size_t body_off = 0, i, start = 0;
    cm_hparse pr = CM_HPARSE_MORE;
    cm_stat st = CM_OK;

    cm_hdrs_init(&h, CM_HDR_MAX_FIELDS, CM_HDR_MAX_BYTES);
    *eof = 0;
    while (pr == CM_HPARSE_MORE) {
        size_t got;

        if (in.len > CM_HDR_MAX_BYTES + CHUNK) {
            st = CM_HEADER_LIMIT;
            goto done;
        }
        if (cm_buf_reserve(&in, CHUNK) < 0) {
            st = CM_ERR_NOMEM;
            goto done;
        }
        got = fread(in.data + in.len, 1, CHUNK, stdin);
        in.len += got;
        if (got < CHUNK) {
            if (ferror(stdin)) {
                st = CM_ERR_INTERNAL;
                goto done;
            }
            *eof = 1;
        }
        if (start == 0 && in.len >= 5 && memcmp(in.data, "From ", 5) == 0) {
            const unsigned char *nl = memchr(in.data, '\n', in.len);

            if (nl == NULL && !*eof)
                continue;
            start = nl ? (size_t) (nl - in.data) + 1 : in.len;
            if (cm_buf_append(envline, in.data, start) < 0) {
                st = CM_ERR_NOMEM;
                goto done;
            }
        }
        cm_hdrs_free(&h);
        pr = cm_hdrs_parse(&h, in.data + start, in.len - start, *eof, &body_off, &st);
        body_off += start;
    }
    if (pr == CM_HPARSE_ERROR)
        goto done;
    {
        const unsigned char *nl = in.len > start ? memchr(in.data + start, '\n', in.len - start)
                                  : NULL;

        *eol = nl != NULL && nl > in.data + start && nl[-1] == '\r' ? "\r\n" : "\n";
    }
    for (i = 0; i < h.n && st == CM_OK; i++) {
        /* The name as written, white space before the colon too (the
         * obsolete "From :" a mail reader still shows). */
        char *name = strndup(h.v[i].raw, strcspn(h.v[i].raw, ":"));

        st = name == NULL ? CM_ERR_NOMEM
             : cm_msg_header(m, name, h.v[i].value, strlen(h.v[i].value));
        free(name);
    }
    if (st == CM_OK)
        st = cm_msg_body(m, in.data + body_off, in.len - body_off);
done:
    cm_hdrs_free(&h);
    cm_buf_free(&in);
    return st;
}

static cm_stat read_body(cm_msg *m)
{
    unsigned char buf[CHUNK];
    size_t got;
    cm_stat st;

    while ((got = fread(buf, 1, sizeof(buf), stdin)) > 0)
        if ((st = cm_msg_body(m, buf, got)) != CM_OK)
            return st;
    return ferror(stdin) ? CM_ERR_INTERNAL : CM_OK;
}

static int write_message(cm_msg *m, cm_result *res, const char *eol, const cm_buf *envline)
{
    cm_hdrs out;
    cm_buf hb = CM_BUF_INIT;
    cm_spool *body = res->body ? res->body : cm_msg_body_spool(m);
    const cm_hdrs *in = cm_msg_headers(m);
    unsigned char buf[CHUNK];
    ssize_t r;
    size_t i;
    int rc = -1;

    cm_hdrs_init(&out, CM_HDR_MAX_FIELDS + 16, CM_HDR_MAX_BYTES * 2);
    for (i = 0; i < in->n; i++)
        if (cm_hdrs_add(&out, in->v[i].name, in->v[i].value, strlen(in->v[i].value)) != CM_OK)
            goto done;
    /* Keep the field as received (white space before the colon included). */
    for (i = 0; i < in->n; i++) {
        char *raw = strdup(in->v[i].raw);

        if (raw == NULL)
            goto done;
        free(out.v[i].raw);
        out.v[i].raw = raw;
    }
    if (cm_edits_apply(&res->edits, &out) != CM_OK)
        goto done;
    if (envline->len > 0 && cm_buf_append(&hb, envline->data, envline->len) < 0)
        goto done;
    for (i = 0; i < out.n; i++)
        if (cm_hdr_write(&out.v[i], eol, &hb) < 0)
            goto done;
    if (cm_buf_puts(&hb, eol) < 0 || write_all(hb.data, hb.len) < 0)
        goto done;
    if (cm_spool_rewind(body) < 0)
        goto done;
    while ((r = cm_spool_read(body, buf, sizeof(buf))) > 0)
        if (write_all(buf, (size_t) r) < 0)
            goto done;
    if (r == 0 && fflush(stdout) == 0)
        rc = 0;
done:
    cm_hdrs_free(&out);
    cm_buf_free(&hb);
    return rc;
}

int main(int argc, char **argv)
{
    enum { O_DIRECTION = 256, O_FROM, O_TO, O_CLIENT, O_AUTH, O_DAEMON, O_QID };
    static const struct option longopts[] = {
        {"direction", required_argument, NULL, O_DIRECTION},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"client-address", required_argument, NULL, O_CLIENT},
        {"authenticated", required_argument, NULL, O_AUTH},
        {"daemon-name", required_argument, NULL, O_DAEMON},
        {"queue-id", required_argument, NULL, O_QID},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *conf = NULL, *dir_arg = NULL, *from = "", *qid = NULL;
    cm_conn_facts facts = {NULL, NULL, NULL};
    const char **rcpts = NULL;
    size_t nrcpt = 0, i;
    int c, verbose = 0, eof, rc, reject;
    cm_config *cfg;
    const cm_config *held;
    cm_direction dir;
    const char *why = "command line", *eol = "\n";
    char err[1024];
    cm_buf envline = CM_BUF_INIT;
    cm_gateway *gw;
    cm_msg *m;
    cm_result res;
    cm_stat st;

    while ((c = getopt_long(argc, argv, "c:vhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': conf = optarg; break;
        case 'v': verbose = 1; break;
        case 'h': usage(stdout); break;
        case 'V': printf("cryptmilter-filter %s\n", CM_VERSION); break;
        case O_DIRECTION: dir_arg = optarg; break;
        case O_FROM: from = optarg; break;
        case O_TO: {
            const char **n = cm_array_resize(rcpts, nrcpt + 1, sizeof(*n));

            if (n == NULL) {
                c = 'n';
                break;
            }
            rcpts = n;
            rcpts[nrcpt++] = optarg;
            break;
        }
        case O_CLIENT: facts.client_addr = optarg; break;
        case O_AUTH: facts.auth_authen = optarg; break;
        case O_DAEMON: facts.daemon_name = optarg; break;
        case O_QID: qid = optarg; break;
        default: c = '?'; break;
        }
        if (c == 'h' || c == 'V' || c == '?' || c == 'n')
            break;
    }
    cfg = NULL;
    held = NULL;
    m = NULL;
    gw = NULL;
    if (c == 'n') {
        rc = refuse(CM_ERR_NOMEM, 0, NULL);
        goto out;
    }
    if (c != -1 || conf == NULL || nrcpt == 0 || optind != argc) {
        if (c != 'h' && c != 'V')
            usage(stderr);
        rc = c == 'h' || c == 'V' ? EX_OK : EX_USAGE;
        goto out;
    }
    cm_log_open(progname, 1);
    if ((cfg = cm_config_load(conf, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s: %s\n", progname, err);
        rc = EX_CONFIG;
        goto out;
    }
    reject = cfg->on_error == CM_ONERROR_REJECT;
    /* Only the verdict goes to stderr unless -v asks for the log too. */
    cm_log_set_level(verbose ? cfg->log_level : -1);
    if (!verbose)
        quiet_fd2();
    if (dir_arg == NULL) {
        dir = cm_policy_direction(cfg, &facts, &why);
    } else if (cm_direction_parse(dir_arg, &dir) < 0) {
        fprintf(verdict_fp ? verdict_fp : stderr, "%s: --direction must be inbound or outbound\n",
                progname);
        rc = EX_USAGE;
        goto out;
    }
    if ((gw = cm_gateway_new(conf, cfg, CM_GATEWAY_ONCE, &st, err, sizeof(err))) == NULL) {
        fprintf(verdict_fp ? verdict_fp : stderr, "%s: %s\n", progname, err);
        rc = refuse(st, reject, NULL);
        goto out;
    }
    /* From here the gateway owns the configuration; the message holds it. */
    if (cm_gateway_hold(gw, cfg) < 0) {
        cfg = NULL;
        rc = refuse(CM_ERR_NOMEM, reject, NULL);
        goto out;
    }
    cfg = NULL;
    held = cm_confhold_get(gw->conf);
    if ((m = cm_gateway_msg(gw, held, qid)) == NULL) {
        rc = refuse(CM_ERR_NOMEM, reject, NULL);
        goto out;
    }
    cm_msg_set_direction(m, dir, why);
    /* The filter writes the message out itself: an oversize message that
     * is passed must be passed whole. */
    cm_msg_keep_oversize(m);
    st = cm_msg_sender(m, from);
    for (i = 0; i < nrcpt && st == CM_OK; i++)
        if ((st = cm_msg_rcpt(m, rcpts[i])) != CM_OK)
            break;
    if (st == CM_OK && (st = read_headers(m, &eof, &eol, &envline)) == CM_OK && !eof)
        st = read_body(m);
    if (st != CM_OK) {
        rc = refuse(st, reject, (st == CM_SPLIT_CLASS || st == CM_SPLIT_LOCAL || st == CM_NOKEY_POLICY
                                 || st == CM_NOKEY_POLICY_REJECT) && i < nrcpt ? rcpts[i] : NULL);
    } else {
        cm_msg_eom(m, &res);
        if (!res.refuse && write_message(m, &res, res.body ? "\r\n" : eol, &envline) < 0)
            cm_result_refuse(&res, CM_ERR_INTERNAL, "writing the output failed");
        cm_msg_report(m, &res);
        rc = res.refuse ? refuse(res.stat, cm_policy_rejects(held, res.stat), res.detail) : EX_OK;
        cm_result_free(&res);
    }
out:
    cm_buf_free(&envline);
    cm_msg_free(m);
    if (held != NULL)
        cm_confhold_put(gw->conf, held);
    cm_gateway_free(gw);
    cm_config_free(cfg);
    free(rcpts);
    if (verdict_fp != NULL)
        (void) fclose(verdict_fp);
    return rc;
}
