#!/usr/bin/env python3
"""Metrics (issue 25): the daemon is sent a known mix of messages over the
milter protocol; StatsFile, parsed by a strict reader of the Prometheus
text exposition format, and the SIGUSR1 summary line must count exactly
what was sent. StatsFile is replaced atomically (0644, no temporary file
left) and written once more at a clean stop."""
import os
import re
import shutil
import signal
import stat
import subprocess
import time

from harness import sender as S
from harness.cmtest import GNUPGHOME, Failure, Milter, args, check, corpus, run_tests, workdir

BINDIR = None
TMP = None

# ------------------------------------------------------------ the format

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(r"^(%s)(?:\{(.*)\})? (\S+)(?: -?\d+)?$" % NAME)
VALUE = re.compile(r"^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]Inf|NaN)$")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def parse(text):
    """{(name, frozenset(labels)): value}; raises on anything the text
    format does not allow: a sample before its family's TYPE, a TYPE or
    HELP twice, a series twice, a bad value, a missing final newline, a
    histogram whose buckets are not cumulative or whose +Inf is not its
    count, a negative counter."""
    check(text.endswith("\n"), "the file does not end with a newline")
    types, helps, series = {}, set(), {}
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = "line %d %r" % (n, line)
        if line.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) (%s) (.+)$" % NAME, line)
            check(m is not None, "bad comment: " + where)
            kind, name, rest = m.groups()
            if kind == "HELP":
                check(name not in helps, "HELP twice: " + where)
                helps.add(name)
            else:
                check(name not in types and rest in TYPES, "bad or second TYPE: " + where)
                types[name] = rest
            continue
        m = SAMPLE.match(line)
        check(m is not None, "malformed sample: " + where)
        name, body, value = m.groups()
        check(body is None or re.fullmatch(r"(%s)(,%s)*,?" % (LABEL, LABEL), body) is not None,
              "malformed labels: " + where)
        labels = dict(re.findall(LABEL, body or ""))
        check(VALUE.match(value) is not None, "bad value: " + where)
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        family = family if types.get(family) == "histogram" else name
        check(family in types, "sample before its TYPE: " + where)
        if types[family] == "counter":
            check(float(value) >= 0, "negative counter: " + where)
        key = (name, frozenset(labels.items()))
        check(key not in series, "series twice: " + where)
        series[key] = float(value)
    for family, t in types.items():
        if t == "histogram":
            check_histogram(series, family)
    return series


def check_histogram(series, family):
    groups = {}
    for (name, labels), v in series.items():
        if name == family + "_bucket":
            d = dict(labels)
            le = d.pop("le")
            groups.setdefault(frozenset(d.items()), []).append((float(le), v))
    for labels, buckets in groups.items():
        buckets.sort()
        counts = [v for _, v in buckets]
        check(counts == sorted(counts), "%s%s: buckets not cumulative" % (family, dict(labels)))
        check(buckets[-1][0] == float("inf"), "%s: no +Inf bucket" % family)
        check(series.get((family + "_count", labels)) == buckets[-1][1],
              "%s%s: +Inf bucket is not the count" % (family, dict(labels)))
        check((family + "_sum", labels) in series, "%s: no _sum" % family)


