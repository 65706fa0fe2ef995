"""``comin run --host icon4py`` from comin's main Python, where icon4py cannot run.

No icon4py needed: the command checks its input here, then replaces itself by
the icon4py virtual environment's interpreter running the same command line
(the icon4py host's :meth:`~comin.cli.extensions.HostCommand.hand_over`).  A fake environment (a
``bin/python`` script that prints what it was given) stands in for the real
one; the real hand-over runs in ``tools/test_icon4py.sh``.  The report of
gt4py's compilation is tested on a fake build cache.
"""
import os
import subprocess
import sys
import textwrap

import pytest

from comin.hosts.icon4py import environment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "point_source.py")


def comin_run(*args, env=None):
    p = subprocess.run([sys.executable, "-m", "comin", "run", *args], capture_output=True,
                       text=True, timeout=120, env=env, cwd=ROOT)
    return p.returncode, p.stdout, p.stderr


def environ(**kw):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(kw)
    return env


@pytest.fixture
def fake_venv(tmp_path):
    """A virtual environment whose python prints its arguments and PYTHONPATH."""
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(textwrap.dedent("""\
        #!/bin/sh
        echo "ARGS $*"
        echo "PYTHONPATH=${PYTHONPATH-unset}"
        echo "COMIN_ICON4PY_HANDED_OVER=${COMIN_ICON4PY_HANDED_OVER-unset}"
        exit 7
        """))
    python.chmod(0o755)
    return tmp_path / "venv"


def test_hands_over_to_the_icon4py_environment(fake_venv):
    rc, out, err = comin_run("--host", "icon4py", "--steps", "2", EXAMPLE, "--no-summary",
                             env=environ(COMIN_ICON4PY_VENV=str(fake_venv)))
    assert rc == 7, err                              # the environment's status is the command's
    # the command line as typed, options after the plugin included
    assert f"ARGS -m comin run --host icon4py --steps 2 {EXAMPLE} --no-summary" in out
    # the checkout's comin (built for this Python) is not put in front of the environment's
    pythonpath = out.split("PYTHONPATH=")[1].splitlines()[0].strip()
    assert ROOT not in pythonpath.split(os.pathsep)
    assert f"{environment.HANDED_OVER}=1" in out


def test_no_second_hand_over_from_a_handed_over_command(fake_venv):
    """An environment whose interpreter cannot import icon4py would hand over to itself:
    the handed-over command refuses in one line instead."""
    rc, out, err = comin_run("--host", "icon4py", EXAMPLE,
                             env=environ(COMIN_ICON4PY_VENV=str(fake_venv),
                                         **{environment.HANDED_OVER: "1"}))
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1 and "icon4py cannot be imported by" in err


def test_missing_environment_is_one_line_with_the_install_command(tmp_path):
    rc, out, err = comin_run("--host", "icon4py", EXAMPLE,
                             env=environ(COMIN_ICON4PY_VENV=str(tmp_path / "none")))
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("comin run: icon4py is not installed")
    assert "tools/install_icon4py.sh" in err
    assert str(tmp_path / "none") in err


def test_bad_input_is_refused_before_the_hand_over(fake_venv, tmp_path):
    env = environ(COMIN_ICON4PY_VENV=str(fake_venv))
    rc, out, err = comin_run("--host", "icon4py", str(tmp_path / "missing.py"), env=env)
    assert (rc, out) == (2, "") and "no such plugin script" in err
    rc, out, err = comin_run("--host", "icon4py", "--grid", "R2B9", EXAMPLE, env=env)
    assert rc == 2 and "limit of 327,680" in err
    rc, out, err = comin_run("--host", "icon4py", "--dt", "0.5", EXAMPLE, env=env)
    assert rc == 2 and "whole number of seconds" in err
    rc, out, err = comin_run("--host", "icon4py", "--nproma", "8", EXAMPLE, env=env)
    assert rc == 2 and "unrecognized arguments: --nproma" in err       # the emulator's option
    rc, out, err = comin_run("--host", "icon4py", "--yac", EXAMPLE, env=env)
    assert rc == 2 and "unrecognized arguments: --yac" in err          # icon4py has no coupler
    cache = tmp_path / "file"
    cache.write_text("")
    rc, out, err = comin_run("--host", "icon4py", "--cache-dir", str(cache), EXAMPLE, env=env)
    assert (rc, out) == (2, "") and "exists and is not a directory" in err
    rc, out, err = comin_run("--host", "icon4py", "--record", str(cache), EXAMPLE, env=env)
    assert (rc, out) == (2, "") and "--record" in err                  # a shipped plugin's option


def test_help_shows_icon4pys_options():
    rc, out, err = comin_run("--host", "icon4py", "--help", env=environ())
    assert rc == 0 and "Jablonowski-Williamson" in out and "install_icon4py.sh" in out
    assert "model (icon4py):\n  --grid RnBk" in out and "--log-level LEVEL" in out
    assert "--nproma" not in out and "--yac" not in out        # the emulator's options
    assert "--record DIR" in out                                # shipped plugins' options
    rc, out, err = comin_run("--help", env=environ())
    assert rc == 0 and "icon4py: icon4py's dynamical core" in " ".join(out.split())
    assert "--nproma N" in out
    rc, out, err = comin_run("--host", "ocean", EXAMPLE, env=environ())
    assert rc == 2 and "argument --host: invalid choice: 'ocean'" in err


def test_stale_environment_warns(fake_venv, monkeypatch):
    monkeypatch.setenv("COMIN_ICON4PY_VENV", str(fake_venv))
    (fake_venv / environment.STAMP).write_text("0" * 64 + "\n")
    assert "rerun 'bash tools/install_icon4py.sh'" in environment.stale_warning()
    (fake_venv / environment.STAMP).write_text(environment.source_digest() + "\n")
    assert environment.stale_warning() is None


def _compiled(cache, name):
    d = cache / name
    d.mkdir(parents=True)
    (d / "gt4py.json").write_text('{"status": "COMPILED", "module": "x.so"}')


def test_compile_progress_lines_and_counts(tmp_path, capsys):
    from comin.hosts.icon4py.cli import CompileWatcher
    cache = tmp_path / ".gt4py_cache"
    _compiled(cache, "already_there_pyext_1")              # from an earlier run: not counted
    (cache / "busy_pyext_2").mkdir()                        # still compiling: no gt4py.json
    w = CompileWatcher(cache, "R2B2, 35 levels", None)
    w.poll()
    assert capsys.readouterr().err == ""                    # nothing new: nothing said
    _compiled(cache, "compute_wgtfac_c_pyext_3")
    _compiled(cache, "compile_commands_cache_gridtools_pyext_4")   # CMake set-up, not a program
    w.poll()
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("comin run: gt4py is compiling icon4py's programs for R2B2, 35 levels")
    assert err[1].startswith("comin run: compiled 1 gt4py program (0:0")
    assert err[1].endswith("last compute_wgtfac_c")
    assert w.stop() == 1
    w.remember()
    w2 = CompileWatcher(cache, "R2B4, 35 levels", None)     # another configuration: same programs
    _compiled(cache, "other_pyext_5")
    w2.poll()
    assert "compiled 1 of ~1 gt4py program" in capsys.readouterr().err
