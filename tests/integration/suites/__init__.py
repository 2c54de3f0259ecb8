"""The integration suites, one test_*.py per ctest (once per OpenPGP
backend), run as modules from tests/integration so that the harness package
is importable: python3 -m suites.test_filter --bindir BUILD/milter"""
