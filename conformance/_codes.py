"""Which ComIn error code was provoked in which language during this test run."""
from collections import defaultdict

from comin import _table

NAMES = [row[0] for row in _table.ERROR_CODES]
SEEN = defaultdict(set)          # language -> {codes}

#: Codes that can arise through each language's API (the rest cannot: 0-2 are
#: not errors; 5 and 8 are allocation/cleanup failures of upstream's Fortran;
#: 14-16 belong to shared-library plugins' initialisation; 26 and 37 to the C and
#: Fortran pointer getters; 18 cannot happen in a Python host, which always has a
#: handler; 38 is never raised).  C and Fortran: the codes of the operations of
#: the drivers (conformance/c_driver/driver.c, conformance/f_driver/driver.F90:
#: requests, metadata, callbacks, var_get, the typed pointer getters and the shape
#: of a null handle) and of the host's entry-point call around their callbacks (35).
_COMPILED = {4, 6, 9, 10, 11, 20, 21, 22, 23, 24, 26, 27, 29, 30, 31, 32, 33, 34, 35, 36, 37}
CAN_ARISE = {
    "python": {3, 4, 6, 7, 9, 10, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 27, 28, 29, 30, 31,
               32, 33, 34, 35, 36},
    "c": set(_COMPILED),
    "fortran": set(_COMPILED),
}


def record(language: str, code: int) -> None:
    SEEN[language].add(code)


def record_outcomes(language: str, outcomes) -> None:
    for *_rest, result in outcomes:
        if result[0] == "error":
            record(language, result[1])
