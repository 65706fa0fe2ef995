"""The example plugins in ``examples/`` run in the emulator and do what they say.

Each example runs on a small grid (R2B0/R2B1, a few levels, 2-3 steps), with
and without a nest where that matters; the tests check the outcome against
an independent computation from the emulator's own fields and grids.
"""
import datetime
import os
import re
import shlex

import numpy as np
import pytest

from comin.__main__ import main
from comin.icon.mtime import datetime_string
from comin.emulator import Emulator
from comin.parallel import launcher_environ, mpiexec_command
from _support import emulator_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
NUMBER = r"[-+0-9.eE]+"


def example(name, args=""):
    """The ``"script.py args"`` option string of an example."""
    path = shlex.quote(os.path.join(EXAMPLES, name))
    return f"{path} {args}".strip()


def run(plugins, **cfg):
    emu = Emulator(plugins, emulator_config(**cfg))
    emu.run()
    return emu


def unblock(a, n):
    """(nproma, nblks, ...) or (nproma, nlev, nblks) host array -> (n, ...) real points."""
    if a.ndim == 3:
        a = np.moveaxis(a, 1, 2)
    return a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:], order="F")[:n]


def layer_thickness(dom):
    return -np.diff(dom.z_ifc)                     # (nlev,), top level first


def output_times(cfg_steps, dt=600.0, start="2026-01-01T00:00:00"):
    """The datetimes of the output steps as the host hands them to plugins (ICON's form)."""
    t0 = datetime.datetime.fromisoformat(start)
    return [datetime_string(t0 + datetime.timedelta(seconds=dt * i)) for i in range(cfg_steps + 1)]


# -- minimal_plugin --------------------------------------------------------------------

def test_minimal_plugin_prints_statistics_of_the_field(capsys):
    emu = run([example("minimal_plugin.py")], n_dom=1, nlev=4, steps=2)
    lines = re.findall(rf"INFO\(minimal_plugin\): (\S+) temp: min ({NUMBER}), mean ({NUMBER}), "
                       rf"max ({NUMBER}) K", capsys.readouterr().err)
    assert [t for t, *_ in lines] == output_times(2)[1:]
    dom = emu.domains[1]
    temp = unblock(emu.fields[1]["temp"], dom.grid.ncells)      # state after the last step
    tmin, tmean, tmax = map(float, lines[-1][1:])
    assert tmin == pytest.approx(temp.min(), abs=1e-3)
    assert tmean == pytest.approx(temp.mean(), abs=1e-3)
    assert tmax == pytest.approx(temp.max(), abs=1e-3)
    assert tmin < tmean < tmax


def test_minimal_plugin_takes_a_2d_variable(capsys):
    run([example("minimal_plugin.py", "--var pres_sfc")], n_dom=1, nlev=4, steps=1)
    (line,) = re.findall(r"pres_sfc: min (\S+), mean (\S+), max (\S+) Pa", capsys.readouterr().err)
    assert 9.5e4 < float(line[0]) < float(line[1]) < float(line[2]) < 1.1e5


# -- point_source ------------------------------------------------------------------------

RATE = 7.5           # kg/s
SOURCE = (11.0, 48.0)


def _unit(lon, lat):
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


