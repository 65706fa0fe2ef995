"""ComInError texts a plugin sees, caught with ``except comin.ComInError``."""
import json

import comin

report_path = comin.current_get_plugin_info().args[0]
caught = {}


def keep(key, exc):
    caught[key] = {"text": str(exc), "runtime_error": isinstance(exc, RuntimeError),
                   "key_error": isinstance(exc, KeyError)}
    comin.print_info(f"caught {key}: {exc}")


try:
    comin.callback_get_ep_name(666)
except comin.ComInError as exc:
    keep("unknown_ep", exc)

comin.var_request_add(("probe", 1), False)


@comin.EP_SECONDARY_CONSTRUCTOR
def too_late():
    try:
        @comin.EP_ATM_TIMELOOP_START
        def never():
            pass
    except comin.ComInError as exc:
        keep("late_registration", exc)
    try:
        comin.var_request_add(("another", 1), False)
    except comin.ComInError as exc:
        keep("late_request", exc)


@comin.EP_ATM_TIMELOOP_BEFORE
def unknown_variable():
    try:
        dict(comin.metadata(("no_such_field", 12)))
    except comin.ComInError as exc:
        keep("unknown_variable", exc)
    meta = comin.metadata(("probe", 1))
    caught["get_default"] = meta.get("no_such_key", "fallback")
    caught["has_units"] = "units" in meta
    try:
        comin.metadata_get(("probe", 1), "no_such_key")
    except KeyError as exc:
        keep("missing_key", exc)


@comin.EP_DESTRUCTOR
def write_report():
    with open(report_path, "w") as f:
        json.dump(caught, f)
