"""comin's hosts are YAC hosts as ICON is (comin.hosts.yac): the emulator, the replay, a host of your own.

Every run that uses YAC is a child process (YAC ends the process on an error, and its
import replaces the excepthook), under ``mpiexec`` where it needs ranks, with a timeout:
a run that would hang fails instead.
"""
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from comin.hosts import yac as yachost
from comin.parallel import launcher_environ, mpiexec_command

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXAMPLES = os.path.join(ROOT, "examples")
PLUGINS = os.path.join(HERE, "plugins")

needs_yac = pytest.mark.skipif(importlib.util.find_spec("yac") is None,
                               reason="yac is not installed (tools/install.sh installs it)")


def _env():
    return launcher_environ(PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                            PYTHONUNBUFFERED="1")


def run(argv, nranks=0, more=(), cwd=None, timeout=180):
    """``argv`` (a Python command line) directly (nranks 0) or under mpiexec; (proc, seconds)."""
    cmd = [sys.executable, *argv]
    if nranks:
        cmd = mpiexec_command(nranks, cmd, *more)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(), cwd=cwd)
    return proc, time.perf_counter() - t0


def comin_run(*args, **kw):
    return run(["-m", "comin", "run", "--no-progress", "--no-summary", *args], **kw)


# -- which plugins use YAC (no YAC needed) --------------------------------------------------

def test_plugins_importing_yac_are_found(tmp_path):
    sources = {"a.py": "from yac import YAC\n", "b.py": "import numpy, yac.examples\n",
               "c.py": "def f():\n    import yac\n", "d.py": "import yacht\nimport comin\n",
               "e.py": "from . import yac\n", "f.py": "x = 'import yac'\n"}
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
    specs = [f"{tmp_path / name} --opt" for name in sources] + [lambda: None]
    assert yachost.plugins_using_yac(specs) == [
        f"plugin '{n}' ({tmp_path / (n + '.py')})" for n in ("a", "b", "c")]


def test_a_host_without_yac_publishes_minus_one_and_does_nothing(tmp_path):
    (tmp_path / "p.py").write_text("import comin\n")
    for enabled in (None, False):
        coupling = yachost.Coupling([str(tmp_path / "p.py")], enabled)
        assert not coupling.active and coupling.groups == ()
        assert coupling.start(None, "2026-01-01T00:00:00", "2026-01-01T01:00:00") == -1
        for stage in yachost.STAGES:
            coupling.stage(stage)
        coupling.finish()
        assert coupling.instance_id == -1 and coupling.done == []


def test_a_plugin_that_needs_yac_where_it_is_missing_gets_one_line(tmp_path, monkeypatch, capsys):
    """YAC missing: the run does not start; one line names the plugin, the reason and the cure."""
    from comin.__main__ import main
    plugin = tmp_path / "needs_yac.py"
    plugin.write_text("from yac import YAC\nimport comin\n")
    monkeypatch.setitem(sys.modules, "yac", None)           # as if it were not installed
    assert main(["run", str(plugin), "--grid", "R2B0", "--steps", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"comin run: plugin 'needs_yac' ({plugin}) imports yac, but yac cannot be used here "
        f"(ModuleNotFoundError: import of yac halted; None in sys.modules): {yachost.INSTALL_HINT}"]
    assert main(["run", str(tmp_path / "needs_yac.py"), "--grid", "R2B0", "--yac", "--no-progress"]) == 2
    assert capsys.readouterr().err.startswith("comin run: --yac cannot be used here (ModuleNotFoundError:")
    # --no-yac: the run starts (and the plugin's own import fails, as it would anyway)
    assert main(["run", str(plugin), "--grid", "R2B0", "--steps", "1", "--no-yac", "--no-progress",
                 "--no-summary"]) == 1


def test_yac_and_mpi4py_of_two_mpis_are_refused(tmp_path, monkeypatch):
    """The yac wheel (Open MPI's libmpi.so.40) beside an mpi4py built for MPICH would run every
    rank as a world of its own: refused before MPI starts, with the cure."""
    import types
    fake = types.SimpleNamespace(_yac=types.SimpleNamespace(__file__="/fake/_yac.so"))
    monkeypatch.setitem(sys.modules, "yac", fake)
    monkeypatch.setattr(yachost, "_mpi4py_extension", lambda: "/fake/MPI.so")
    monkeypatch.setattr(yachost, "_mpi_soname", lambda path: {"/fake/_yac.so": "libmpi.so.40",
                                                             "/fake/MPI.so": "libmpich.so.12"}[path])
    with pytest.raises(yachost.YacUnavailable, match=r"^--yac cannot be used here \(yac needs "
                       r"libmpi\.so\.40 but mpi4py uses libmpich\.so\.12: one MPI per process; "
                       r"build mpi4py against yac's MPI \(MPICC=mpicc\.openmpi"):
        yachost.Coupling([], True)
    monkeypatch.setattr(yachost, "_mpi_soname", lambda path: "libmpi.so.40")
    assert yachost.Coupling([], True).active


# -- a minimal host of our own (tests/mpi/yac_host.py) ---------------------------------------

def _nearest_reference(lon, lat, steps):
    """What nearest-neighbour remapping of yac_host.py's ``wave`` onto the probe's points gives."""
    from scipy.spatial import cKDTree

    from comin import grid as gridmod
    grid = gridmod.load_or_make_global("R2B1")
    clon, clat = np.asarray(grid.clon), np.asarray(grid.clat)

    def xyz(lo, la):
        return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)

    tlon, tlat = np.meshgrid(lon, lat)                 # YAC's order: longitude fastest
    _, near = cKDTree(xyz(clon, clat)).query(xyz(tlon.ravel(), tlat.ravel()))
    wave = np.cos(clat) * np.sin(2 * clon)
    return np.array([wave[near] + step for step in range(steps)])


