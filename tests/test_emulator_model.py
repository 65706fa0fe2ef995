"""The emulator's model: analytic atmosphere, conservative transport, options."""
import numpy as np
import pytest

import comin  # noqa: F401  (the package under test)
from comin import grid as gridmod
from comin.emulator import Config, Emulator, atmosphere as atm
from comin.emulator.model import Domain
from comin.emulator.transport import UpwindTransport

from _support import emulator_config


@pytest.fixture(scope="module")
def r2b2():
    return gridmod.load_or_make_global("R2B2")


def _blocked_tracers(grid, nproma, q):
    """(ncells, nlev, ntr) -> ICON's container layout (nproma, nlev, nblks, ntr)."""
    n, nlev, ntr = q.shape
    nblks = -(-n // nproma)
    full = np.zeros((nblks * nproma, nlev, ntr))
    full[:n] = q
    return np.asfortranarray(full.reshape(nblks, nproma, nlev, ntr).transpose(1, 2, 0, 3))


def _unblocked(c, n):
    return c.transpose(2, 0, 1, 3).reshape(-1, c.shape[1], c.shape[3])[:n]


def test_discrete_fluxes_are_divergence_free(r2b2):
    tr = UpwindTransport(r2b2, 16)
    flux = tr.fluxes(atm.stream_function(r2b2.vlon, r2b2.vlat, 1234.0))
    e = tr.edges
    div = np.zeros(r2b2.ncells)
    np.add.at(div, tr.c1[e], flux[e])
    np.add.at(div, tr.c2[e], -flux[e])
    assert np.abs(div).max() < 1e-6 * np.abs(flux).max()
    assert np.abs(flux).max() > 1e6          # a real flow: ~ U * edge length


def test_normal_wind_matches_analytic_wind(r2b2):
    tr = UpwindTransport(r2b2, 16)
    t = 5000.0
    e = tr.edges
    vn = tr.normal_wind(tr.fluxes(atm.stream_function(r2b2.vlon, r2b2.vlat, t)))[e]
    # analytic wind . normal (cell 1 -> cell 2) at the edge midpoints
    u, v = atm.wind(r2b2.elon[e], r2b2.elat[e], t)
    xyz = lambda lon, lat: np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)  # noqa: E731
    c1, c2 = tr.c1[e], tr.c2[e]
    n = xyz(r2b2.clon[c2], r2b2.clat[c2]) - xyz(r2b2.clon[c1], r2b2.clat[c1])
    lon, lat = r2b2.elon[e], r2b2.elat[e]
    east = np.stack([-np.sin(lon), np.cos(lon), np.zeros_like(lon)], -1)
    north = np.stack([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)], -1)
    n_e, n_n = np.einsum("ij,ij->i", n, east), np.einsum("ij,ij->i", n, north)
    norm = np.hypot(n_e, n_n)
    analytic = (u * n_e + v * n_n) / norm
    err = np.abs(vn - analytic)
    assert np.median(err) < 0.05 * np.abs(analytic).max()
    assert np.corrcoef(vn, analytic)[0, 1] > 0.99


def _density(grid, nproma, nlev, rng):
    """A density that varies in space (blocked, padding 0) and its unblocked values."""
    rho = 0.5 + rng.random((grid.ncells, nlev))
    return _blocked_tracers(grid, nproma, rho[:, :, None])[..., 0].copy(order="F"), rho


