"""The conformance suite: ComIn's behaviour as an executable specification.

Every scenario runs through the pure-Python model (comin.testing.model) and
through comin's APIs; results and error codes must be equal.  Error codes
seen per language are collected, and ``test_zz_coverage.py`` (run last)
prints the code x language table and fails when a code that can arise in a
language was never provoked.

Hypothesis profiles: ``ci`` (default, bounded) and ``thorough``
(``pytest conformance --hypothesis-profile=thorough``).
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser):
    parser.addoption("--mpi", action="store_true", default=False,
                     help="also run the parallel conformance tests under mpiexec on 1, 2 and 4 ranks")

# the fixtures comin ships for other suites (comin.testing.fixtures), used here too
from comin.testing.fixtures import comin_host, comin_model  # noqa: E402,F401
