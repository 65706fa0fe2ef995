"""ICON's ``&comin_nml`` namelist: the plugin list of a ComIn run.

ICON reads ``NAMELIST /comin_nml/ plugin_list`` where each entry is a
``t_comin_plugin_description``::

    &comin_nml
      plugin_list(1)%name           = "simple"
      plugin_list(1)%plugin_library = "libpython_adapter.so"
      plugin_list(1)%options        = "simple_python_plugin.py --hello=world"
      plugin_list(1)%comm           = ""
    /

Parsing uses f90nml; this module adds what f90nml leaves to its users:
unknown fields, wrong types, several values for one field, gaps in the
indices (f90nml returns ``None`` for them) and an index offset
(``start_index``) each give a clear error naming the file, the line where
possible and the field.  Missing fields take ComIn's defaults.  As in ICON,
an entry with an empty ``plugin_library`` and the default
``primary_constructor`` ends the list; comin refuses such an entry when later
entries are set instead of dropping them silently.
"""
from __future__ import annotations

import contextlib
import io
import re
from typing import List

from comin._adapter import PluginDescription
from comin._table import MAX_LEN

#: field -> (type, ComIn default, maximum length for strings)
FIELDS = {
    "name": (str, "", MAX_LEN["COMIN_MAX_LEN_PLUGIN_NAME"]),
    "plugin_library": (str, "", MAX_LEN["COMIN_MAX_LEN_PLUGIN_LIBRARY"]),
    "primary_constructor": (str, "comin_main", MAX_LEN["COMIN_MAX_LEN_PRIMARY_CONSTRUCTOR"]),
    "options": (str, "", MAX_LEN["COMIN_MAX_LEN_OPTIONS"]),
    "comm": (str, "", MAX_LEN["COMIN_MAX_LEN_COMM"]),
    "log_debug": (bool, False, None),
    "log_info": (bool, True, None),
    "log_warning": (bool, True, None),
}


class NamelistError(ValueError):
    """A ``&comin_nml`` namelist that ComIn cannot use; the message says why and where."""


def _unbalanced_quote(text: str) -> str:
    """``", line N (unterminated string?)"`` for the first line with an odd quote count."""
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("!", 1)[0]
        if code.count('"') % 2 or code.count("'") % 2 and code.count('"') == 0:
            return f", line {number} (unterminated string?)"
    return ""


def _line_of(text: str, pattern: str) -> str:
    """``", line N"`` of the first line matching ``pattern`` (case-insensitive), or ""."""
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(pattern, line, flags=re.IGNORECASE):
            return f", line {number}"
    return ""


_ENTRY = r"plugin_list\s*\(\s*{}\s*\)"


def _entry_line(text: str, index: int) -> str:
    """``", line N"`` of the first line that sets ``plugin_list(index)``."""
    return _line_of(text, _ENTRY.format(index))


def read_plugin_list(path: str) -> List[PluginDescription]:
    """The plugin list of ``&comin_nml`` in ``path``, in namelist order."""
    try:
        import f90nml
    except ImportError as exc:  # pragma: no cover - f90nml is a dependency
        raise NamelistError("reading a namelist needs f90nml (pip install f90nml)") from exc
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise NamelistError(f"cannot read namelist {path}: {exc.strerror}") from None
    try:
        with contextlib.redirect_stdout(io.StringIO()):   # f90nml prints on some errors
            nml = f90nml.reads(text)
    except Exception as exc:  # f90nml raises assorted errors (even AssertionError)
        detail = str(exc) or type(exc).__name__
        raise NamelistError(f"{path}{_unbalanced_quote(text)}: not a valid Fortran namelist "
                            f"({detail})") from None
    if "comin_nml" not in nml:
        groups = ", ".join(f"&{g}" for g in nml) or "none"
        raise NamelistError(f"{path}: no &comin_nml group (groups found: {groups})")
    group = nml["comin_nml"]
    unknown = [k for k in group if k != "plugin_list"]
    if unknown:
        line = _line_of(text, r"\b" + re.escape(unknown[0]) + r"\b")
        raise NamelistError(f"{path}{line}: unknown variable "
                            f"'{unknown[0]}' in &comin_nml (only plugin_list)")
    if "plugin_list" not in group:
        return []
    entries = group["plugin_list"]
    if not isinstance(entries, list):
        entries = [entries]
    start = group.start_index.get("plugin_list", [1])[0] or 1
    if start != 1:
        raise NamelistError(f"{path}{_entry_line(text, start)}: "
                            f"plugin_list starts at index {start}; ComIn reads plugin_list(1) first "
                            "and would see an empty entry there")
    plugins: List[PluginDescription] = []
    ended_at = None
    for i, entry in enumerate(entries, start=1):
        where = f"plugin_list({i})"
        if entry is None:
            ended_at = ended_at or i
            continue
        values = {}
        for key, value in entry.items():
            field = key.lower()
            if field not in FIELDS:
                line = _line_of(text, r"%\s*" + re.escape(key) + r"\b")
                raise NamelistError(
                    f"{path}{line}: unknown field "
                    f"'{key}' in {where} (known: {', '.join(FIELDS)})")
            kind, _default, limit = FIELDS[field]
            line = _line_of(text, _ENTRY.format(i) + r"\s*%\s*" + field + r"\b")
            if isinstance(value, list):
                raise NamelistError(f"{path}{line}: {where}%{field} has several values {value!r}; "
                                    "quote strings that contain spaces")
            if kind is bool and not isinstance(value, bool):
                raise NamelistError(f"{path}{line}: {where}%{field} must be .true. or .false., "
                                    f"got {value!r}")
            if kind is str:
                if not isinstance(value, str):
                    raise NamelistError(f"{path}{line}: {where}%{field} must be a quoted string, "
                                        f"got {value!r}")
                if len(value) > limit:
                    raise NamelistError(f"{path}{line}: {where}%{field} is longer than {limit} "
                                        "characters")
            values[field] = value
        full = {f: values.get(f, default) for f, (_k, default, _l) in FIELDS.items()}
        is_end = not full["plugin_library"].strip() and full["primary_constructor"] == "comin_main"
        if is_end:
            ended_at = ended_at or i
            if values:
                raise NamelistError(
                    f"{path}{_entry_line(text, i)}: {where} has no "
                    "plugin_library, which ends ComIn's plugin list (for a Python plugin set "
                    "plugin_library = \"libpython_adapter.so\" and the script in options)")
            continue
        if ended_at is not None:
            raise NamelistError(f"{path}{_entry_line(text, i)}: {where} "
                                f"follows the empty entry plugin_list({ended_at}), where ComIn's list "
                                "ends; number the plugins 1, 2, 3, ... without gaps")
        plugins.append(PluginDescription(**full))
    for p in plugins:
        if p.is_python:
            script = p.options.split()[0] if p.options.split() else ""
            if not script:
                raise NamelistError(f"{path}: plugin '{p.name or p.plugin_library}' uses the Python "
                                    "adapter but its options name no script")
    return plugins



__all__ = ["FIELDS", "NamelistError", "read_plugin_list"]
