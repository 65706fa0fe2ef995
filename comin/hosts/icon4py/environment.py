"""Where the icon4py host runs: its own virtual environment and gt4py's build cache.

icon4py 0.4.1 needs Python >= 3.12 and comin's main Python may be older, so
the host lives in a virtual environment of its own, made by
``tools/install_icon4py.sh`` (icon4py, icon4py-driver, icon-grid-generator
and comin itself, built for that Python).  ``comin run --host icon4py`` from
any other Python hands over to that environment's interpreter, which runs
the same command line (:func:`handover`; the seam is
:meth:`comin.cli.extensions.HostCommand.hand_over`).

gt4py compiles icon4py's stencils to C++ on first use (about 40 programs per
grid size and level count, ~20 minutes on two cores).  They are kept only in
a persistent build cache: :func:`configure_gt4py` points gt4py at one under
the user's cache directory before gt4py is imported.

Nothing here imports icon4py or gt4py: this module runs on any Python.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Callable, List, Optional, Sequence

#: the versions the host is written against (its hooks use the 0.4.1 driver's methods)
ICON4PY_VERSION = "0.4.1"
REQUIREMENTS = ("icon4py==0.4.1", "icon4py-driver==0.4.1", "icon-grid-generator==0.9.0")
#: the Python of the virtual environment (3.13: icon4py's moist physics hits CPython
#: 3.12's C recursion limit while gt4py generates its code)
PYTHON_VERSION = "3.13"
#: environment variables that move the virtual environment and the gt4py cache
VENV_VARIABLE = "COMIN_ICON4PY_VENV"
CACHE_VARIABLE = "COMIN_GT4PY_CACHE_DIR"
#: what to run when the virtual environment is missing (relative to a comin checkout)
INSTALL_COMMAND = "bash tools/install_icon4py.sh"
#: set in the environment of a handed-over command (no second hand-over from there)
HANDED_OVER = "COMIN_ICON4PY_HANDED_OVER"
#: file in the virtual environment: digest of the comin sources installed there
STAMP = "comin-source.sha256"
#: generated at build time, so not part of the sources' digest
_GENERATED = {"_constants.pxi", "_capi_table.pxi", "_capi_descrdata.pxi"}


class NotInstalled(RuntimeError):
    """The icon4py virtual environment is missing; the message says how to make it."""


def cache_home() -> Path:
    """``$XDG_CACHE_HOME``, else ``~/.cache``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def venv_dir() -> Path:
    """The icon4py virtual environment: ``$COMIN_ICON4PY_VENV``, else
    ``<cache home>/comin/icon4py-venv``."""
    given = os.environ.get(VENV_VARIABLE)
    return Path(given) if given else cache_home() / "comin" / "icon4py-venv"


def venv_python() -> Path:
    return venv_dir() / "bin" / "python"


def gt4py_cache_dir() -> Path:
    """gt4py's persistent build cache: ``$COMIN_GT4PY_CACHE_DIR``, else
    ``<cache home>/comin/gt4py`` (gt4py adds ``.gt4py_cache`` below it)."""
    given = os.environ.get(CACHE_VARIABLE)
    return Path(given) if given else cache_home() / "comin" / "gt4py"


def configure_gt4py() -> Path:
    """Make gt4py keep compiled programs across runs; returns the cache directory.

    Sets ``GT4PY_BUILD_CACHE_LIFETIME=persistent`` and ``GT4PY_BUILD_CACHE_DIR``
    unless the user set them, before gt4py reads them at import.  If gt4py is
    already imported its configuration is updated in place.
    """
    os.environ.setdefault("GT4PY_BUILD_CACHE_LIFETIME", "persistent")
    os.environ.setdefault("GT4PY_BUILD_CACHE_DIR", str(gt4py_cache_dir()))
    base = Path(os.environ["GT4PY_BUILD_CACHE_DIR"])
    base.mkdir(parents=True, exist_ok=True)
    config = sys.modules.get("gt4py.next.config")
    if config is not None:
        config.BUILD_CACHE_LIFETIME = config.BuildCacheLifetime[
            os.environ["GT4PY_BUILD_CACHE_LIFETIME"].upper()]
        config.BUILD_CACHE_DIR = base / ".gt4py_cache"
    return base / ".gt4py_cache"


