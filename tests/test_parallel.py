"""MPI communicators handed out by the interface (Fortran handles, as ComIn)."""
import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest
from mpi4py import MPI

import comin
from comin.host import Host, PluginDescription
from comin.parallel import launcher_environ, mpiexec_command

HERE = os.path.dirname(os.path.abspath(__file__))


def _with_host(plugins):
    with Host(plugins) as h:
        h.set_global(n_dom=1, nproma=4)
        h.run_primary_constructors()


def test_single_process_comms_are_world_of_size_1():
    res = {}

    def plugin():
        host = comin.parallel_get_host_mpi_comm()
        plug = comin.parallel_get_plugin_mpi_comm()
        assert isinstance(host, int) and isinstance(plug, int)
        res["sizes"] = (MPI.Comm.f2py(host).Get_size(), MPI.Comm.f2py(plug).Get_size())
        res["rank"] = comin.parallel_get_host_mpi_rank()

    _with_host([PluginDescription(name="p", comm="mine", constructor=plugin)])
    assert res == {"sizes": (1, 1), "rank": 0}


def test_plugins_with_same_comm_name_share_one():
    handles = []

    def plugin():
        handles.append(comin.parallel_get_plugin_mpi_comm())

    _with_host([PluginDescription(name="a", comm="x", constructor=plugin),
                PluginDescription(name="b", comm="x", constructor=plugin),
                PluginDescription(name="c", comm="y", constructor=plugin)])
    assert handles[0] == handles[1] != handles[2]


def test_plugin_comm_without_name_finishes(capsys):
    def plugin():
        comin.parallel_get_plugin_mpi_comm()

    with pytest.raises(comin.ComInFinish) as e:
        _with_host([plugin])
    assert e.value.routine == "comin_parallel_get_plugin_mpi_comm"
    assert "'comm' must be set" in e.value.text


def test_host_takes_part_in_further_handshake_groups():
    """Host.mpi_handshake(groups=...): the host's own groups (e.g. YAC's "yac") beside the
    plugins' comm names, one communicator each (group_comm); None for a group it did not list."""
    with Host([PluginDescription(name="p", comm="mine", constructor=lambda: None)]) as h:
        h.set_global(n_dom=1, nproma=4)
        host = h.mpi_handshake(groups=("yac", "mine"))
        assert host.Get_size() == 1
        assert h.group_comm("yac").Get_size() == 1 and h.group_comm("mine").Get_size() == 1
        assert h.group_comm("yac") != h.group_comm("mine")
        assert h.group_comm("other") is None
        h.run_primary_constructors()                       # reuses the handshake
        assert h.group_comm("yac") is not None


def _mpiexec(n, argv, *more, timeout=60):
    return subprocess.run(mpiexec_command(n, argv, *more), capture_output=True, text=True,
                          timeout=timeout, env=launcher_environ())


def test_two_host_ranks_share_plugin_comm():
    r = _mpiexec(2, [sys.executable, os.path.join(HERE, "mpi", "host_with_comm.py")])
    assert r.returncode == 0, r.stderr
    # ranks' lines may interleave in the launcher's output: match records, not lines
    lines = sorted(re.findall(r"host world=\d+ \{[^}]*\}", r.stdout))
    assert len(lines) == 2, r.stdout
    for rank, line in enumerate(lines):
        assert f"'host_size': 2, 'plug_size': 2, 'rank': {rank}, 'total': 2" in line


def test_external_process_joins_plugin_comm():
    r = _mpiexec(2, [sys.executable, os.path.join(HERE, "mpi", "host_with_comm.py")],
                 (1, [sys.executable, os.path.join(HERE, "mpi", "external.py")]))
    assert r.returncode == 0, r.stderr
    hosts = re.findall(r"host world=\d+ \{[^}]*\}", r.stdout)
    assert len(hosts) == 2, r.stdout
    for line in hosts:   # host comm: the 2 host ranks; plugin comm: + the external one
        assert "'host_size': 2, 'plug_size': 3" in line and "'total': 3" in line
    assert re.search(r"external plug_size=3 total=3", r.stdout)


