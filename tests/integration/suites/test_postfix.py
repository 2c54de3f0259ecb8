#!/usr/bin/env python3
"""cryptmilter inside a real, private Postfix (postfix -c DIR) on loopback:
the shared cases of mta_suite.py, Postfix's own bounces, and
MissingKeyAction split with a second Postfix as the sending client."""
import os

from harness import mta
from harness.cmtest import args, check
from .mta_suite import MtaSuite, final_reply


class PostfixSuite(MtaSuite):
    name = "postfix"

    def make_mta(self, base, relay_port, milter):
        return mta.PostfixInstance(base, relay_port, milter=milter)

    def test_bounce_to_local_user_is_encrypted(self):
        # alice's outbound message is refused by the far side (the sink has
        # no "nosuchuser"), so Postfix bounces it to her, quoting it. The
        # bounce reaches the milter (internal_mail_filter_classes) from
        # 127.0.0.1, which is not an internal host, and arrives encrypted.
        got = self.bounce_to_alice("bounce canary")
        check(b"bounce canary" not in got, "the bounce quoted the message in plaintext")
        check(b"X-Cryptmilter: encrypted pgp-mime" in got, "the bounce was not encrypted")
        self.only_for(got, "alice")

    def test_split_with_postfix_as_client(self):
        # A second Postfix (no milter) relays to the gateway. The gateway
        # defers the recipient of the other class with 452 4.5.3; the client
        # retries it in a transaction of its own; every copy arrives, each
        # correct.
        gw = self.gw
        client = mta.PostfixInstance(os.path.join(self.tmp, "client"), gw.mta.port, milter=False,
                                     name="client")
        client.start()
        try:
            # The client's retry waits in its queue: flushed each second.
            with gw.arrivals(2, timeout=90, poke=client.flush, every=1) as msgs:
                r = self.swaks(client.port, ["alice@example.org", "nobody@example.org",
                                             "bob@example.org"], body="split canary")
                check(r.returncode == 0, "swaks to client: %s" % final_reply(r))
            check("452 4.5.3" in client.log(), "the client never saw 452 4.5.3")
            byrcpt = {tuple(sorted(e["rcpts"])): m for e, m in msgs}
            check(set(byrcpt) == {("<alice@example.org>", "<bob@example.org>"),
                                  ("<nobody@example.org>",)}, "envelopes %r" % list(byrcpt))
            enc = byrcpt[("<alice@example.org>", "<bob@example.org>")]
            plain = byrcpt[("<nobody@example.org>",)]
            check(b"X-Cryptmilter: encrypted pgp-mime" in enc and b"split canary" not in enc,
                  "keyed copy not encrypted")
            check(b"X-Cryptmilter: skipped no-key" in plain and b"split canary" in plain,
                  "keyless copy not delivered as is")
            check(client.queue_ids() == [], "mail left in the client queue")
        finally:
            client.stop()


if __name__ == "__main__":
    PostfixSuite(args().bindir).run()
