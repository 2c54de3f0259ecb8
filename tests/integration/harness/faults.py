"""Fault injection for the OpenPGP engine: gpg wrappers named by the
configuration's GpgProgram, never a change to the system's gpg. Each
wrapper passes every gpg run through unchanged except encryption, which
it breaks in one way."""
import os
import shutil
import stat

GPG = shutil.which("gpg") or "/usr/bin/gpg"

# What the wrapper does instead of (or around) an encryption run.
MODES = {
    # gpg exits at once, no status line, no output.
    "exit0": 'exit 0',
    "exit2": 'exit 2',
    # Success reported on the status fd, output cut after 300 bytes.
    "half": '"$GPG" "$@" | head -c 300; exit 0',
    # Success reported, output cut after 200000 bytes: pieces of a long
    # message's ciphertext go on to the MTA before its end shows it short.
    "cut": '"$GPG" "$@" | head -c 200000; exit 0',
    # Works, but stops for 2.5 s after 100000 bytes of output: body
    # replacement has begun and the engine is still at work.
    "pause": '"$GPG" "$@" | { dd bs=100000 count=1 iflag=fullblock 2>/dev/null; sleep 2.5; cat; }; exit 0',
    # Success reported, but what reaches us is an armor of garbage.
    "garbage": '"$GPG" "$@" >/dev/null; printf -- "-----BEGIN PGP MESSAGE-----\\n\\n'
               'Z2FyYmFnZSBnYXJiYWdl\\n-----END PGP MESSAGE-----\\n"; exit 0',
    # Success reported, and what reaches us is OpenPGP, but the message
    # itself: --store makes a literal data packet of it, no encryption.
    "store": 'for a; do shift; [ "$a" = --encrypt ] && a=--store; set -- "$@" "$a"; done; '
             'exec "$GPG" "$@"',
    # Killed while the caller still writes the message to it.
    "killed": 'for a; do last=$a; done; eval "head -c 2000 <&${last#-&}" >/dev/null; kill -9 $$',
    # Hangs: reads nothing, answers nothing.
    "hang": 'echo $$ >>"$0.pids"; exec sleep 1000',
    # Works, and records the signal mask it was started with.
    "sigmask": 'grep SigBlk /proc/self/status >>"$0.sigmask"; exec "$GPG" "$@"',
}


def wrapper(dirpath, mode):
    """Write a gpg wrapper breaking encryption per mode; return its path."""
    path = os.path.join(dirpath, "gpg-" + mode)
    with open(path, "w") as f:
        f.write('#!/bin/sh\nGPG=%s\ncase " $* " in\n*" --encrypt "*) %s ;;\nesac\n'
                'exec "$GPG" "$@"\n' % (GPG, MODES[mode]))
    os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    return path


def pids_alive(path):
    """The pids a hang wrapper recorded that still run."""
    if not os.path.exists(path):
        return []
    alive = []
    for line in open(path).read().split():
        try:
            with open("/proc/%s/stat" % line) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":        # a zombie has died; its reaper is not us
            alive.append(int(line))
    return alive