def test_parser_rejects_malformed():
    good = "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"b\"} 3\n"
    check(parse(good) == {("x_total", frozenset({("a", "b")})): 3.0}, "good text misread")
    for bad in [good[:-1], good + "x_total{a=\"b\"} 4\n", good + "y 1\n",
                good.replace("3\n", "three\n"), good.replace('a="b"', "a=b"),
                good + "# TYPE x_total counter\n", good.replace("3\n", "-1\n"),
                "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                "h_sum 0\nh_count 1\n"]:
        try:
            parse(bad)
        except Failure:
            continue
        raise Failure("malformed text accepted: %r" % bad)


# ------------------------------------------------------------ the mix

def stats_milter(name, **conf):
    base = {"OutboundDaemons": "submission", "GatewayKeys": S.gateway_fpr(),
            "ReplayCache": os.path.join(TMP, name + "-replay"), "MissingKeyAction": "split",
            "MaxMessageSize": "64K", "StatsFile": os.path.join(TMP, name + "-stats",
                                                              "cryptmilter.prom"),
            "StatsInterval": "1s"}
    base.update(conf)
    os.makedirs(os.path.dirname(base["StatsFile"]), exist_ok=True)
    return Milter(BINDIR, TMP, name, **base), base["StatsFile"]


def send(m, sender, rcpts, msg, daemon=None):
    c = m.client()
    c.connect(**({"daemon": daemon} if daemon else {}))
    try:
        return c.transaction(sender, rcpts, msg)
    finally:
        c.close()


def reply(res):
    return res["reply"][0], (res["reply"][1] or "")[:3]


def read_series(path):
    with open(path) as f:
        return parse(f.read())


def value(series, name, **labels):
    return series.get((name, frozenset(labels.items())), 0.0)


N_ENCRYPTED = 3


def expected():
    """What the mix below must count: (metric, labels) -> value."""
    return {("cryptmilter_encrypted_total", (("format", "pgpmime"),)): N_ENCRYPTED,
            ("cryptmilter_encrypted_total", (("format", "smime"),)): 0,
            ("cryptmilter_skipped_total", (("reason", "no-key"),)): 2,
            ("cryptmilter_skipped_total", (("reason", "outbound"),)): 1,
            ("cryptmilter_skipped_total", (("reason", "oversize"),)): 0,
            ("cryptmilter_skipped_total", (("reason", "already-encrypted"),)): 0,
            ("cryptmilter_deferred_total", (("code", "452"), ("reason", "oversize"))): 1,
            ("cryptmilter_refused_total", (("code", "550"), ("reason", "unsigned"))): 1,
            ("cryptmilter_refused_total", (("code", "550"), ("reason", "replay"))): 1,
            ("cryptmilter_decrypted_total", (("format", "pgpmime"),)): 1,
            ("cryptmilter_decrypted_total", (("format", "pgpinline"),)): 0,
            ("cryptmilter_gate_refusals_total", (("cause", "unsigned"),)): 1,
            ("cryptmilter_gate_refusals_total", (("cause", "replay"),)): 1,
            ("cryptmilter_gate_refusals_total", (("cause", "bad-signature"),)): 0,
            ("cryptmilter_replay_hits_total", ()): 1,
            ("cryptmilter_engine_seconds_count", (("op", "encrypt"),)): N_ENCRYPTED,
            # the decrypted one, its replay and the unsigned one
            ("cryptmilter_engine_seconds_count", (("op", "decrypt"),)): 3,
            ("cryptmilter_keyring_reloads_total", ()): 0}


def mismatches(series, want):
    return ["%s%s = %s, sent %s" % (n, dict(l), value(series, n, **dict(l)), v)
            for (n, l), v in want.items() if value(series, n, **dict(l)) != v]


def send_mix(m):
    """The mix, each answer checked as it comes: the counters must then say
    what the MTA was told."""
    msg = corpus()[0][1]
    for i in range(N_ENCRYPTED):
        res = send(m, "s@ext.example", ["alice@example.org"], msg)
        check(reply(res)[0] == b"c" and b"multipart/encrypted" in res["message"],
              "encrypted %d: %r" % (i, res["reply"]))
    for who in ("nobody@example.org", "nobody2@example.org"):
        res = send(m, "s@ext.example", [who], b"Subject: no key\n\nplain\n")
        check(reply(res)[0] == b"c" and b"X-Cryptmilter: skipped no-key" in res["message"],
              "no key: %r" % (res["reply"],))
    res = send(m, "s@ext.example", ["alice@example.org"],
               b"Subject: big\n\n" + b"x" * 100 + b"\n" * 70000)
    check(reply(res) == (b"y", "452"), "oversize: %r" % (res["reply"],))
    res = send(m, "alice@example.org", ["x@ext.example"], b"Subject: clear\n\nnot ours\n",
               daemon="submission")
    check(reply(res)[0] == b"c" and res["mods"] == [], "outbound clear: %r" % (res["reply"],))
    enc = S.pgp_mime(S.sign_encrypt("gpg", S.entity_text(S.canary()), TMP))
    res = send(m, "alice@example.org", ["x@ext.example"], enc, daemon="submission")
    check(reply(res)[0] == b"c", "decrypted: %r" % (res["reply"],))
    res = send(m, "alice@example.org", ["x@ext.example"], enc, daemon="submission")
    check(reply(res) == (b"y", "550"), "replay: %r" % (res["reply"],))
    unsigned = S.pgp_mime(S.sign_encrypt("gpg", S.entity_text(S.canary()), TMP, signer=None))
    res = send(m, "alice@example.org", ["x@ext.example"], unsigned, daemon="submission")
    check(reply(res) == (b"y", "550"), "unsigned: %r" % (res["reply"],))


def test_counts_equal_what_was_sent():
    start = time.time()
    m, path = stats_milter("mix")
    try:
        send_mix(m)
        want = expected()
        # Written every second: wait for a file that has all of it.
        deadline, bad = time.time() + 10, ["no file"]
        while time.time() < deadline and bad:
            time.sleep(0.3)
            if os.path.exists(path):
                series = read_series(path)
                bad = mismatches(series, want)
        check(not bad, "StatsFile: " + "; ".join(bad))
        st = os.stat(path)
        check(stat.S_IMODE(st.st_mode) == 0o644, "StatsFile mode %o" % stat.S_IMODE(st.st_mode))
        check(os.listdir(os.path.dirname(path)) == ["cryptmilter.prom"],
              "left beside it: %r" % os.listdir(os.path.dirname(path)))
        loaded = value(series, "cryptmilter_keyring_loaded_timestamp_seconds")
        check(start - 1 <= loaded <= time.time() + 1, "keyring loaded at %s" % loaded)
        age = value(series, "cryptmilter_keyring_age_seconds")
        check(0 <= age <= time.time() - start + 1, "keyring age %s" % age)
        enc_sum = value(series, "cryptmilter_engine_seconds_sum", op="encrypt")
        check(0 < enc_sum < time.time() - start, "engine time %s" % enc_sum)

        m.p.send_signal(signal.SIGUSR1)
        m.wait_log(b"stats: encrypted=3 (pgpmime=3, smime=0) skipped=3 deferred=1 refused=2 "
                   b"decrypted=1 gate=2 replay=1 reloads=0 keyring_age=")
        with open(m.log.name, "rb") as f:
            line = [x for x in f.read().split(b"\n") if b"stats: " in x][-1]
        check(re.search(rb"keyring_age=\d+s$", line) is not None, "summary %r" % line)
    finally:
        m.stop()
    # The clean stop wrote it once more: the same counts.
    bad = mismatches(read_series(path), expected())
    check(not bad, "StatsFile at exit: " + "; ".join(bad))


def test_written_at_clean_exit():
    # An hour between writes: the one at start has nothing; the stop's has
    # the message.
    m, path = stats_milter("exit", StatsInterval="1h")
    try:
        deadline = time.time() + 10
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.1)
        check(value(read_series(path), "cryptmilter_skipped_total", reason="no-key") == 0,
              "the first write counts a message not yet sent")
        res = send(m, "s@ext.example", ["nobody@example.org"], b"Subject: x\n\nplain\n")
        check(reply(res)[0] == b"c", "no key: %r" % (res["reply"],))
        m.wait_log(b"skipped no-key")
    finally:
        m.stop()
    check(value(read_series(path), "cryptmilter_skipped_total", reason="no-key") == 1,
          "StatsFile not written at the clean stop")


