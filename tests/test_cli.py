"""``comin run`` (and ``python -m comin``): options, plugins, namelists, output, exit status.

Runs use small grids (R2B0: 80 cells, 4 levels).  Most go through
``comin.__main__.main`` in this process; progress-bar and ``--help`` checks
run ``python -m comin`` in a subprocess (on a pseudo-terminal where a
terminal matters).
"""
import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import textwrap

import numpy as np
import pytest

import comin
from comin.__main__ import main, mpi_rank, summary_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "simple_python_plugin.py")
PLUGINS = os.path.join(ROOT, "tests", "plugins")
SMALL = ["--grid", "R2B0", "--nlev", "4", "--nproma", "8"]
NOT_PYTHON = "is neither a Python plugin script (*.py) nor a shared library (*.so)"


def cli(capsys, *args):
    rc = main(["run", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def write(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


def table_rows(err):
    """``{(plugin, entry point): calls}`` of the summary table in ``err``."""
    rows = {}
    for line in err.splitlines():
        m = re.match(r"  (\S+)\s+(EP_\w+)\s+([\d,]+)\s+[\d,.]+\s+[\d,.]+\s+[\d.]+%$", line)
        if m:
            rows[(m.group(1), m.group(2))] = int(m.group(3).replace(",", ""))
    return rows


def python_m_comin(*args, tty=False, timeout=60):
    """Run ``python -m comin ARGS``; stderr on a pseudo-terminal (80 columns) if ``tty``.

    Returns (exit status, stdout, stderr).
    """
    cmd = [sys.executable, "-m", "comin", *args]
    if not tty:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:          # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    out = p.stdout.read().decode()
    p.stdout.close()
    return p.wait(timeout=timeout), out, b"".join(chunks).decode()


# -- runs ----------------------------------------------------------------------------

def test_cli_runs_example(capsys):
    rc, _, err = cli(capsys, *SMALL, "--nest", "--nest-radius", "35", "--steps", "2",
                     f"{EXAMPLE} --hello=world 'argument with spaces'")
    assert rc == 0
    assert "args ['--hello=world', 'argument with spaces']" in err
    assert "2 domain(s), nproma = 8" in err
    assert "simple_python_plugin: done" in err
    assert "comin run: 2 steps of 600 s on R2B0 with a nest, 1 plugin," in err
    assert "Traceback" not in err


def test_options_may_follow_plugins(capsys):
    rc, _, err = cli(capsys, EXAMPLE, *SMALL, "--steps", "1", "--dt", "300")
    assert rc == 0
    assert "comin run: 1 step of 300 s on R2B0, 1 plugin," in err


def test_cli_failing_plugin_exits_1(tmp_path, capsys):
    bad = write(tmp_path, "bad.py", """\
        import comin
        @comin.EP_ATM_TIMELOOP_START
        def f():
            raise ZeroDivisionError('boom')
        """)
    rc, _, err = cli(capsys, *SMALL, "--steps", "1", bad)
    assert rc == 1
    assert "ZeroDivisionError: boom" in err
    assert "Traceback (most recent call last)" in err       # the plugin author's bug: in full
    assert ("python_adapter: Uncaught exception in callback of plugin 'bad' at entry point "
            "EP_ATM_TIMELOOP_START") in err
    assert err.splitlines()[-1].startswith("comin run: the run was finished with an error by ")
    assert "time per plugin" not in err


def test_cli_finish_exits_1(tmp_path, capsys):
    fin = write(tmp_path, "fin.py", "import comin\ncomin.finish('my_routine', 'giving up')\n")
    rc, _, err = cli(capsys, *SMALL, fin)
    assert rc == 1
    assert "my_routine: giving up" in err
    assert err.splitlines()[-1] == ("comin run: the run was finished with an error by my_routine "
                                    "(its message is above)")


def test_exception_at_top_level_of_a_script_keeps_its_traceback(tmp_path, capsys):
    raising = write(tmp_path, "raising.py", "x = 1\nraise KeyError('no such thing')\n")
    rc, _, err = cli(capsys, *SMALL, raising)
    assert rc == 1
    assert "Traceback (most recent call last)" in err
    assert f'File "{raising}", line 2' in err
    assert "KeyError: 'no such thing'" in err


# -- bad input: one line, exit status 2, no traceback --------------------------------------

SYNTAX = "x = (\n"
INDENT = "def f():\nreturn 1\n"


@pytest.mark.parametrize("args, message", [
    (["{tmp}/missing.py"], "no such plugin script: {tmp}/missing.py"),
    (["{tmp}/missing.py --x=1", EXAMPLE], "no such plugin script: {tmp}/missing.py"),
    (["{tmp}/libfoo.so opt"], "no such plugin library: {tmp}/libfoo.so"),
    (["{tmp}/plugin.txt"], "{tmp}/plugin.txt " + NOT_PYTHON),
    (["{tmp}/dir.py"], "plugin script {tmp}/dir.py is a directory"),
    ([EXAMPLE + " --x 'unbalanced"], "plugin \"" + EXAMPLE + " --x 'unbalanced\": cannot split it "
     "into script and arguments: No closing quotation"),
    (["{tmp}/syntax.py"], "{tmp}/syntax.py:1: SyntaxError: '(' was never closed"),
    (["{tmp}/indent.py"], "{tmp}/indent.py:2: IndentationError: expected an indented block after "
     "function definition on line 1"),
    (["{tmp}/binary.py"], "plugin script {tmp}/binary.py is not UTF-8 text "
     "(is it a Python script?)"),
    ([], "no plugin given: name a plugin script (comin run my_plugin.py) or a namelist "
     "(--namelist FILE)"),
    (["--frobnicate", EXAMPLE], "unrecognized arguments: --frobnicate (see 'comin run --help')"),
    (["--grid", "R2X4", EXAMPLE], "invalid ICON grid name 'R2X4': expected 'RnBk' with integers "
     "n >= 1 and k >= 0, e.g. 'R2B4'"),
    (["--grid", "R2B8", EXAMPLE], "grid 'R2B8' has 5,242,880 cells, more than the limit of "
     "1,310,720 (R2B7) for a grid made on this machine; choose a smaller n or k"),
    (["--nproma", "0", EXAMPLE], "nproma must be >= 1, got 0"),
    (["--nproma", "0", "--nlev", "0", EXAMPLE], "nproma must be >= 1, got 0; "
     "nlev must be >= 1, got 0"),
    (["--nproma", "many", EXAMPLE], "argument --nproma: invalid int value: 'many' "
     "(see 'comin run --help')"),
    (["--dt", "0", EXAMPLE], "dt must be > 0 seconds, got 0.0"),
    (["--steps", "-2", EXAMPLE], "steps must be >= 0, got -2"),
    (["--start", "yesterday", EXAMPLE], "start 'yesterday' is not an ISO 8601 date and time "
     "(e.g. 2026-01-01T00:00:00)"),
    (["--end", "2025-12-31T00:00:00", EXAMPLE], "end 2025-12-31T00:00:00 is before start "
     "2026-01-01T00:00:00"),
    (["--steps", "3", "--end", "2026-01-02", EXAMPLE], "argument --end: not allowed with argument "
     "--steps (see 'comin run --help')"),
    (["--nest-center", "10,50", EXAMPLE], "--nest-center places the nest: add --nest"),
    (["--nest", "--nest-center", "10", EXAMPLE], "argument --nest-center: expected LON,LAT in "
     "degrees, e.g. 10,50 (write --nest-center=-60,-15 for a negative longitude), got '10' "
     "(see 'comin run --help')"),
    (["--nest", "--nest-radius", "100", EXAMPLE], "nest radius must be between 0 and 90 degrees, "
     "got 100.0"),
    (["--write-grid", EXAMPLE, EXAMPLE], f"--write-grid {EXAMPLE}: exists and is not a directory"),
    (["--write-grid", "{tmp}/plugin.txt/grids", EXAMPLE], "--write-grid {tmp}/plugin.txt/grids: "
     "cannot create the directory: Not a directory"),
    (["--namelist", "{tmp}/missing.nml"], "cannot read namelist {tmp}/missing.nml: "
     "No such file or directory"),
    (["--namelist", "{tmp}/unknown_field.nml"], "{tmp}/unknown_field.nml, line 3: unknown field "
     "'nme' in plugin_list(1) (known: name, plugin_library, primary_constructor, options, comm, "
     "log_debug, log_info, log_warning)"),
    (["--namelist", "{tmp}/broken.nml"], None),        # f90nml's own words; checked below
    (["--namelist", "{tmp}/empty.nml"], "{tmp}/empty.nml: &comin_nml lists no plugins"),
    (["--namelist", "{tmp}/library.nml"], "{tmp}/library.nml: plugin 'fortran': "
     "no such plugin library: {tmp}/libmy_plugin.so"),
    (["--namelist", "{tmp}/missing_script.nml"], "{tmp}/missing_script.nml: plugin 'lost': "
     "no such plugin script: {tmp}/nowhere.py"),
    (["--namelist", "{tmp}/syntax.nml"], "{tmp}/syntax.py:1: SyntaxError: '(' was never closed"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    tmp = str(tmp_path)
    (tmp_path / "plugin.txt").write_text("print('hello')\n")
    (tmp_path / "dir.py").mkdir()
    (tmp_path / "syntax.py").write_text(SYNTAX)
    (tmp_path / "indent.py").write_text(INDENT)
    (tmp_path / "binary.py").write_bytes(b"\xff\xfe\x00garbage")
    entry = 'plugin_list(1)%name = "{}"\n  plugin_list(1)%plugin_library = "{}"\n'
    nml = {
        "unknown_field": '&comin_nml\n  plugin_list(1)%name = "x"\n  plugin_list(1)%nme = "y"\n/\n',
        "broken": '&comin_nml\n  plugin_list(1)%name = "x\n/\n',
        "empty": "&comin_nml\n/\n",
        "library": "&comin_nml\n  " + entry.format("fortran", f"{tmp}/libmy_plugin.so") + "/\n",
        "missing_script": "&comin_nml\n  " + entry.format("lost", "libpython_adapter.so")
        + f'  plugin_list(1)%options = "{tmp}/nowhere.py --a=1"\n/\n',
        "syntax": "&comin_nml\n  " + entry.format("syn", "libpython_adapter.so")
        + f'  plugin_list(1)%options = "{tmp}/syntax.py"\n/\n',
    }
    for name, text in nml.items():
        (tmp_path / f"{name}.nml").write_text(text)
    cache = tmp_path / "cache"
    args = [a.replace("{tmp}", tmp) for a in args]
    rc, out, err = cli(capsys, "--cache-dir", str(cache), *args)
    assert rc == 2
    assert "Traceback" not in err and out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    if message is None:
        assert lines[0].startswith(f"comin run: {tmp}/broken.nml, line 2 (unterminated string?): "
                                   "not a valid Fortran namelist (")
    else:
        assert lines[0] == "comin run: " + message.replace("{tmp}", tmp)
    assert not cache.exists()          # checked before any grid was built or cached


def test_syntax_error_in_the_adapter_is_one_line(tmp_path, capsys, make_host):
    """Hosts other than the CLI (no pre-check) get the same one-line report from the adapter."""
    path = write(tmp_path, "broken.py", "import comin\n\ndef f(:\n    pass\n")
    host = make_host(path)
    with pytest.raises(comin.ComInFinish):
        host.run_primary_constructors()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines() == [
        f"{path}:3: SyntaxError: invalid syntax",
        f"python_adapter::comin_main: Error while executing script {path} (plugin 'broken')"]


def test_python_m_comin_help():
    rc, out, err = python_m_comin("run", "--help")
    assert rc == 0 and err == ""
    for opt in ("PLUGIN", "--namelist FILE", "--grid RnBk", "--nest", "--nest-center LON,LAT",
                "--nest-radius DEG", "--nproma N", "--nlev N", "--steps N", "--end DATETIME",
                "--dt SECONDS", "--start DATETIME", "--seed N", "-v LEVEL, --verbosity LEVEL",
                "--write-grid DIR", "--no-progress", "--no-summary", "--cache-dir DIR"):
        assert f"\n  {opt}" in out, opt
    assert "[--steps N | --end DATETIME]" in out
    assert "examples:\n  comin run my_plugin.py" in out
    assert 'plugin_library = "libpython_adapter.so"' in out
    assert "exit status:\n  0 " in out
    rc, out, err = python_m_comin("--version")
    assert rc == 0 and out.startswith(f"comin {comin.__version__} (ComIn 0.3")
    rc, out, err = python_m_comin()
    assert rc == 2 and "run plugins in the built-in emulator host" in err



def test_a_command_builds_only_its_own_parser():
    """``comin run`` imports neither the other commands nor the recorder plugin (startup: each
    costs tens of ms); without a command, with --help before it or a misspelt one, every
    command is there (the list, argparse's suggestions)."""
    probe = textwrap.dedent("""
        import sys
        from comin.cli import build_parser
        p = build_parser(sys.argv[1:])
        names = sorted(p._subparsers._group_actions[0].choices)
        loaded = [m for m in ("comin.cli.doctor", "comin.cli.replay",
                              "comin.plugins.recorder.recorder") if m in sys.modules]
        print(",".join(names), ",".join(loaded))
    """)

    def built(*argv):
        out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                             text=True, check=True).stdout.split()
        return out[0], (out[1] if len(out) > 1 else "")

    assert built("run", "p.py", "--steps", "1") == ("run", "")
    assert built("replay", "rec", "p.py")[0] == "replay"
    every = "doctor,plugin-path,replay,run"
    assert built()[0] == every
    assert built("--help", "run")[0] == every
    assert built("rnu", "p.py")[0] == every

# -- namelists -------------------------------------------------------------------------

def test_namelist_with_two_python_plugins_and_comms(tmp_path, capsys):
    nml = tmp_path / "icon_master.namelist"
    mpi_handles = os.path.join(PLUGINS, "mpi_handles.py")
    nml.write_text(textwrap.dedent(f"""\
        &comin_nml
          plugin_list(1)%name           = "first"
          plugin_list(1)%plugin_library = "libpython_adapter.so"
          plugin_list(1)%options        = "{EXAMPLE} --hello=world 'two words'"
          plugin_list(1)%comm           = "first_comm"
          plugin_list(2)%name           = "second"
          plugin_list(2)%plugin_library = "libpython_adapter.so"
          plugin_list(2)%options        = "{mpi_handles}"
          plugin_list(2)%comm           = "second_comm"
        /
        """))
    rc, _, err = cli(capsys, *SMALL, "--steps", "2", "--namelist", str(nml), EXAMPLE)
    assert rc == 0, err
    # namelist plugins first, in namelist order, then the PLUGIN argument
    assert " INFO(first): plugin first (id 1) with args ['--hello=world', 'two words']" in err
    assert " INFO(simple_python_plugin): plugin simple_python_plugin (id 3) with args []" in err
    assert "primary: host 0/1 plugin 0/1" in err          # second's own communicator
    assert "secondary: host 0/1 plugin 0/1" in err
    rows = table_rows(err)
    assert rows[("first", "EP_ATM_ADVECTION_AFTER")] == 2
    assert rows[("second", "EP_SECONDARY_CONSTRUCTOR")] == 1
    assert rows[("simple_python_plugin", "EP_DESTRUCTOR")] == 1
    assert "comin run: 2 steps of 600 s on R2B0, 3 plugins," in err


def test_namelist_alone(tmp_path, capsys):
    nml = tmp_path / "nml"
    nml.write_text(f'&comin_nml\n plugin_list(1)%plugin_library = "libpython_adapter.so"\n'
                   f' plugin_list(1)%options = "{EXAMPLE}"\n/\n')
    rc, _, err = cli(capsys, *SMALL, "--steps", "1", "--namelist", str(nml))
    assert rc == 0, err
    assert "simple_python_plugin: done" in err


# -- output: grids, summary, progress ------------------------------------------------------

def test_write_grid_writes_icon_grid_files(tmp_path, capsys):
    import netCDF4
    out = tmp_path / "grids"
    rc, _, err = cli(capsys, *SMALL, "--nest", "--nest-radius", "35", "--steps", "0",
                     "--write-grid", str(out), "--no-summary", EXAMPLE)
    assert rc == 0, err
    said = re.findall(r"comin run: wrote the grid of domain (\d) \(([\d,]+) cells\) to (.+)$",
                      err, flags=re.MULTILINE)
    assert [d for d, _, _ in said] == ["1", "2"]
    assert sorted(os.listdir(out)) == sorted(os.path.basename(p) for _, _, p in said)
    for jg, ncells, path in said:
        with netCDF4.Dataset(path) as ds:
            assert ds.dimensions["cell"].size == int(ncells.replace(",", ""))
            for name in ("clon", "clat", "vlon", "vlat", "vertex_of_cell", "edge_of_cell",
                         "refin_c_ctrl", "start_idx_c", "end_idx_c"):
                assert name in ds.variables, name
            clat = ds.variables["clat"][:]
            assert np.all(np.abs(clat) <= np.pi / 2 + 1e-12)
    assert said[0][1] == "80"                         # R2B0: 20 * 2**2 cells


def test_summary_lists_every_plugin_and_entry_point(tmp_path, capsys):
    a = write(tmp_path, "a.py", """\
        import comin
        @comin.EP_ATM_TIMELOOP_START
        def start():
            pass
        @comin.EP_ATM_WRITE_OUTPUT_BEFORE
        def output():
            pass
        """)
    b = write(tmp_path, "b.py", """\
        import comin
        @comin.EP_ATM_PHYSICS_BEFORE
        def physics():
            pass
        @comin.EP_DESTRUCTOR
        def bye():
            pass
        """)
    rc, _, err = cli(capsys, *SMALL, "--steps", "3", a, b)
    assert rc == 0
    assert table_rows(err) == {
        ("a", "EP_ATM_TIMELOOP_START"): 3,
        ("a", "EP_ATM_WRITE_OUTPUT_BEFORE"): 4,        # once before the time loop
        ("b", "EP_ATM_PHYSICS_BEFORE"): 3,
        ("b", "EP_DESTRUCTOR"): 1,
    }
    lines = err.splitlines()
    assert lines[0].startswith("comin run: 3 steps of 600 s on R2B0, 2 plugins, ")
    assert lines[1] == "time per plugin and entry point, costliest first:"
    totals = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^  (\w+(?: plugins)?)\s+all entry points\s+(\d+)", err, flags=re.MULTILINE)}
    assert totals == {"a": 7, "b": 4, "all plugins": 11}
    assert re.search(r"^  total\s+[\d,.]+\s+100\.0%$", err, flags=re.MULTILINE)
    # with --no-summary: no table, and nothing else from comin itself
    rc, _, err = cli(capsys, *SMALL, "--steps", "3", "--no-summary", a, b)
    assert rc == 0 and err == ""


def test_summary_table_folds_the_rest():
    timings = [("p", f"EP_{i}", 1, float(i)) for i in range(1, 15)]
    lines = summary_table(timings, total=200.0, plugin_names=["p"], rows=10)
    assert [ln.split()[1] for ln in lines[1:11]] == [f"EP_{i}" for i in range(14, 4, -1)]
    assert lines[11].split()[:4] == ["(4", "more)", "4", "10,000.000"]      # 1+2+3+4 s
    assert lines[-3].split()[:5] == ["all", "plugins", "all", "entry", "points"]
    assert lines[-2].endswith(" 47.5%")                                   # 95 s of 200 s outside
    assert lines[-1].split() == ["total", "200,000.000", "100.0%"]


def test_end_or_steps(tmp_path, capsys):
    clock = write(tmp_path, "clock.py", """\
        import sys
        import comin
        @comin.EP_ATM_TIMELOOP_END
        def tick():
            print("at", comin.current_get_datetime())
        """)
    run = [*SMALL, "--start", "2026-03-01T00:00:00", "--dt", "900", "--no-summary", clock]

    def times(*opts):
        rc, out, err = cli(capsys, *opts, *run)
        assert rc == 0, err
        return [line.split()[1] for line in out.splitlines() if line.startswith("at ")]

    assert times("--end", "2026-03-01T01:00:00") == [       # as ICON writes datetimes
        "2026-03-01T00:15:00.000", "2026-03-01T00:30:00.000", "2026-03-01T00:45:00.000",
        "2026-03-01T01:00:00.000"]
    assert len(times("--end", "2026-03-01T01:10:00")) == 4       # whole steps only
    assert times("--steps", "2") == ["2026-03-01T00:15:00.000", "2026-03-01T00:30:00.000"]
    assert len(times()) == 6                                      # the default


def test_no_progress_bar_when_stderr_is_not_a_terminal():
    rc, _, err = python_m_comin("run", *SMALL, "--steps", "3", EXAMPLE)
    assert rc == 0
    assert "\r" not in err and "step/s" not in err and "%|" not in err
    assert "comin run: 3 steps of 600 s on R2B0" in err


def test_progress_bar_on_a_terminal():
    rc, _, err = python_m_comin("run", *SMALL, "--steps", "3", "--no-summary", EXAMPLE, tty=True)
    assert rc == 0
    assert "comin run: 100%|" in err and "3/3" in err
    # plugin messages go above the bar, whole lines
    assert re.search(r"\r INFO\(simple_python_plugin\): simple_python_plugin: done\r\n", err)
    rc, _, err = python_m_comin("run", *SMALL, "--steps", "3", "--no-summary", "--no-progress",
                                EXAMPLE, tty=True)
    assert rc == 0
    assert "%|" not in err and "step/s" not in err
    assert "simple_python_plugin: done" in err


class _FakeMPI:
    """Stands in for mpi4py.MPI on rank 1 of an initialised MPI job."""

    class COMM_WORLD:
        @staticmethod
        def Get_rank():
            return 1

    @staticmethod
    def Is_initialized():
        return True

    @staticmethod
    def Is_finalized():
        return False


def test_only_rank_0_prints_the_summary(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", _FakeMPI)
    assert mpi_rank() == 1
    rc, _, err = cli(capsys, *SMALL, "--steps", "1", EXAMPLE)
    assert rc == 0
    assert "simple_python_plugin: done" in err and "time per plugin" not in err


def test_rank_from_the_launcher_without_mpi4py(monkeypatch):
    monkeypatch.delitem(sys.modules, "mpi4py.MPI", raising=False)
    for var in ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK"):
        monkeypatch.delenv(var, raising=False)
    assert mpi_rank() == 0
    monkeypatch.setenv("PMI_RANK", "3")
    assert mpi_rank() == 3
    assert "mpi4py.MPI" not in sys.modules          # asking did not import (or initialise) MPI


# -- the seams: hosts of `comin run --host NAME`, options of shipped plugins -------------------

def test_host_option_picks_the_host_and_refuses_an_unknown_one(capsys):
    rc, out, err = cli(capsys, *SMALL, "--steps", "1", "--no-summary", "--host", "emulator", EXAMPLE)
    assert rc == 0
    rc, out, err = cli(capsys, *SMALL, "--host", "nowhere", EXAMPLE)
    assert rc == 2
    assert err.splitlines() == ["comin run: argument --host: invalid choice: 'nowhere' (choose from "
                                "'emulator', 'icon4py') (see 'comin run --help')"]


def test_a_host_and_a_plugin_join_comin_run_by_one_registry_line(tmp_path, capsys, monkeypatch):
    """A host module with a HostCommand and a plugin module with PluginOptions, registered in
    comin.cli.extensions, give `comin run --host NAME` with their own options."""
    import types

    from comin.cli import extensions
    from comin.host import PluginDescription

    ran = []

    class TinyRun(extensions.HostRun):
        def __init__(self, plugins):
            from comin.host import Host
            self.host, self.total = Host(plugins, profile=True), 1

        def run(self, progress):
            with self.host:
                self.host.set_global(n_dom=1, nproma=4)
                self.host.run_primary_constructors()
                self.host.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
                progress(1)

        def headline(self, seconds, nplugins):
            return f"tiny host ran {nplugins} plugins"

    class TinyHost(extensions.HostCommand):
        name, help = "tiny", "a host of this test"

        def add_arguments(self, parser):
            parser.add_argument_group("model").add_argument("--size", type=int, default=1)

        def configure(self, args):
            return args.size

        def start(self, args, config, plugins, profile):
            ran.append(config)
            return TinyRun(plugins)

    class Hello(extensions.PluginOptions):
        def add_arguments(self, parser):
            parser.add_argument("--hello", action="store_true")

        def wanted(self, args):
            return args.hello

        def plugin(self, args):
            return PluginDescription(name="hello", constructor=lambda: ran.append("hello")) \
                if args.hello else None

        def report(self, args):
            return ["hello was here"]

    monkeypatch.setitem(sys.modules, "tiny_host_cli", types.SimpleNamespace(HOST=TinyHost()))
    monkeypatch.setitem(sys.modules, "hello_cli", types.SimpleNamespace(OPTIONS=Hello))
    monkeypatch.setitem(extensions.HOSTS, "tiny", "tiny_host_cli")
    monkeypatch.setattr(extensions, "PLUGIN_OPTIONS", extensions.PLUGIN_OPTIONS + ("hello_cli",))
    rc, out, err = cli(capsys, "--host", "tiny", "--size", "3", "--hello")
    assert rc == 0, err
    assert ran == [3, "hello"]
    assert err.splitlines()[0] == "comin run: tiny host ran 1 plugins"
    assert err.splitlines()[-1] == "hello was here"
    rc, out, err = cli(capsys, "--size", "3", EXAMPLE)          # the emulator has no --size
    assert rc == 2 and "unrecognized arguments: --size " in err


def test_a_host_may_hand_the_checked_command_over(tmp_path, capsys, monkeypatch):
    """HostCommand.hand_over runs after every input check and before anything starts: it gets
    the command line as typed and its status is the command's; bad input never reaches it."""
    import types

    from comin.cli import extensions
    from comin.cli.base import BadInput

    handed = []

    class Elsewhere(extensions.HostCommand):
        name, help, yac = "elsewhere", "a host of this test that runs in another process", False

        def add_arguments(self, parser):
            parser.add_argument_group("model").add_argument("--size", type=int, default=1)

        def configure(self, args):
            if args.size < 1:
                raise BadInput(f"--size must be >= 1, got {args.size}")
            return args.size

        def directories(self, args):
            return [("--size-dir", str(tmp_path / "made"))]

        def hand_over(self, args):
            if args.size == 99:
                raise BadInput("the other interpreter is missing")
            handed.append(list(args.argv))
            return 7

        def start(self, args, config, plugins, profile):
            raise AssertionError("a handed-over command starts nothing here")

    monkeypatch.setitem(sys.modules, "elsewhere_cli", types.SimpleNamespace(HOST=Elsewhere()))
    monkeypatch.setitem(extensions.HOSTS, "elsewhere", "elsewhere_cli")
    rc, out, err = cli(capsys, "--host=elsewhere", EXAMPLE, "--size", "3", "--no-summary")
    assert (rc, out, err) == (7, "", "")
    assert handed == [["--host=elsewhere", EXAMPLE, "--size", "3", "--no-summary"]]
    assert not (tmp_path / "made").exists()          # nothing made here: the other side makes it
    for args, message in ((["--size", "0", EXAMPLE], "--size must be >= 1, got 0"),
                          ([str(tmp_path / "nope.py")], "no such plugin script"),
                          (["--yac", EXAMPLE], "unrecognized arguments: --yac"),
                          (["--size", "99", EXAMPLE], "the other interpreter is missing")):
        rc, out, err = cli(capsys, "--host", "elsewhere", *args)
        assert rc == 2 and len(err.splitlines()) == 1 and message in err, err
    assert len(handed) == 1
    rc, out, err = cli(capsys, "--host", "elsewhere", "--help")
    assert rc == 0 and "--size SIZE" in out and "--yac" not in out      # no coupler: no --yac


def test_a_recorder_loaded_as_a_plugin_that_refuses_a_variable_exits_2(tmp_path, capsys):
    from comin.plugins.recorder import SCRIPT
    rc, out, err = cli(capsys, *SMALL, "--steps", "1", "--no-summary",
                       f"{SCRIPT} {tmp_path / 'rec'} --vars nope", EXAMPLE)
    assert rc == 2
    assert err.splitlines()[-1].startswith("comin_recorder: cannot record variable 'nope'")
