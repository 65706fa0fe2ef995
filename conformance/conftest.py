"""The conformance suite: ComIn's behaviour as an executable specification.

The model (comin.testing.model) restates upstream ComIn's rules; drivers run the same
scenarios through comin's plugin APIs and host APIs in Python, C and Fortran, and every
trace line (results, error codes, callbacks, sync calls, array contents) must equal the
model's.  Deterministic cases (cases.py) cover every rule in every language; random
scenarios (hypothesis) explore around them.  ``test_zz_coverage.py`` (run last) prints
the rule x language table and fails on a gap.

Hypothesis profiles: ``ci`` (default, bounded) and ``thorough``
(``pytest conformance --hypothesis-profile=thorough``).
"""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser):
    parser.addoption("--mpi", action="store_true", default=False,
                     help="also run the parallel conformance tests under mpiexec on 1, 2 and 4 ranks")


@pytest.fixture(scope="session", autouse=True)
def _host_servers():
    """The C and Fortran host drivers run as servers for the whole session."""
    yield
    from comin.testing import scenarios
    for server in scenarios._servers.values():
        server.close()


# the fixtures comin ships for other suites (comin.testing.fixtures), used here too
from comin.testing.fixtures import comin_host, comin_model  # noqa: E402,F401
