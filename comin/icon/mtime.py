"""ICON's datetime strings, as its mtime library writes them (``datetimeToString``).

ICON hands ComIn its datetimes (``comin_current_set_datetime``, the simulation
interval) in ISO 8601 with milliseconds: ``2014-06-01T00:05:00.000``.  A plugin
that prints or parses ``comin.current_get_datetime()`` sees that form.
"""
from __future__ import annotations

import datetime as _dt


def datetime_string(t: _dt.datetime) -> str:
    """``t`` as ICON writes a datetime: ``YYYY-MM-DDThh:mm:ss.sss`` (no time zone)."""
    return t.replace(tzinfo=None).isoformat(timespec="milliseconds")