def icon4py_here() -> bool:
    """True when this interpreter can run the host (Python >= 3.12 with icon4py's driver)."""
    if sys.version_info < (3, 12):
        return False
    import importlib.util
    try:
        return importlib.util.find_spec("icon4py.model.driver") is not None
    except (ImportError, ValueError):
        return False


def source_digest(package_dir: Optional[os.PathLike] = None) -> str:
    """A digest of comin's Python/Cython sources in ``package_dir`` (default: this comin).

    The install script stores it in the virtual environment; a hand-over from
    a checkout whose sources differ warns that the environment's comin is stale.
    """
    root = Path(package_dir) if package_dir else Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".py", ".pyx", ".pxd", ".pxi") or path.name in _GENERATED:
            continue
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _checkout_root() -> Optional[Path]:
    """The comin checkout this package is in (has tools/install_icon4py.sh), if any."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / "tools" / "install_icon4py.sh").is_file() else None


def install_hint() -> str:
    """One line: how to make the virtual environment."""
    root = _checkout_root()
    where = f" (in {root})" if root is not None else " (in a comin checkout)"
    return f"run '{INSTALL_COMMAND}'{where}; it makes {venv_dir()}"


def _clean_pythonpath(value: str) -> str:
    """PYTHONPATH without entries that hold a comin package: the environment's own comin
    (built for its Python) must be the one imported there."""
    keep = [p for p in value.split(os.pathsep)
            if p and not (Path(p) / "comin" / "__init__.py").is_file()]
    return os.pathsep.join(keep)


def handover_command(argv: Sequence[str]) -> List[str]:
    """The command that runs ``comin ARGV`` in the virtual environment (``ARGV``: the
    command line after ``comin``, e.g. ``run --host icon4py ...``); :class:`NotInstalled`
    when the environment is missing, or when this process was itself started by a hand-over
    (its interpreter cannot import icon4py either: no second hand-over, no loop)."""
    python = venv_python()
    if os.environ.get(HANDED_OVER):
        raise NotInstalled(f"icon4py cannot be imported by {sys.executable}, the interpreter "
                           f"comin handed over to: {install_hint()} again")
    if not python.exists():
        raise NotInstalled(f"icon4py is not installed for comin: {install_hint()}")
    return [str(python), "-m", "comin", *argv]


def stale_warning() -> Optional[str]:
    """A one-line warning when the environment's comin was built from other sources."""
    stamp = venv_dir() / STAMP
    root = _checkout_root()
    if root is None or not stamp.is_file():
        return None
    if stamp.read_text().strip() == source_digest(root / "comin"):
        return None
    return (f"the comin in {venv_dir()} was built from other sources than {root}: "
            f"rerun '{INSTALL_COMMAND}' to update it")


def handover(argv: Sequence[str], warn: Callable[[str], None]) -> int:
    """Replace this process by the virtual environment's interpreter running ``comin ARGV``
    (:func:`handover_command`); ``warn(line)`` says when that comin is stale.

    Returns only when the interpreter cannot be started (2, after ``warn``);
    :class:`NotInstalled` when the environment is missing.
    """
    cmd = handover_command(argv)
    warning = stale_warning()
    if warning:
        warn(f"warning: {warning}")
    env = dict(os.environ)
    env[HANDED_OVER] = "1"
    if "PYTHONPATH" in env:
        env["PYTHONPATH"] = _clean_pythonpath(env["PYTHONPATH"])
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(cmd[0], cmd, env)
    except OSError as exc:
        warn(f"cannot start {cmd[0]}: {exc.strerror}")
    return 2
