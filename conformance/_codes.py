"""Which ComIn error code was provoked in which language during this test run."""
from collections import defaultdict

from comin import _table

NAMES = [row[0] for row in _table.ERROR_CODES]
SEEN = defaultdict(set)          # language -> {codes}

#: Codes that can arise through each language's API (the rest cannot: 0-2 are
#: not errors; 5 and 8 are allocation/cleanup failures of upstream's Fortran;
#: 14-16 and 26, 37 belong to shared-library plugins and C/Fortran pointers;
#: 18 cannot happen in a Python host, which always has a handler; 38 is
#: never raised).  C: the codes of the operations of the C driver
#: (conformance/c_driver/driver.c: requests, metadata, callbacks, var_get) and
#: of the host's entry-point call around C callbacks (35); the Fortran driver
#: comes with the Fortran plugin layer.
CAN_ARISE = {
    "python": {3, 4, 6, 7, 9, 10, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 27, 28, 29, 30, 31,
               32, 33, 34, 35, 36},
    "c": {4, 6, 9, 10, 11, 20, 21, 22, 23, 24, 27, 29, 30, 31, 32, 33, 34, 35, 36},
}


def record(language: str, code: int) -> None:
    SEEN[language].add(code)


def record_outcomes(language: str, outcomes) -> None:
    for *_rest, result in outcomes:
        if result[0] == "error":
            record(language, result[1])
