"""A callback that raises: the run must end with the adapter's message."""
import comin


@comin.EP_SECONDARY_CONSTRUCTOR
def explode():
    raise ValueError("deliberate failure in the secondary constructor")


@comin.EP_ATM_TIMELOOP_START
def unreachable():
    print("the time loop ran after a failed callback")