@pytest.mark.parametrize("vendor", ["Open MPI", "MPICH"])
def test_launcher_command_and_environment_know_the_mpi(monkeypatch, vendor):
    """One place knows what a launcher needs: Open MPI oversubscribes on request only and runs
    as root only when told twice; the variables of an enclosing job never reach the launcher."""
    import comin.parallel as par
    monkeypatch.setattr(par, "launcher_vendor", lambda launcher="mpiexec": vendor)
    monkeypatch.setattr(par.shutil, "which", lambda name: f"/opt/mpi/bin/{name}")
    cmd = par.mpiexec_command(4, ["python", "host.py"], (1, ["python", "ext.py"]))
    flags = ["--oversubscribe"] if vendor == "Open MPI" else []
    assert cmd == ["/opt/mpi/bin/mpiexec", *flags, "-n", "4", "python", "host.py", ":",
                   "-n", "1", "python", "ext.py"]
    env = par.launcher_environ({"PATH": "/bin", "PMI_RANK": "0", "PMIX_RANK": "0", "OMPI_MCA_ess": "singleton",
                                "OMPI_COMM_WORLD_SIZE": "2", "HYDRA_CONTROL_FD": "5", "KEEP": "1",
                                "OMPI_MCA_btl": "self,vader"}, X="y")
    root = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"} \
        if vendor == "Open MPI" and os.geteuid() == 0 else {}
    assert env == {"PATH": "/bin", "KEEP": "1", "X": "y", **root}
    # outside a job the user's own Open MPI settings stay
    env = par.launcher_environ({"PATH": "/bin", "OMPI_MCA_btl": "self,vader", "OMPI_X": "1"})
    assert env == {"PATH": "/bin", "OMPI_MCA_btl": "self,vader", **root}


@pytest.mark.skipif(importlib.util.find_spec("yac") is None,
                    reason="yac is not installed (tools/install.sh installs it)")
def test_handshake_meets_yac_s_own():
    """comin.parallel.mpi_handshake sends what ComIn's and YAC's C implementation send: two
    host ranks listing "yac" and a third process that only calls yac.YAC() end up in one YAC
    world (a handshake of pickled Python objects would hang here)."""
    script = os.path.join(HERE, "mpi", "yac_handshake.py")
    r = _mpiexec(2, [sys.executable, script, "host"], (1, [sys.executable, script, "yac"]), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    got = sorted((json.loads(m) for m in re.findall(r"YAC_HANDSHAKE (\{[^{}]*\})", r.stdout)),
                 key=lambda d: d["rank"])
    assert [(d["role"], d["host_size"], d["yac_size"]) for d in got] == [
        ("host", 2, 3), ("host", 2, 3), ("yac", 0, 3)]
    assert all(d["components"] == ["host0", "host1", "yac2"] for d in got)


# -- the MPI library itself ----------------------------------------------------------------------

def _known_unsigned_bug(name: str) -> str:
    """Why ``name``'s MIN/MAX is wrong in this MPI library ("" when it should be right)."""
    version = MPI.Get_library_version()
    if version.startswith("MPICH Version:") and "4.0.2" in version.split("\n")[0]:
        return "MPICH 4.0.2 compares unsigned integers as signed (pmodels/mpich#6083)"
    if version.startswith("Open MPI v4.1.") and version[len("Open MPI v4.1."):][:1] in "234" \
            and name in ("UNSIGNED_LONG", "default uint64"):
        return "Open MPI 4.1.2-4.1.4 compares MPI_UNSIGNED_LONG as signed (open-mpi/ompi#10525)"
    return ""


@pytest.fixture(scope="module")
def unsigned_reductions():
    r = _mpiexec(2, [sys.executable, os.path.join(HERE, "mpi", "unsigned_reductions.py")])
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.split("UNSIGNED ", 1)[1].splitlines()[0])


@pytest.mark.parametrize("name", ["UINT8_T", "UINT16_T", "UINT32_T", "UINT64_T", "UNSIGNED",
                                  "UNSIGNED_LONG", "UNSIGNED_LONG_LONG", "default uint64"])
def test_unsigned_min_max_reductions(request, unsigned_reductions, name):
    """MIN and MAX of 5 and the type's maximum over 2 ranks.  YAC checks MPI_UINT64_T at start-up
    (and refuses MPICH 4.0.2); the known wrong cases of an MPI library are strict xfails that
    name the bug, so a fixed library shows up."""
    why = _known_unsigned_bug(name)
    if why:
        request.applymarker(pytest.mark.xfail(reason=why, strict=True))
    assert unsigned_reductions[name] == {"min_ok": True, "max_ok": True}


# -- ComIn's two-stage handshake against a C peer written from the protocol's description -----

@pytest.fixture(scope="module")
def c_peer(tmp_path_factory):
    """tests/mpi/handshake_peer.c (no comin code in it), built with the MPI C compiler."""
    from comin import _build
    out = tmp_path_factory.mktemp("peer") / "handshake_peer"
    return _build.build([os.path.join(HERE, "mpi", "handshake_peer.c")], str(out), kind="executable",
                        comin=False, mpi=True, strict=True)


def _namelist(tmp_path, comms):
    plugin = os.path.join(HERE, "mpi", "comm_sizes_plugin.py")
    lines = ["&comin_nml"]
    for i, comm in enumerate(comms, start=1):
        lines += [f'  plugin_list({i})%name = "sizes_{comm}"',
                  f'  plugin_list({i})%plugin_library = "libpython_adapter.so"',
                  f'  plugin_list({i})%options = "{plugin}"',
                  f'  plugin_list({i})%comm = "{comm}"']
    path = tmp_path / "sizes.nml"
    path.write_text("\n".join(lines + ["/", ""]))
    return str(path)


