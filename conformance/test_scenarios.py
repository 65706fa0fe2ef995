"""Random scenarios around the fixed cases: hosts in Python, C and Fortran, each with
plugins in all three languages at once, every trace line equal to the model's."""
import pytest
from hypothesis import given, settings

from comin.testing.scenarios import first_difference, run, run_model, scenarios


def check(scn, host_language):
    expected = run_model(scn, host_language)
    got = run(scn, host_language)
    assert got == expected, first_difference(expected, got) + "\n\nscenario:\n" + scn.script()


@given(scenarios("python"))
def test_python_host(scn):
    check(scn, "python")


@given(scenarios("c"))
def test_c_host(scn):
    check(scn, "c")


@settings(max_examples=30)
@given(scenarios("fortran"))
def test_fortran_host(scn):
    check(scn, "fortran")
