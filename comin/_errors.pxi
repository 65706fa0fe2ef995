# Error codes and the exceptions that carry them.

#: The active session (None when no host has set ComIn up).
cdef _State _state = None

_ERROR_NAMES = tuple(row[0] for row in _table.ERROR_CODES)
_ERROR_MESSAGES = tuple(row[1] for row in _table.ERROR_CODES)
_EP_NAMES = ("UNKNOWN",) + tuple(_table.ENTRY_POINTS)


def error_category(int code):
    """ComIn's category of an error code ("SUCCESS", "INFO", ..., "FATAL ERROR")."""
    return _table.error_category(code)


def error_get_message(int code):
    """``(category, message)`` of an error code, as ``comin_error_get_message``."""
    if code < 0 or code >= NUM_ERROR_CODES:
        raise ValueError(f"unknown ComIn error code {code}")
    return _table.error_category(code), _ERROR_MESSAGES[code]


class ComInError(RuntimeError):
    """A ComIn rule was broken.

    ``str(exc)`` starts as ComIn's Python adapter words it
    (``"ERROR: <message>\\n<detail>"``); a last line names the plugin and the
    entry point when there is one.  Attributes: ``code`` (ComIn error code),
    ``name`` (e.g. ``"COMIN_ERROR_VAR_GET_VARIABLE_NOT_FOUND"``),
    ``category``, ``message``, ``detail``, ``plugin`` and ``entry_point``
    (``None`` when the error arose outside a plugin / entry point).
    """

    def __init__(self, code, detail="", plugin=None, entry_point=None):
        self.code = code
        self.name = _ERROR_NAMES[code]
        self.category = _table.error_category(code)
        self.message = _ERROR_MESSAGES[code]
        self.detail = detail
        self.plugin = plugin
        self.entry_point = entry_point
        text = f"{self.category}: {self.message}\n{detail}"
        where = []
        if plugin is not None:
            where.append(f"plugin '{plugin}'")
        if entry_point is not None:
            where.append(f"entry point {entry_point}")
        if where:
            text += "\n(" + ", ".join(where) + ")"
        super().__init__(text)


class ComInKeyError(ComInError, KeyError):
    """A metadata key is missing (a ``KeyError``, code COMIN_ERROR_METADATA_KEY_NOT_FOUND)."""

    def __str__(self):
        return RuntimeError.__str__(self)


class ComInFinish(SystemExit):
    """The run was ended by ``finish`` (a plugin's, the core's, or the host's).

    A ``SystemExit`` subclass: a plugin's ``except Exception`` does not
    swallow it, and uncaught it ends the interpreter with status 1 and the
    message ``"<routine>: <text>"``.  ``routine`` and ``text`` are ComIn's
    arguments of ``finish``.
    """

    def __init__(self, routine, text):
        self.routine = routine
        self.text = text
        super().__init__(f"{routine}: {text}")


cdef object _err(int code, str detail=""):
    """A ComInError for ``code`` carrying the current plugin and entry point."""
    cdef _State st = _state
    plugin = None
    ep = None
    if st is not None:
        if st.d.cur_pid:
            plugin = st._current().name
            if st.d.cur_ep > 0:
                ep = _EP_NAMES[st.d.cur_ep]
    if code == COMIN_ERROR_METADATA_KEY_NOT_FOUND:
        return ComInKeyError(code, detail, plugin, ep)
    return ComInError(code, detail, plugin, ep)
