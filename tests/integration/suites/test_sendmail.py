#!/usr/bin/env python3
"""cryptmilter inside a real, private Sendmail on loopback (the binary that
tests/fetch-sendmail.sh unpacked, with INPUT_MAIL_FILTER from
packaging/sendmail.mc): the shared cases of mta_suite.py, Sendmail's own
bounces, and MissingKeyAction split as a Sendmail client sees it."""
from harness.cmtest import args, check
from harness.mta_sendmail import SendmailInstance
from .mta_suite import MtaSuite, final_reply


class SendmailSuite(MtaSuite):
    name = "sendmail"

    def make_mta(self, base, relay_port, milter):
        return SendmailInstance(base, relay_port, milter=milter)

    def test_bounce_quotes_headers_only(self):
        # Sendmail's own bounces never reach a milter; packaging/sendmail.mc
        # sets nobodyreturn so that a bounce to a local user carries the
        # original header but not its body.
        got = self.bounce_to_alice("bounce canary")
        check(b"nosuchuser@ext.example" in got and b"text/rfc822-headers" in got,
              "not a headers-only bounce")
        check(b"bounce canary" not in got, "the bounce quoted the message body")

    def test_split_defers_other_class_at_rcpt(self):
        # alice and bob have keys, nobody has none: nobody gets 452 4.5.3 at
        # RCPT, the others' copy arrives encrypted; nobody's own transaction
        # then arrives as it was sent.
        gw = self.gw
        with gw.arrivals() as msgs:
            r = self.swaks(gw.mta.port, ["alice@example.org", "nobody@example.org",
                                         "bob@example.org"], body="split canary")
            check("452 4.5.3" in r.stdout, "no 452 4.5.3 for the keyless recipient: %s"
                  % final_reply(r))
            check(r.returncode == 0, "swaks: %s" % final_reply(r))
        env, got = msgs[0]
        check(sorted(env["rcpts"]) == ["<alice@example.org>", "<bob@example.org>"],
              "envelope %r" % env)
        check(b"X-Cryptmilter: encrypted pgp-mime" in got and b"split canary" not in got,
              "keyed copy not encrypted")
        with gw.arrivals() as msgs:
            r = self.swaks(gw.mta.port, ["nobody@example.org"], body="split canary")
            check(r.returncode == 0, "swaks: %s" % final_reply(r))
        env, got = msgs[0]
        check(env["rcpts"] == ["<nobody@example.org>"], "envelope %r" % env)
        check(b"X-Cryptmilter: skipped no-key" in got and b"split canary" in got,
              "keyless copy not delivered as is")


if __name__ == "__main__":
    SendmailSuite(args().bindir).run()
