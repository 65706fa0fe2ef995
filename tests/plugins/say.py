"""Prints one line through comin (print_info) in its primary and its secondary constructor:
the reference points of the output order tests."""
import sys

import comin

tag = sys.argv[1] if len(sys.argv) > 1 else "say"
comin.print_info(f"{tag}: primary constructor")


@comin.EP_SECONDARY_CONSTRUCTOR
def secondary():
    comin.print_info(f"{tag}: secondary constructor")