def test_transport_conserves_mass_and_keeps_uniform_fields(r2b2):
    nlev, ntr, nproma = 4, 3, 13
    tr = UpwindTransport(r2b2, nproma)
    rng = np.random.default_rng(1)
    q = rng.random((r2b2.ncells, nlev, ntr))
    q[:, :, 2] = 0.7                                        # a uniform mixing ratio
    c = _blocked_tracers(r2b2, nproma, q)
    rho_b, rho = _density(r2b2, nproma, nlev, rng)
    flux = tr.fluxes(atm.stream_function(r2b2.vlon, r2b2.vlat, 0.0))
    factor = atm.vertical_profile(nlev)
    air0 = np.einsum("i,ij->j", r2b2.cell_area, rho)
    mass0 = np.einsum("i,ij,ijk->jk", r2b2.cell_area, rho, q)
    nsub = tr.advect(rho_b, c, flux, 3600.0, factor)
    q1 = _unblocked(c, r2b2.ncells)
    rho1 = _unblocked(rho_b[..., None], r2b2.ncells)[..., 0]
    # the total air and tracer masses of every level: to round-off
    np.testing.assert_allclose(np.einsum("i,ij->j", r2b2.cell_area, rho1), air0, rtol=1e-14)
    np.testing.assert_allclose(np.einsum("i,ij,ijk->jk", r2b2.cell_area, rho1, q1), mass0, rtol=1e-13)
    np.testing.assert_allclose(q1[:, :, 2], 0.7, rtol=1e-13)
    assert not np.array_equal(q1[:, :, :2], q[:, :, :2])    # it did move something
    assert not np.array_equal(rho1, rho)
    # no new extrema, per tracer and level
    assert np.all(q1.min(axis=0) >= q.min(axis=0) - 1e-15)
    assert np.all(q1.max(axis=0) <= q.max(axis=0) + 1e-15)
    assert nsub >= 1 and rho1.min() > 0.0
    pad = (np.arange(nproma) + (c.shape[2] - 1) * nproma) >= r2b2.ncells
    assert not np.any(c[:, :, -1, :][pad]) and not np.any(rho_b[:, :, -1][pad])


def test_large_steps_are_subcycled_and_stay_positive(r2b2):
    from comin.hosts.emulator.transport import COURANT_LIMIT
    tr = UpwindTransport(r2b2, 16)
    q = np.zeros((r2b2.ncells, 1, 1))
    q[0] = 1.0
    c = _blocked_tracers(r2b2, 16, q)
    rho_b, rho = _density(r2b2, 16, 1, np.random.default_rng(2))
    flux = tr.fluxes(atm.stream_function(r2b2.vlon, r2b2.vlat, 0.0))
    dt = 20.0 / tr.courant(flux, 1.0)                        # Courant number 20
    nsub = tr.advect(rho_b, c, flux, dt, np.ones(1))
    q1 = _unblocked(c, r2b2.ncells)
    rho1 = _unblocked(rho_b[..., None], r2b2.ncells)[..., 0]
    assert nsub >= 20 / COURANT_LIMIT
    assert q1.min() >= 0.0 and q1.max() <= 1.0 and rho1.min() > 0.0
    np.testing.assert_allclose((q1[:, 0, 0] * rho1[:, 0] * r2b2.cell_area).sum(),
                               r2b2.cell_area[0] * rho[0, 0], rtol=1e-12)


def test_standard_atmosphere():
    t, p = atm.standard_atmosphere(np.array([0.0, 11000.0, 20000.0]))
    np.testing.assert_allclose(t, [288.15, 216.65, 216.65])
    np.testing.assert_allclose(p[:2], [101325.0, 22632.0], rtol=2e-4)
    assert 5000 < p[2] < 6000


def test_fields_are_plausible_and_evolve():
    emu = Emulator([], emulator_config(ncells=320, steps=0, nlev=6))
    emu.setup()
    try:
        dom = emu.domains[1]
        f = dom.fields
        valid = dom.valid > 0
        assert 190 < f["temp"].min() and f["temp"].max() < 320
        assert 5e3 < f["pres"][:, -1][valid].min() and f["pres"][:, -1][valid].max() < 1.1e5
        np.testing.assert_allclose(f["rho"], f["pres"] / (atm.RD * f["temp"]), rtol=1e-12)
        assert np.abs(f["u"]).max() < 60 and np.abs(f["vn"]).max() < 60
        before = {k: v.copy() for k, v in f.items()}
        dom.time += 3600.0
        dom.update_dynamics()
        for name in ("u", "v", "vn", "temp", "omega_z"):
            assert not np.array_equal(before[name], f[name]), name
    finally:
        emu.host.finalize()


def test_domain_blocking_matches_descriptive_data():
    out = {}

    def plugin():
        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            for jg in (1, 2):
                d = comin.descrdata_get_domain(jg)
                out[jg] = (np.asarray(d.cells.clon).copy(), np.asarray(d.verts.vlat).copy())

    emu = Emulator([plugin], emulator_config(n_dom=2, ncells=80, steps=1))
    emu.run()
    for jg in (1, 2):
        dom = emu.domains[jg]
        np.testing.assert_array_equal(out[jg][0], dom.clon)
        np.testing.assert_array_equal(out[jg][1], dom.vlat)