def test_reject_setting_picks_the_code():
    # The same oversize message: under OversizeAction reject it is refused
    # 552, and counted so, not as a deferral.
    m, path = stats_milter("reject", OversizeAction="reject")
    try:
        res = send(m, "s@ext.example", ["alice@example.org"],
                   b"Subject: big\n\n" + b"x" * 100 + b"\n" * 70000)
        check(reply(res) == (b"y", "552"), "oversize: %r" % (res["reply"],))
        series = wait_for(path, "cryptmilter_refused_total", 1, code="552", reason="oversize")
        check(not [k for k in series if k[0] == "cryptmilter_deferred_total"],
              "a deferral series for a refusal")
    finally:
        m.stop()


def test_keyring_reload_counted():
    # A keyring of its own (the public keys; encryption needs no agent),
    # replaced between two messages.
    kr = os.path.join(TMP, "kr")
    os.makedirs(kr, mode=0o700)
    for f in ("pubring.kbx", "trustdb.gpg"):
        shutil.copy(os.path.join(GNUPGHOME, f), os.path.join(kr, f))
    m, path = stats_milter("reload", KeyringDir=kr)
    try:
        res = send(m, "s@ext.example", ["alice@example.org"], corpus()[0][1])
        check(reply(res)[0] == b"c", "first: %r" % (res["reply"],))
        first = wait_for(path, "cryptmilter_encrypted_total", 1, format="pgpmime")
        check(value(first, "cryptmilter_keyring_reloads_total") == 0, "reloaded already")
        time.sleep(1.1)
        shutil.copy(os.path.join(GNUPGHOME, "pubring.kbx"), os.path.join(kr, "new"))
        os.rename(os.path.join(kr, "new"), os.path.join(kr, "pubring.kbx"))
        res = send(m, "s@ext.example", ["alice@example.org"], corpus()[0][1])
        check(reply(res)[0] == b"c", "second: %r" % (res["reply"],))
        second = wait_for(path, "cryptmilter_encrypted_total", 2, format="pgpmime")
        check(value(second, "cryptmilter_keyring_reloads_total") == 1,
              "reloads %s" % value(second, "cryptmilter_keyring_reloads_total"))
        check(value(second, "cryptmilter_keyring_loaded_timestamp_seconds")
              > value(first, "cryptmilter_keyring_loaded_timestamp_seconds"),
              "the load time did not move")
    finally:
        m.stop()
        subprocess.run(["gpgconf", "--homedir", kr, "--kill", "all"], check=False)


def wait_for(path, name, want, **labels):
    """The file's series once name{labels} is want (written every second)."""
    deadline, series = time.time() + 10, {}
    while time.time() < deadline:
        if os.path.exists(path):
            series = read_series(path)
            if value(series, name, **labels) == want:
                return series
        time.sleep(0.2)
    raise Failure("%s%s is %s, want %s" % (name, labels, value(series, name, **labels), want))


def test_without_statsfile_sigusr1_still_logs():
    m = Milter(BINDIR, TMP, "nostats")
    try:
        m.p.send_signal(signal.SIGUSR1)
        m.wait_log(b"stats: encrypted=0 (pgpmime=0, smime=0) skipped=0 deferred=0 refused=0 "
                   b"decrypted=0 gate=0 replay=0 reloads=0 keyring_age=")
        check(m.p.poll() is None, "SIGUSR1 stopped the daemon")
    finally:
        m.stop()


def main():
    global BINDIR, TMP
    BINDIR = args().bindir
    TMP = workdir()
    run_tests([(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")])


if __name__ == "__main__":
    main()
