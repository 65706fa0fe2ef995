"""print_debug / print_info / print_warning at the top level and in a callback."""
import comin

comin.print_debug("debug from the primary constructor")
comin.print_info("info from the primary constructor")
comin.print_warning("warning from the primary constructor")


@comin.EP_DESTRUCTOR
def last_words():
    comin.print_info({"non-string": 1})