def host_reports(stdout: str) -> list:
    """Every ``YAC_HOST {json}`` object in a run's output, however the ranks' lines were merged."""
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(stdout, m.end())[0] for m in re.finditer(r"YAC_HOST ", stdout)]


@needs_yac
@pytest.mark.parametrize("nranks", [1, 2])
def test_a_python_host_of_our_own_is_a_yac_host(tmp_path, nranks):
    """comin.hosts.yac driven by a bare comin.host.Host (its own decomposition: every rank holds
    every cell, owns every N-th): the plugin couples the host's field by the host's grid name, and
    rank 0 receives exactly the nearest-neighbour remap of the owned cells, on 1 and 2 ranks."""
    proc, _ = run([os.path.join(HERE, "mpi", "yac_host.py"), str(tmp_path), "auto",
                   f"{os.path.join(PLUGINS, 'yac_probe.py')} {tmp_path}"], nranks=nranks if nranks > 1 else 0)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reports = sorted(host_reports(proc.stdout), key=lambda r: r["rank"])
    assert [(r["rank"], r["size"]) for r in reports] == [(k, nranks) for k in range(nranks)]
    for r in reports:
        assert r["instance_id"] >= 0 and r["stages"] == ["DEFCOMP", "SYNCDEF", "ENDDEF"]
        assert r["grids"] == ["icon_atmos_grid"]
    got = np.load(tmp_path / "yac_probe.npz")
    assert list(got["components"]) == ["atmo", "probe_source", "probe_target"]
    assert list(got["grids"]) == ["icon_atmos_grid", "probe_grid"]
    np.testing.assert_allclose(got["received"], _nearest_reference(got["lon"], got["lat"], 3),
                               rtol=0, atol=1e-12)


@needs_yac
def test_the_host_without_a_yac_plugin_is_no_yac_host(tmp_path):
    """auto: no plugin imports yac -> no instance (-1), no stage; --yac forces one."""
    plugin = tmp_path / "plain.py"
    plugin.write_text("import comin\nprint('ID', comin.descrdata_get_global().yac_instance_id)\n")
    for mode, expect in (("auto", -1), ("off", -1), ("on", 0)):
        proc, _ = run([os.path.join(HERE, "mpi", "yac_host.py"), str(tmp_path), mode, str(plugin)])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"ID {expect}\n" in proc.stdout
        report, = host_reports(proc.stdout)
        assert report["stages"] == ([] if expect == -1 else ["DEFCOMP", "SYNCDEF", "ENDDEF"])


# -- the emulator --------------------------------------------------------------------------------

@needs_yac
def test_regrid_example_maps_the_host_field_on_1_and_2_ranks(tmp_path):
    """examples/yac_regrid.py: the host's grid by name, any nproma, decomposed or not, with a nest:
    the same remapped figures and a picture per output time."""
    outs = {}
    for nranks in (0, 2):
        out = tmp_path / f"ranks{nranks}"
        proc, _ = comin_run(f"{os.path.join(EXAMPLES, 'yac_regrid.py')} --nlon 72 --nlat 36 --outdir {out}",
                            "--grid", "R2B1", "--nest", "--nest-radius", "30", "--nproma", "7",
                            "--steps", "2", nranks=nranks)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert sorted(p.name for p in out.glob("*.png")) == [
            f"pres_sfc_lonlat_2026-01-01T00{m}00.png" for m in ("00", "10", "20")]
        outs[nranks] = [line.split("INFO(yac_regrid): ", 1)[1] for line in
                        (proc.stdout + proc.stderr).splitlines() if "INFO(yac_regrid)" in line]
    assert len(outs[0]) == 3 and outs[0] == outs[2]
    assert outs[0][0].startswith("2026-01-01T00:00:00.000: pres_sfc on 72 x 36 points, ")