def test_upstream_externals_beside_comin_run(tmp_path, c_peer):
    """upstream's mpi_communicator2 set-up beside `comin run`: two plugins with the comms "a" and
    "b" on 2 host ranks, one external process for "a" and two for "b", each doing both stages of
    the handshake as upstream's externals do ("comin" on MPI_COMM_WORLD, then its names)."""
    run = [sys.executable, "-m", "comin", "run", "--grid", "R2B0", "--steps", "1", "--no-summary",
           "--no-progress", "--namelist", _namelist(tmp_path, ["a", "b"])]
    r = _mpiexec(2, run, (1, [c_peer, "external", "a"]), (2, [c_peer, "external", "b"]), timeout=180)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = r.stdout + r.stderr
    assert "Traceback" not in out and "ERROR" not in out
    assert "plugin(a) size: 3\nthis external size: 1\nall external size: 3\n" in r.stdout
    assert "plugin(b) size: 4\nthis external size: 2\nall external size: 3\n" in r.stdout
    for when in ("primary", "secondary"):
        for rank in (0, 1):
            assert f"sizes_a {when} host_comm: {rank}/2 plugin_comm: {rank}/3" in out
            assert f"sizes_b {when} host_comm: {rank}/2 plugin_comm: {rank}/4" in out


def test_join_beside_an_upstream_style_host(c_peer):
    """comin.parallel.join beside a host that does what upstream's hosts do (stage 1 "replay",
    "comin"; stage 2 the plugin comm and "comin_host_atmo"), in C."""
    script = ("from comin.parallel import join\n"
              "c = join('grp')['grp']\n"
              "print(f'joined rank {c.Get_rank()} of {c.Get_size()}', flush=True)\n")
    r = _mpiexec(2, [c_peer, "host", "grp"], (1, [sys.executable, "-c", script]))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "joined rank 2 of 3" in r.stdout
    for rank in (0, 1):
        assert f"host rank {rank}: host size 2 plugin(grp) size 3" in r.stdout


@pytest.mark.parametrize("version", [0, 2])
def test_version_mismatch_ends_the_job_with_one_line_per_rank(c_peer, version):
    """A peer speaking another version of the protocol: the processes that see the mismatch say
    so in one line each and the job ends (as upstream's MPI_Abort), no traceback, no hang.  With
    a lower version every comin rank notices it; with a higher one the peer does."""
    host = os.path.join(HERE, "mpi", "host_with_comm.py")
    r = _mpiexec(2, [sys.executable, host], (1, [c_peer, "external", "grp", str(version)]))
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "Traceback" not in out, out
    if version == 0:
        lines = re.findall(r"\s*\d+: ERROR\(mpi_handshake\): version mismatch: a process of the "
                           r"communicator speaks version 0 of the MPI handshake, comin speaks 1", out)
        assert len(lines) == 2, out              # each comin rank says it before rank 0 aborts
    else:
        assert "PEER ERROR: version mismatch" in out


def test_a_process_that_skips_the_handshake_ends_the_job_after_the_timeout(c_peer):
    """A process of MPI_COMM_WORLD that never takes part: upstream hangs; comin's ranks give up
    after COMIN_MPI_TIMEOUT seconds with one line."""
    host = os.path.join(HERE, "mpi", "host_with_comm.py")
    cmd = mpiexec_command(2, [sys.executable, host], (1, [c_peer, "idle"]))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       env=launcher_environ(COMIN_MPI_TIMEOUT="5"))
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "Traceback" not in out, out
    lines = re.findall(r"\d+: ERROR\(mpi_handshake\): no answer from every process of the "
                       r"communicator within 5 s", out)
    assert len(lines) == 2, out


def test_upstream_external_beside_comin_replay(tmp_path, c_peer):
    """`comin replay` under MPI does the handshake too (as upstream's replay tool), so an
    external process started beside it meets the plugin's communicator."""
    rec = tmp_path / "rec"
    run = subprocess.run(mpiexec_command(2, [sys.executable, "-m", "comin", "run", "--grid", "R2B0",
                                             "--steps", "1", "--no-summary", "--no-progress",
                                             "--record", str(rec)]),
                         capture_output=True, text=True, timeout=180, env=launcher_environ())
    assert run.returncode == 0, run.stdout + run.stderr
    replay = [sys.executable, "-m", "comin", "replay", "--no-summary", str(rec), "--namelist",
              _namelist(tmp_path, ["a"])]
    r = _mpiexec(2, replay, (1, [c_peer, "external", "a"]), timeout=180)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "plugin(a) size: 3\nthis external size: 1\nall external size: 1\n" in r.stdout
    for rank in (0, 1):
        assert f"sizes_a secondary host_comm: {rank}/2 plugin_comm: {rank}/3" in r.stdout + r.stderr
