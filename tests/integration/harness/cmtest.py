"""Shared helpers for cryptmilter's integration tests.

Everything here checks cryptmilter's output independently of its own code:
Python's email package and a separate header splitter parse the output, and
gpg, Sequoia (sq) and RNP (rnp) decrypt it.
"""
# One import for the test scripts: the harness is split by concern into
# cmrun (runner), corpus, oracles, milterclient and daemon.
from .cmrun import (EXPORT, GNUPGHOME, KEYRING, Failure, args, check,
                    run_tests, workdir, write_config)
from .corpus import corpus
from .daemon import Milter
from .milterclient import MilterClient, MilterReply, apply_mods
from .oracles import (check_decrypts_only_for, check_decrypts_to, check_rfc3156, crlf, decrypt_all,
                      expected_entity, field_bytes, field_name, gpg_encrypt, outer_fields,
                      split_message)

__all__ = ["EXPORT", "GNUPGHOME", "KEYRING", "Failure", "args", "check", "run_tests", "workdir",
           "write_config", "corpus", "Milter", "MilterClient", "MilterReply", "apply_mods",
           "check_decrypts_only_for", "check_decrypts_to", "check_rfc3156", "crlf", "decrypt_all", "expected_entity",
           "field_bytes", "field_name", "gpg_encrypt", "outer_fields", "split_message"]
