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
