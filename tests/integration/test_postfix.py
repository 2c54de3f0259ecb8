#!/usr/bin/env python3
"""cryptmilter inside a real, private Postfix (postfix -c DIR) on loopback:
the shared cases of mta_suite.py, and MissingKeyAction split with a second
Postfix as the sending client."""
import os
import time

import mta
from cmtest import args, check
from mta_suite import MtaSuite, final_reply


class PostfixSuite(MtaSuite):
    name = "postfix"

    def make_mta(self, base, relay_port, milter):
        return mta.PostfixInstance(base, relay_port, milter=milter)

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
            before = len(gw.sink.messages())
            r = self.swaks(client.port, ["alice@example.org", "nobody@example.org",
                                         "bob@example.org"], body="split canary")
            check(r.returncode == 0, "swaks to client: %s" % final_reply(r))
            end = time.time() + 60
            while time.time() < end and len(gw.sink.messages()) < before + 2:
                client.flush()
                time.sleep(1)
            msgs = gw.wait(before + 2)[before:]
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


PostfixSuite(args().bindir).run()