@needs_yac
def test_an_external_program_receives_a_field_every_step():
    """MPMD: `comin run` with examples/yac_send.py beside examples/yac_receive.py, which meets the
    host in the handshake (yac.YAC()) and couples to the host's grid by name: one line per step,
    the same for 1 and 2 host ranks."""
    recv = [os.path.join(EXAMPLES, "yac_receive.py"), "--field", "pres_sfc", "--dt", "600", "--steps", "4"]
    got = {}
    for hosts in (1, 2):
        proc, _ = run(["-m", "comin", "run", f"{os.path.join(EXAMPLES, 'yac_send.py')} --var pres_sfc",
                       "--grid", "R2B2", "--steps", "4", "--no-progress", "--no-summary"],
                      nranks=hosts, more=[(1, [sys.executable, *recv])])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        got[hosts] = re.findall(r"RECEIVED step .*", proc.stdout)
    assert [line.split()[2] for line in got[1]] == ["1", "2", "3", "4"]
    assert got[1][0].startswith("RECEIVED step 1 2026-01-01T00:00:00")
    assert got[1] == got[2]


@needs_yac
def test_a_coupling_that_does_not_match_ends_every_rank_with_yac_s_reason():
    """A coupling to a field nobody defines: YAC's enddef stops the whole job (no rank waits),
    comin says where (the host's enddef between its entry points), YAC says what."""
    proc, seconds = comin_run(os.path.join(PLUGINS, "yac_mismatch.py"), "--grid", "R2B0", "--steps", "2",
                              nranks=2, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert re.search(r"comin: YAC stopped the run on rank \d in the host's YAC enddef \(between "
                     r"EP_ATM_YAC_ENDDEF_BEFORE and EP_ATM_YAC_ENDDEF_AFTER\): "
                     r"ERROR\(determine_valid_field_configurations\): missing definition", out), out
    assert 'field name:     "nowhere"' in out
    assert seconds < 100


@needs_yac
def test_a_field_defined_after_enddef_names_the_plugin_and_entry_point():
    proc, _ = comin_run(os.path.join(PLUGINS, "yac_late.py"), "--grid", "R2B0", "--steps", "2", timeout=120)
    assert proc.returncode != 0
    assert ("comin: YAC stopped the run on rank 0 in plugin 'yac_late' at EP_ATM_TIMELOOP_START: "
            "ERROR(yac_instance_add_field): Invalid phase") in proc.stderr, proc.stderr


@needs_yac
def test_the_instance_id_and_the_host_component(tmp_path):
    """--yac: an instance, the host's component "atmo" beside the plugins' after enddef;
    --no-yac: -1, even for a plugin that imports yac."""
    probe = os.path.join(PLUGINS, "yac_id.py")
    proc, _ = comin_run(probe, "--grid", "R2B0", "--steps", "1", "--yac")
    assert proc.returncode == 0, proc.stderr
    assert "YAC_ID 0 components ['atmo']" in proc.stdout
    proc, _ = comin_run(probe, "--grid", "R2B0", "--steps", "1", "--no-yac")
    assert proc.returncode == 0, proc.stderr
    assert "YAC_ID -1 components []" in proc.stdout


# -- the replay -----------------------------------------------------------------------------------

@needs_yac
def test_replay_is_a_yac_host_and_never_passes_on_a_recorded_instance_id(tmp_path):
    """A recording of a YAC run holds its instance id; the replay publishes its own (or -1), and
    runs a YAC plugin on the recorded grid as the emulator did."""
    rec = tmp_path / "rec"
    proc, _ = comin_run(os.path.join(PLUGINS, "yac_id.py"), "--grid", "R2B1", "--steps", "2", "--yac",
                        "--nproma", "9", "--record", str(rec), "--record-vars", "pres_sfc")
    assert proc.returncode == 0, proc.stderr
    replay = ["-m", "comin", "replay", "--no-progress", "--no-summary", str(rec)]
    proc, _ = run([*replay, os.path.join(PLUGINS, "yac_id.py"), "--no-yac"])
    assert proc.returncode == 0, proc.stderr
    assert "YAC_ID -1 components []" in proc.stdout
    out = tmp_path / "pictures"
    proc, _ = run([*replay, f"{os.path.join(EXAMPLES, 'yac_regrid.py')} --nlon 36 --nlat 18 --outdir {out}"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(list(out.glob("pres_sfc_lonlat_*.png"))) == 3
    emu, _ = comin_run(f"{os.path.join(EXAMPLES, 'yac_regrid.py')} --nlon 36 --nlat 18 --outdir {out}",
                       "--grid", "R2B1", "--steps", "2", "--nproma", "9")
    assert [line for line in proc.stderr.splitlines() if "INFO(yac_regrid)" in line] == \
        [line for line in emu.stderr.splitlines() if "INFO(yac_regrid)" in line]
