"""The integration harness: runner, corpus, oracles, milter client, daemon,
MTA instances, sink, message makers. No test cases: those are in suites/.
cmtest re-exports what most suites need."""