@pytest.mark.parametrize("n_dom, ncells, steps", [(1, 320, 3), (2, 320, 2)])
def test_point_source_locates_emits_and_conserves(capsys, n_dom, ncells, steps):
    args = f"--lon {SOURCE[0]} --lat {SOURCE[1]} --rate {RATE} --name pntsrc"
    emu = run([example("point_source.py", args)], n_dom=n_dom, ncells=ncells, nlev=5, steps=steps)
    err = capsys.readouterr().err
    nproma = emu.config.nproma
    for jg, dom in emu.domains.items():
        g = dom.grid
        # the source cell is the cell whose centre is nearest (brute force, great circles)
        (found,) = re.findall(rf"domain {jg}: source .* in cell (\d+) \(jc (\d+), jb (\d+)\)", err)
        j, jc, jb = map(int, found)
        target = _unit(np.deg2rad(SOURCE[0]), np.deg2rad(SOURCE[1]))
        nearest = int(np.argmax(_unit(g.clon, g.clat) @ target)) + 1
        assert j == nearest
        assert (jc, jb) == ((j - 1) % nproma + 1, (j - 1) // nproma + 1)

        # the mass present (sum of rho * q * area * dz) is the emitted mass: the transport and
        # the physics keep it to round-off; the plugin applies the tendencies of the last physics
        # pass a step later, after the transport changed rho a little (~1e-7 of the mass)
        k = emu.tracers.index("pntsrc")
        q = unblock(emu.fields[jg]["container"][..., k], g.ncells)           # (ncells, nlev)
        rho = unblock(emu.fields[jg]["rho"], g.ncells)
        column = (rho * q) @ layer_thickness(dom) * g.cell_area
        present = column.sum()
        emitted = RATE * emu.config.dt * steps      # the nest: twice as many steps of dt/2
        if jg == 1:
            assert abs(present - emitted) <= 1e-6 * emitted
        else:   # one-way nesting: what reaches the boundary rows takes the parent's values
            assert 0.99 * emitted <= present <= (1 + 1e-6) * emitted
        assert q.min() >= 0.0
        assert column[nearest - 1] > 0.0

        # what the plugin printed agrees, and the plume spreads over time
        rows = re.findall(rf"(\S+) domain {jg}: emitted ({NUMBER}) kg, present ({NUMBER}) kg "
                          rf"\(relative difference ({NUMBER})\), in (\d+) columns", err)
        assert [r[0] for r in rows] == output_times(steps)
        assert float(rows[-1][1]) == pytest.approx(emitted, rel=1e-10)
        assert float(rows[-1][2]) == pytest.approx(present, rel=1e-10)
        assert all(float(r[3]) <= (1e-6 if jg == 1 else 1e-2) for r in rows)
        counts = [int(r[4]) for r in rows]
        assert counts[0] == 0 and counts[1] >= 1
        assert all(a <= b for a, b in zip(counts, counts[1:]))
        assert counts[-1] > counts[1]
        assert counts[-1] == np.count_nonzero(column > 0.0)
        # turbulence and convection lifted part of the emission out of the lowest level
        lifted = re.findall(rf"domain {jg}: .* by turbulence ({NUMBER}) kg, by convection ({NUMBER}) kg", err)
        turb, conv = map(float, lifted[-1])
        assert 0.0 < turb < emitted and 0.0 < conv < emitted
        assert q[:, :-1].sum() > 0.0


def test_point_source_outside_the_nest_emits_only_in_domain_1(capsys):
    emu = run([example("point_source.py", "--lon -120 --lat -40 --rate 1")], n_dom=2, nlev=4, steps=2)
    err = capsys.readouterr().err
    assert re.search(r"domain 2: source 120.000W 40.000S is outside", err)
    k = emu.tracers.index("plume")
    assert emu.fields[2]["container"][..., k].max() == 0.0
    assert emu.fields[1]["container"][..., k].max() > 0.0


# -- plot_field ----------------------------------------------------------------------------

def _check_png(path):
    import matplotlib.image
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
    colours = np.unique(img.reshape(-1, img.shape[2]), axis=0)
    assert len(colours) > 20                     # not a blank (one-colour) picture
    return img


def test_plot_field_writes_maps_of_the_plume_for_every_output_and_domain(tmp_path, capsys):
    outdir = tmp_path / "plots dir"
    steps = 2
    run([example("point_source.py"), example("plot_field.py", f"--var plume --log --outdir {shlex.quote(str(outdir))}")],
        n_dom=2, nlev=4, steps=steps)
    err = capsys.readouterr().err
    stamps = [datetime.datetime.fromisoformat(t).strftime("%Y%m%dT%H%M%SZ")
              for t in output_times(steps)]
    expected = {f"plume_L04_DOM{jg:02d}_{s}.png" for jg in (1, 2) for s in stamps}
    assert set(os.listdir(outdir)) == expected
    written = re.findall(r"INFO\(plot_field\): wrote (.+\.png)", err)
    assert sorted(os.path.basename(p) for p in written) == sorted(expected)
    assert all(os.path.dirname(p) == str(outdir) for p in written)
    assert f"6 pictures of plume in {outdir}" in err
    images = {name: _check_png(outdir / name) for name in expected}
    for jg in (1, 2):     # the plume appears: the last map differs from the empty first one
        first, last = (images[f"plume_L04_DOM{jg:02d}_{s}.png"] for s in (stamps[0], stamps[-1]))
        assert first.shape == last.shape and not np.array_equal(first, last)


def test_plot_field_draws_a_2d_field_on_the_whole_globe(tmp_path, capsys):
    run([example("plot_field.py", f"--var pres_sfc --outdir {tmp_path} --cmap magma")], n_dom=1, steps=1)
    names = sorted(os.listdir(tmp_path))
    assert names == ["pres_sfc_DOM01_20260101T000000Z.png", "pres_sfc_DOM01_20260101T001000Z.png"]
    img = _check_png(tmp_path / names[0])
    # the map is covered: no background grey inside the axes' centre row (date line, poles handled)
    h, w = img.shape[:2]
    row = img[h // 2, w // 4: w // 2, :3]
    assert not np.any(np.all(np.abs(row - 0.85) < 0.01, axis=1))


# -- column_water --------------------------------------------------------------------------

@pytest.mark.parametrize("args, name, tracers", [
    ("", "tqw_plugin", ("qv", "qc", "qi", "qr", "qs")),
    ("--name tqv_plugin --tracers qv", "tqv_plugin", ("qv",)),
])
def test_column_water_matches_numpy(capsys, args, name, tracers):
    emu = run([example("column_water.py", args)], n_dom=2, nlev=5, steps=2)
    err = capsys.readouterr().err
    for jg, dom in emu.domains.items():
        g, f = dom.grid, emu.fields[jg]
        water = sum(unblock(f["container"][..., emu.tracers.index(t)], g.ncells) for t in tracers)
        expected = (unblock(f["rho"], g.ncells) * water) @ layer_thickness(dom)
        diag = dom.requested[name]
        assert np.allclose(unblock(diag, g.ncells), expected, rtol=1e-12, atol=0.0)
        assert not np.any(diag.reshape(-1, order="F")[g.ncells:])           # padding untouched
        means = re.findall(rf"(\S+) domain {jg}: {name} \(\S+\) mean ({NUMBER}) kg m-2, "
                           rf"min ({NUMBER}), max ({NUMBER})", err)
        assert [m[0] for m in means] == output_times(2)
        mean = np.sum(expected * g.cell_area) / np.sum(g.cell_area)
        assert float(means[-1][1]) == pytest.approx(mean, rel=1e-5)
        assert float(means[-1][2]) == pytest.approx(expected.min(), rel=1e-5)
        assert float(means[-1][3]) == pytest.approx(expected.max(), rel=1e-5)
        assert 1.0 < mean < 100.0                                          # kg m-2: plausible


# -- every example through the command line ------------------------------------------------

@pytest.mark.parametrize("plugin", [
    "minimal_plugin.py",
    "point_source.py --rate 2",
    "plot_field.py --var temp --level 2 --outdir {tmp}",
    "column_water.py",
])
def test_cli_runs_each_example(tmp_path, capsys, plugin):
    spec = example(*plugin.format(tmp=shlex.quote(str(tmp_path))).split(" ", 1))
    assert main(["run", spec, "--grid", "R2B0", "--nlev", "4", "--steps", "2"]) == 0
    err = capsys.readouterr().err
    name = plugin.split(".")[0]
    assert f"INFO({name}):" in err
    assert "Traceback" not in err
    if name == "plot_field":
        assert len(list(tmp_path.glob("temp_L02_DOM01_*.png"))) == 3


def test_column_water_in_parallel_prints_the_serial_figures(tmp_path):
    """Under mpiexec the example reduces its figures over the host ranks: the same lines
    as on one process (the emulator's parallel run equals the serial one)."""
    import subprocess
    import sys
    cmd = [sys.executable, "-m", "comin", "run", example("column_water.py"), "--grid", "R2B2", "--nest",
           "--steps", "2", "--no-summary", "--no-progress"]
    serial = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert serial.returncode == 0, serial.stderr
    par = subprocess.run(mpiexec_command(2, cmd), capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env=launcher_environ())
    assert par.returncode == 0, par.stdout + par.stderr
    lines = [line for line in serial.stderr.splitlines() if "INFO(column_water)" in line]
    assert len(lines) == 6, serial.stderr            # 3 output times x 2 domains
    assert [line.removeprefix("[rank 0] ") for line in (par.stdout + par.stderr).splitlines()
            if "INFO(column_water)" in line] == lines