@pytest.mark.parametrize("kw, message", [
    (dict(grid="R2X4"), "R2X4"),
    (dict(grid="R2B9"), "cells"),
    (dict(nproma=0), "nproma must be >= 1"),
    (dict(nlev=0), "nlev must be >= 1"),
    (dict(dt=0.0), "dt must be > 0"),
    (dict(steps=3, end="2026-01-02T00:00:00"), "either steps or end"),
    (dict(end="yesterday"), "end 'yesterday' is not an ISO 8601"),
    (dict(start="2026-01-02T00:00:00", end="2026-01-01T00:00:00"), "is before start"),
    (dict(nest=True, nest_radius=120.0), "nest radius"),
])
def test_config_problems_name_the_option(kw, message):
    cfg = Config(**kw)
    assert any(message in p for p in cfg.problems()), cfg.problems()
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        Emulator([], cfg)


def test_end_sets_the_number_of_steps():
    assert Config(dt=600.0, end="2026-01-01T01:00:00").n_steps() == 6
    assert Config().n_steps() == 6 and Config(steps=0).n_steps() == 0


def test_tracer_mass_and_column_water_are_conserved_as_a_plugin_sees_them():
    """Total tracer mass sum(rho q area dz) and the global mean column water stay constant
    to round-off over 30 minutes (domain 1 is global; its one-way nest does not feed back),
    as a plugin computes them from rho, the tracers, hhl and area."""
    totals = []

    def plugin():
        comin.var_request_add(("tr", -1), False)
        comin.metadata_set(("tr", -1), tracer=True)
        h = {}

        @comin.EP_SECONDARY_CONSTRUCTOR
        def sc():
            ctx = [comin.EP_ATM_WRITE_OUTPUT_BEFORE]
            for name in ("rho", "qv", "qc", "qi", "qr", "qs"):
                h[name] = comin.var_get(ctx, (name, 1), comin.COMIN_FLAG_READ)
            h["tr"] = comin.var_get(ctx, ("tr", 1), comin.COMIN_FLAG_READ | comin.COMIN_FLAG_WRITE)
            d = comin.descrdata_get_domain(1).cells
            hhl = np.asarray(d.hhl)
            h["w"] = np.asarray(d.area)[:, None, :] * (hhl[:, :-1] - hhl[:, 1:])   # area * dz
            lat = np.asarray(d.clat)
            h["tr"].to_3d[...] = (np.cos(3 * lat) ** 2)[:, None, :] * 1e-3         # a pattern

        @comin.EP_ATM_WRITE_OUTPUT_BEFORE
        def out():
            rho = h["rho"].to_3d * h["w"]
            water = sum(h[t].to_3d for t in ("qv", "qc", "qi", "qr", "qs"))
            totals.append((float(np.sum(rho * h["tr"].to_3d)), float(np.sum(rho * water)),
                           float(np.sum(rho))))

    Emulator([plugin], emulator_config(n_dom=2, ncells=1280, nlev=10, steps=3)).run()
    tr, water, air = np.array(totals).T
    assert len(totals) == 4                                  # initial + 3 steps of 10 min
    for series in (tr, water, air):
        np.testing.assert_allclose(series, series[0], rtol=1e-13, atol=0)
    assert tr[0] > 0 and water[0] > 0


def test_transport_does_not_depend_on_nproma(r2b2):
    """The transport updates the host's arrays in place, block after block, taking
    neighbours' old values from the arrays (still ahead), a ring of recent blocks, or the
    cells saved apart (far behind): every nproma (1: most cells far apart, 7: some, 32: all
    in the ring, 5000: one block) gives the same values bit for bit."""
    rng = np.random.default_rng(0)
    rho0 = 0.5 + rng.random((r2b2.ncells, 4))
    q0 = rng.random((r2b2.ncells, 4, 3))
    flux = None
    results = []
    for nproma in (1, 7, 32, 5000):
        tr = UpwindTransport(r2b2, nproma)
        if nproma in (1, 7):
            assert len(tr.far_cells) > 0
        flux = tr.fluxes(atm.stream_function(r2b2.vlon, r2b2.vlat, 0.0))
        rho = _blocked_tracers(r2b2, nproma, rho0[:, :, None])[..., 0].copy(order="F")
        q = _blocked_tracers(r2b2, nproma, q0)
        tr.advect(rho, q, flux, 7200.0, np.linspace(1.0, 0.4, 4))
        results.append((_unblocked(rho[..., None], r2b2.ncells), _unblocked(q, r2b2.ncells)))
    for rho, q in results[1:]:
        assert np.array_equal(rho, results[0][0]) and np.array_equal(q, results[0][1])
