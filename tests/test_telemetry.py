"""The telemetry plugin (comin/plugins/telemetry): reductions, metrics, endpoint, command line.

Real parts, all local and bounded in time: runs of the emulator with the
plugin (in this process and as ``comin run``), a Prometheus server (Debian's
``prometheus``) scraping it, the live page in headless Chromium (Debian's
``chromium``), a two-rank run under ``mpiexec``, and the plugin run the way
upstream ComIn's Python adapter runs a script (no ``__file__``, a ``comin``
module with upstream's names only).  Every server and run is stopped at the
end of its test.
"""
from __future__ import annotations

import base64
import html.parser
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest

import comin
from comin.plugins import telemetry
from comin.plugins.telemetry import reduce as R
from comin.plugins.telemetry import telemetry as T
from comin.parallel import launcher_environ, mpiexec_command

prometheus_client = pytest.importorskip("prometheus_client",
                                        reason="installed by tools/install.sh")
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROBE = os.path.join(HERE, "plugins", "telemetry_probe.py")
#: a small run: R2B2 (1280 cells) with a nest (lateral boundary rows), 5 levels
MODEL = ["--grid", "R2B2", "--nest", "--nest-radius", "35", "--nproma", "8", "--nlev", "5"]
ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics(text: str) -> dict:
    """``{(name, ((label, value), ...)): value}`` of an exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def series(m: dict, name: str) -> dict:
    """``{labels dict as tuple: value}`` of one metric name."""
    return {labels: v for (n, labels), v in m.items() if n == name}


def run_comin(args, timeout=120, mpi=0, **kw) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "comin"] + list(args)
    if mpi:
        cmd = mpiexec_command(mpi, cmd)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=launcher_environ(ENV), cwd=kw.get("cwd", ROOT))


def plugin(*words) -> str:
    return " ".join(shlex.quote(w) for w in (telemetry.PLUGIN_SCRIPT,) + words)


# -- reductions ---------------------------------------------------------------------------------

def _brute(field3, mask, weights):
    """min, max, mean (area-weighted over points, levels alike), NaN count: the plain way."""
    nproma, nlev, nblks = field3.shape
    pts = field3.transpose(1, 2, 0).reshape(nlev, -1)[:, mask]        # (nlev, points)
    w = np.broadcast_to(weights[mask], pts.shape)
    good = ~np.isnan(pts)
    return (np.nanmin(pts), np.nanmax(pts), (pts[good] * w[good]).sum() / w[good].sum(),
            int((~good).sum()))


@pytest.mark.parametrize("kernel", [R.KERNEL, None], ids=["one-pass kernel", "numpy"])
@pytest.mark.parametrize("layout", ["one run", "three runs", "scattered"])
def test_partial_equals_the_plain_computation(kernel, layout):
    assert R.KERNEL is not None, "the one-pass kernel is built with comin (setup.py)"
    rng = np.random.default_rng(1)
    nproma, nlev, nblks = 8, 4, 13
    n = nproma * nblks - 5                                   # padding in the last block
    field = np.asfortranarray(rng.normal(280.0, 20.0, (nproma, nlev, nblks)))
    area = rng.uniform(1.0, 3.0, nproma * nblks)
    refin = np.zeros(nproma * nblks, np.int32)
    decomp = np.zeros(nproma * nblks, np.int32)
    if layout == "three runs":
        refin[:11] = np.arange(1, 12) % 5                   # boundary rows 1..4, then 0
        decomp[70:80] = 1                                    # a halo stretch
    elif layout == "scattered":
        decomp[rng.random(nproma * nblks) < 0.4] = 2         # many runs: the index path
    blocked = dict(refin_ctrl=refin.reshape(nblks, nproma).T, decomp_domain=decomp.reshape(nblks, nproma).T)
    mask = R.prognostic(n, nproma, bdywidth=4, **blocked)
    plain = (np.arange(nproma * nblks) < n) & ~((refin >= 1) & (refin <= 4)) & (decomp == 0)
    assert np.array_equal(mask, plain) and not mask[n:].any()
    if layout == "three runs":
        assert np.flatnonzero(~mask[:n]).tolist() == [0, 1, 2, 3, 5, 6, 7, 8, 10] + list(range(70, 80))
    points = R.Points(mask, area, nproma)
    assert (points.index is not None) == (layout == "scattered")
    expect = _brute(field, mask, area)
    got = R.combine(points.partial(field, kernel=kernel))
    assert got[:2] == expect[:2] and got[3] == 0
    assert got[2] == pytest.approx(expect[2], rel=1e-13)
    # NaNs: counted, left out of the mean, skipped by min/max; padding and halo NaNs ignored
    for j, k in zip(np.flatnonzero(mask)[[3, 40]], (1, 3)):   # two prognostic points
        field[j % nproma, k, j // nproma] = np.nan
    field[-1, :, -1] = np.nan                                # padding
    if layout != "one run":
        field[:, 2, 9] = np.where(mask.reshape(nblks, nproma).T[:, 9], field[:, 2, 9], np.nan)
    expect = _brute(field, mask, area)
    got = R.combine(points.partial(field, kernel=kernel))
    assert got[:2] == expect[:2] and got[3] == expect[3] == 2
    assert got[2] == pytest.approx(expect[2], rel=1e-13)
    # split over "ranks": the partials combine to the whole
    half = mask.copy()
    half[: mask.size // 2] = False
    other = mask & ~half
    parts = [R.Points(m, area, nproma).partial(field, kernel=kernel) for m in (half, other)]
    merged = R.combine(np.stack(parts))
    assert merged[:2] == got[:2] and merged[3] == got[3]
    assert merged[2] == pytest.approx(got[2], rel=1e-13)


@pytest.mark.parametrize("nproma,nlev,nblks", [(32, 20, 640), (13, 7, 200), (8, 1, 3000)])
def test_kernel_on_fields_long_enough_to_prefetch_ahead(nproma, nlev, nblks):
    """The kernel prefetches the rows of a block ~8 KiB ahead: on fields of many blocks, with
    rows that start inside a cache line (a view from the second point on), the results are
    NumPy's (min, max exact; the weighted sum to rounding)."""
    from comin.plugins.telemetry._fused import stats
    rng = np.random.default_rng(nproma * nlev)
    field = np.asfortranarray(rng.normal(250.0, 30.0, (nproma, nlev, nblks)))
    w = np.asfortranarray(rng.uniform(0.5, 2.0, (nproma, nblks)))
    for piece, wp in ((field, w), (field[1:], w[1:]), (field[:, :, 5:-3], w[:, 5:-3])):
        lo, hi, total = stats(piece, np.asfortranarray(wp))
        assert (lo, hi) == (piece.min(), piece.max())
        assert total == pytest.approx(np.einsum("ikb,ib->", piece, wp), rel=1e-12)


def test_partial_edge_cases():
    mask = np.zeros(16, bool)
    points = R.Points(mask, None, 8)
    lo, hi, mean, nans = R.combine(points.partial(np.ones((8, 2, 2), order="F")))
    assert np.isnan(lo) and np.isnan(hi) and np.isnan(mean) and nans == 0
    mask[:5] = True
    field = np.full((8, 2, 2), np.nan, order="F")
    lo, hi, mean, nans = R.combine(R.Points(mask, None, 8).partial(field))
    assert np.isnan(lo) and np.isnan(mean) and nans == 10
    ints = np.arange(32, dtype=np.intc).reshape((8, 2, 2), order="F")
    assert R.combine(R.Points(mask, None, 8).partial(ints))[:2] == (0.0, 12.0)
    with pytest.raises(ValueError, match="whole blocks"):
        R.Points(np.ones(10, bool), None, 8)


def test_view_plan_follows_the_dimension_semantics():
    S = comin
    N, L, B, C, U = (S.COMIN_DIM_SEMANTICS_NPROMA, S.COMIN_DIM_SEMANTICS_LEVEL,
                     S.COMIN_DIM_SEMANTICS_BLOCK, S.COMIN_DIM_SEMANTICS_CONTAINER,
                     S.COMIN_DIM_SEMANTICS_UNUSED)
    a = np.arange(8 * 3 * 4 * 2, dtype=float).reshape((8, 3, 4, 2), order="F")
    member = a[:, :, :, 1:2]                                   # a tracer in its container
    v = R.field_view(member, (N, L, B, C, U))
    assert v.shape == (8, 3, 4) and np.shares_memory(v, a) and v[1, 2, 3] == a[1, 2, 3, 1]
    flat = R.field_view(a[:, 0, :, 0], (N, B))
    assert flat.shape == (8, 1, 4) and flat[2, 0, 3] == a[2, 0, 3, 0]
    swapped = R.field_view(np.asfortranarray(a[:, :, :, 0].transpose(2, 0, 1)), (B, N, L))
    assert swapped.shape == (8, 3, 4) and swapped[5, 1, 2] == a[5, 1, 2, 0]
    with pytest.raises(ValueError, match="container"):
        R.field_view(a, (N, L, B, C))
    with pytest.raises(ValueError, match="blocked"):
        R.field_view(a[:, 0, 0, 0], (U,))


# -- options ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, option", [
    (["--listen", "127.0.0.1:99999"], "--listen"), (["--listen", "x"], "--listen"),
    (["--listen", ":80"], "--listen"), (["--vars", ","], "--vars"),
    (["--vars", "x" * 65], "--vars"), (["--ep", "EP_NOPE"], "--ep"),
    (["--ep", "finish"], "--ep"), (["--every", "0"], "--every"), (["--every", "x"], "--every"),
    (["--linger", "-1"], "--linger"), (["--tls-cert", "c.pem"], "--tls-cert"),
    (["--frobnicate"], "--frobnicate"), (["--history", "0"], "--history"),
    (["--config", "/nonexistent/telemetry.conf"], "--config"), (["--config"], "--config")])
def test_bad_options_name_the_option(args, option):
    with pytest.raises(T.OptionError) as info:
        T.parse_options(args)
    assert option in str(info.value) and "\n" not in str(info.value)


def test_options():
    o = T.parse_options([])
    assert (o.host, o.port, o.vars, o.ep, o.every) == ("127.0.0.1", T.DEFAULT_PORT, (),
                                                       "EP_ATM_TIMELOOP_END", 1)
    o = T.parse_options(["--listen", "[::1]:0", "--vars", "temp, pres_sfc,temp",
                         "--ep", "atm_write_output_before", "--every", "3"])
    assert (o.host, o.port, o.vars, o.ep, o.every) == ("::1", 0, ("temp", "pres_sfc"),
                                                       "EP_ATM_WRITE_OUTPUT_BEFORE", 3)
    assert T.parse_listen("9999") == ("127.0.0.1", 9999)
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("--every 2   # comment\n--vars 'temp'\n")
    try:
        o = T.parse_options(["--config", f.name, "--every", "5"])   # later words win
        assert (o.every, o.vars) == (5, ("temp",))
    finally:
        os.unlink(f.name)
    assert T.parse_listen("0.0.0.0:9") == ("0.0.0.0", 9)
    assert telemetry.ROUTINE == T.ROUTINE


# -- a run in this process: values, the one source of the timings, the endpoint ----------------

def _expected_stats(out: dict):
    """A plugin that computes what the exporter should report, the plain way, after the loop."""
    def constructor():
        handles = {}

        def secondary():
            for jg in (1, 2):
                for name in ("temp", "pres_sfc"):
                    handles[(name, jg)] = comin.var_get([comin.EP_ATM_TIMELOOP_AFTER], (name, jg),
                                                        comin.COMIN_FLAG_READ)

        def after():
            glob = comin.descrdata_get_global()
            for (name, jg), h in handles.items():
                cells = comin.descrdata_get_domain(jg).cells
                n = cells.ncells
                refin = np.asarray(cells.refin_ctrl).ravel(order="F")[:n]
                owned = np.asarray(cells.decomp_domain).ravel(order="F")[:n] == 0
                mask = owned & ~((refin >= 1) & (refin <= glob.grf_bdywidth_c))
                a = np.asarray(h)                    # ComIn's 5-D array
                a3 = a[:, :, :, 0, 0] if name == "temp" else a[:, :, 0, 0, 0][:, None, :]
                vals = a3.transpose(1, 2, 0).reshape(a3.shape[1], -1)[:, :n][:, mask]
                area = np.asarray(cells.area).ravel(order="F")[:n][mask]
                out[(name, jg)] = (vals.min(), vals.max(),
                                   (vals * area).sum() / (area.sum() * vals.shape[0]),
                                   int(mask.sum()), int(n))

        comin.callback_register(comin.EP_SECONDARY_CONSTRUCTOR, secondary)
        comin.callback_register(comin.EP_ATM_TIMELOOP_AFTER, after)
    return constructor


def test_run_in_process(tmp_path):
    """The exporter in an emulator run: every named series with its labels; the variables'
    values equal a plain computation over the prognostic cells (the nest's boundary rows
    left out); the entry-point series are exactly comin.profile_get_timings() read at the
    same moment, the source of comin run's summary table; the live page's data."""
    from comin.emulator import Config, Emulator
    from comin.host import PluginDescription
    port = free_port()
    out = tmp_path / "scrape.json"
    expected = {}
    steps = 4
    emu = Emulator([plugin("--listen", f"127.0.0.1:{port}", "--vars", "temp,pres_sfc"),
                    PluginDescription(name="expected", constructor=_expected_stats(expected)),
                    f"{PROBE} http://127.0.0.1:{port}/ {out}"],
                   Config(grid="R2B2", nest=True, nest_radius=35.0, nproma=8, nlev=5, steps=steps),
                   host_kwargs={"profile": True})
    emu.run()
    got = json.loads(out.read_text())
    m = metrics(got["metrics"])
    assert series(m, "comin_steps_total") == {(): steps}
    assert series(m, "comin_simulation_time_seconds") == {(): steps * 600.0}
    assert series(m, "comin_simulation_end_time_seconds") == {(): steps * 600.0}
    assert series(m, "comin_model_speed_ratio")[()] > 0
    assert series(m, "comin_step_duration_seconds_count") == {(): steps}
    assert 0 < series(m, "comin_last_step_duration_seconds")[()] < 60
    assert series(m, "comin_host_ranks") == {(): 1}
    assert set(series(m, "comin_rank_resident_memory_bytes")) == {(("rank", "0"),)}
    assert series(m, "comin_rank_resident_memory_bytes")[(("rank", "0"),)] > 10e6
    assert set(series(m, "comin_exporter_seconds_total")) == {(("rank", "0"),)}
    assert series(m, "comin_exporter_errors_total") == {(): 0}
    info = series(m, "comin_run_info")
    assert len(info) == 1 and dict(next(iter(info)))["exp_start"] == "2026-01-01T00:00:00.000"
    # the variables: every domain, equal to the plain computation
    for (name, jg), (lo, hi, mean, count, n) in expected.items():
        labels = (("domain", str(jg)), ("variable", name))
        assert series(m, "comin_variable_min")[labels] == lo
        assert series(m, "comin_variable_max")[labels] == hi
        assert series(m, "comin_variable_mean")[labels] == pytest.approx(mean, rel=1e-12)
        assert series(m, "comin_variable_nan_count")[labels] == 0
        if jg == 2:
            assert 0 < count < n                  # the nest's boundary rows are left out
    assert 200 < series(m, "comin_variable_mean")[(("domain", "1"), ("variable", "temp"))] < 320
    units = {dict(k)["variable"]: dict(k)["units"] for k in series(m, "comin_variable_info")}
    assert units == {"temp": "K", "pres_sfc": "Pa"}
    # entry points: the same numbers as profile_get_timings(), read later in the same
    # EP_ATM_TIMELOOP_AFTER call (the telemetry plugin sent them to its endpoint in its own
    # callback of that call, so only that entry point's numbers moved since)
    calls = series(m, "comin_entry_point_calls_total")
    secs = series(m, "comin_entry_point_seconds_total")
    assert got["timings"], "the host profiles"
    before = [t for t in got["timings"] if t[1] != "EP_ATM_TIMELOOP_AFTER"]
    for p, ep, n, s in before:
        key = (("entry_point", ep), ("plugin", p))
        assert calls[key] == n and secs[key] == pytest.approx(s, rel=1e-9, abs=1e-12)
    assert {k for k in calls if dict(k)["entry_point"] != "EP_ATM_TIMELOOP_AFTER"} == \
        {(("entry_point", ep), ("plugin", p)) for p, ep, _, _ in before}
    assert len(before) >= 4
    assert calls[(("entry_point", "EP_ATM_TIMELOOP_END"), ("plugin", "telemetry"))] == steps
    # ... which is what the summary table prints at the end
    final = {(p, ep): n for p, ep, n, _ in emu.host.timings()}
    assert final[("telemetry", "EP_ATM_TIMELOOP_END")] == steps
    # the live page's data
    h = got["history"]
    assert h["state"] == "running" and h["ranks"] == 1 and h["samples"]
    assert h["samples"][-1]["step"] == steps
    last = h["samples"][-1]
    assert last["step"] <= steps and set(last["vars"]) <= {"temp|1", "temp|2", "pres_sfc|1",
                                                           "pres_sfc|2"}
    assert {v["key"] for v in h["variables"]} == {"temp|1", "temp|2", "pres_sfc|1", "pres_sfc|2"}
    # the server is gone after the run
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_reduction_entry_point_and_interval(tmp_path):
    """``--ep`` called per domain (the nest takes two steps per step) and ``--every``:
    each domain is reduced at every second call of the entry point for it."""
    from comin.emulator import Config, Emulator
    port = free_port()
    out = tmp_path / "scrape.json"
    Emulator([plugin("--listen", f"127.0.0.1:{port}", "--vars", "temp", "--ep",
                     "atm_integrate_end", "--every", "2"),
              f"{PROBE} http://127.0.0.1:{port}/ {out}"],
             Config(grid="R2B1", nest=True, nest_radius=35.0, nproma=8, nlev=3, steps=4)).run()
    m = metrics(json.loads(out.read_text())["metrics"])
    # domain 1: calls 1 and 3 of 4; domain 2: calls 1, 3, 5, 7 of 8
    assert series(m, "comin_exporter_reductions_total") == {(): 6}
    assert set(series(m, "comin_variable_mean")) == {(("domain", "1"), ("variable", "temp")),
                                                     (("domain", "2"), ("variable", "temp"))}
    assert series(m, "comin_steps_total") == {(): 4}


def test_endpoint_paths_tls_and_basic_auth(tmp_path):
    """HTTPS with a certificate and key, basic auth on every path, the page and its data,
    404 elsewhere; prometheus_client's exposition for Prometheus's and OpenMetrics' accept."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True,
                   timeout=60)
    auth = tmp_path / "auth"
    auth.write_text("operator:s3cret:with:colons\n")
    port = free_port()
    base = f"https://127.0.0.1:{port}/"
    ctx = ssl.create_default_context(cafile=str(cert))
    good = "Basic " + base64.b64encode(b"operator:s3cret:with:colons").decode()
    seen = {}

    def get(path, authorization=None, accept=None):
        req = urllib.request.Request(base + path)
        if authorization:
            req.add_header("Authorization", authorization)
        if accept:
            req.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type"), exc.read()

    def probe():
        def end():
            if "ok" in seen:
                return
            seen["ok"] = True
            seen["noauth"] = get("metrics")
            seen["wrong"] = get("metrics", "Basic " + base64.b64encode(b"operator:nope").decode())
            seen["metrics"] = get("metrics", good)
            seen["openmetrics"] = get("metrics", good, "application/openmetrics-text; version=1.0.0")
            seen["page"] = get("", good)
            seen["js"] = get("live.js", good)
            seen["history"] = get("api/history?since=0", good)
            seen["missing"] = get("nothing/here", good)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
                seen["plain"] = "answered"
            except (OSError, urllib.error.URLError) as exc:
                seen["plain"] = type(exc).__name__
        comin.callback_register(comin.EP_ATM_TIMELOOP_AFTER, end)

    from comin.emulator import Config, Emulator
    from comin.host import PluginDescription
    config = tmp_path / "telemetry.conf"             # ComIn allows 256 characters of options
    config.write_text(f"# the endpoint's security\n--tls-cert {shlex.quote(str(cert))}\n"
                      f"--tls-key {shlex.quote(str(key))}  # its key\n"
                      f"--basic-auth-file={shlex.quote(str(auth))}\n")
    Emulator([plugin("--listen", f"127.0.0.1:{port}", "--config", str(config)),
              PluginDescription(name="probe", constructor=probe)],
             Config(grid="R2B0", nproma=8, nlev=3, steps=2)).run()
    assert seen["noauth"][0] == 401 and seen["wrong"][0] == 401
    status, ctype, body = seen["metrics"]
    assert status == 200 and ctype.startswith("text/plain") and b"comin_steps_total 2.0" in body
    assert seen["openmetrics"][0] == 200 and seen["openmetrics"][1].startswith("application/openmetrics-text")
    assert seen["openmetrics"][2].rstrip().endswith(b"# EOF")
    assert seen["page"][0] == 200 and b"<title>comin telemetry</title>" in seen["page"][2]
    assert seen["js"][0] == 200 and seen["js"][1].startswith("text/javascript")
    assert seen["history"][0] == 200 and json.loads(seen["history"][2])["state"] == "running"
    assert seen["missing"][0] == 404
    assert seen["plain"] != "answered"


def test_failures_during_the_run_never_stop_the_model(capsys):
    """A reduction that fails mid-run: logged once (not once per step), counted in
    comin_exporter_errors_total, and the model runs to its end."""
    from comin.emulator import Config, Emulator
    from comin.host import PluginDescription
    port = free_port()
    seen = {}

    def breaker():
        handle = {}

        def secondary():
            handle["h"] = comin.var_get([comin.EP_ATM_TIMELOOP_START], ("temp", 1), comin.COMIN_FLAG_READ)

        def start():
            mod = sys.modules["comin.plugins.telemetry.telemetry"]
            mod._Variable.field = lambda self: (_ for _ in ()).throw(MemoryError("simulated"))

        def end():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                seen["m"] = metrics(r.read().decode())
        comin.callback_register(comin.EP_SECONDARY_CONSTRUCTOR, secondary)
        comin.callback_register(comin.EP_ATM_TIMELOOP_START, start)
        comin.callback_register(comin.EP_ATM_TIMELOOP_AFTER, end)

    original = T._Variable.field
    try:
        emu = Emulator([plugin("--listen", f"127.0.0.1:{port}", "--vars", "temp"),
                        PluginDescription(name="breaker", constructor=breaker)],
                       Config(grid="R2B0", nproma=8, nlev=3, steps=5))
        emu.run()
    finally:
        T._Variable.field = original
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "failed" in line]
    assert len(lines) == 1, err
    assert lines[0].startswith("comin_telemetry: reducing temp on domain 1 failed: MemoryError: simulated")
    assert series(seen["m"], "comin_exporter_errors_total") == {(): 5}
    assert series(seen["m"], "comin_steps_total") == {(): 5}


def test_endpoint_answers_while_the_host_holds_the_gil(tmp_path):
    """A C or Fortran host (ICON) keeps Python's GIL on its thread between callbacks: here a
    plugin holds it for 0.4 s of every step (a call through ctypes.PyDLL keeps it).  The
    endpoint, a process of its own, answers within a fraction of that all the while, and
    the numbers move on step by step (an HTTP thread in the model's process took seconds)."""
    (tmp_path / "hold.py").write_text(textwrap.dedent("""\
        import ctypes
        import comin

        libc = ctypes.PyDLL(None)

        @comin.EP_ATM_TIMELOOP_START
        def compute():
            libc.usleep(400000)
        """))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    run = subprocess.Popen([sys.executable, "-m", "comin", "run", "--grid", "R2B0", "--nproma", "8",
                            "--nlev", "3", "--steps", "10", "--no-progress", str(tmp_path / "hold.py"),
                            "--telemetry", f"127.0.0.1:{port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV,
                           cwd=str(tmp_path))
    try:
        def steps():
            with urllib.request.urlopen(url + "metrics", timeout=5) as r:
                return series(metrics(r.read().decode()), "comin_steps_total").get((), 0)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                if steps() >= 1:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        latencies, seen = [], []
        end = time.monotonic() + 2.2                 # the plugin publishes once a second
        while time.monotonic() < end:
            t0 = time.monotonic()
            seen.append(steps())
            latencies.append(time.monotonic() - t0)
            time.sleep(0.1)
        # a server in the model's process waits for the 0.4 s holds: most answers would take
        # 0.1-0.4 s; one answer delayed by a loaded machine's scheduler is not that
        slow = [t for t in latencies if t >= 0.25]
        assert sorted(latencies)[len(latencies) // 2] < 0.1 and len(slow) <= len(latencies) // 4, latencies
        assert seen[-1] > seen[0] >= 1, seen
    finally:
        _, err = run.communicate(timeout=60)
    assert run.returncode == 0, err


# -- the command line ---------------------------------------------------------------------------

def test_plugin_path_command(capsys):
    from comin.__main__ import main
    assert main(["plugin-path", "telemetry"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == telemetry.PLUGIN_SCRIPT and os.path.isfile(out)
    assert main(["plugin-path", "telemetri"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no shipped plugin named 'telemetri'" in err and "telemetry" in err


def test_comin_run_telemetry_loads_it(tmp_path, capsys):
    """``comin run --telemetry ADDR:PORT --telemetry-vars ...``: the plugin runs last, named
    "telemetry", the host profiles (even with --no-summary); call counts equal the steps."""
    from comin.__main__ import main
    port = free_port()
    out = tmp_path / "scrape.json"
    rc = main(["run", *MODEL, "--steps", "3", "--no-progress", "--no-summary",
               f"{PROBE} http://127.0.0.1:{port}/ {out} --at EP_DESTRUCTOR",
               "--telemetry", f"127.0.0.1:{port}", "--telemetry-vars", "temp"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert f"comin_telemetry: serving http://127.0.0.1:{port}/ (Prometheus scrapes /metrics)" in err
    m = metrics(json.loads(out.read_text())["metrics"])
    calls = series(m, "comin_entry_point_calls_total")
    assert calls[(("entry_point", "EP_ATM_TIMELOOP_END"), ("plugin", "telemetry"))] == 3
    assert {dict(k)["variable"] for k in series(m, "comin_variable_mean")} == {"temp"}


@pytest.mark.parametrize("args, message", [
    (["--telemetry", "abc"], "--telemetry 'abc': expected [ADDR:]PORT"),
    (["--telemetry-vars", "temp"], "--telemetry-vars chooses what --telemetry exports"),
    (["--telemetry", "0", "--telemetry-vars", ","], "--telemetry-vars ',': no variable name given"),
])
def test_comin_run_bad_telemetry_options(capsys, args, message):
    from comin.__main__ import main
    assert main(["run", "--steps", "1", f"{PROBE} http://127.0.0.1:1/ x.json", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_port_in_use_and_unknown_variable(capsys):
    """A port in use: one line before anything runs (comin run) or at the primary
    constructor (the plugin loaded by path); a variable the host does not expose: one
    line at the secondary constructor.  Exit status 2, no traceback."""
    from comin.__main__ import main
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["run", "--steps", "1", "--telemetry", f"127.0.0.1:{port}"]) == 2
        err = capsys.readouterr().err
        assert err == (f"comin run: --telemetry 127.0.0.1:{port}: cannot listen there: the port "
                       "is already in use (another exporter? choose another port, or 0 for any "
                       "free one)\n")
        assert main(["run", "--grid", "R2B0", "--steps", "1", "--no-progress",
                     plugin("--listen", f"127.0.0.1:{port}")]) == 2
        err = capsys.readouterr().err
        assert f"comin_telemetry: --listen 127.0.0.1:{port}: cannot listen there: the port is " \
               "already in use" in err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert main(["run", "--grid", "R2B0", "--steps", "1", "--no-progress",
                 "--telemetry", "0", "--telemetry-vars", "temp,tmep"]) == 2
    err = capsys.readouterr().err
    assert "comin_telemetry: --vars tmep: the host exposes no variable of that name (exposed: " in err
    assert "Traceback" not in err and "serving" in err and len(err.strip().splitlines()) == 2, err


def test_replay_loads_it(tmp_path, capsys):
    from comin.__main__ import main
    rec = tmp_path / "rec"
    assert main(["run", "--grid", "R2B0", "--nproma", "8", "--nlev", "3", "--steps", "2",
                 "--no-progress", "--no-summary", "--record", str(rec)]) == 0
    port = free_port()
    out = tmp_path / "scrape.json"
    capsys.readouterr()
    rc = main(["replay", str(rec), f"{PROBE} http://127.0.0.1:{port}/ {out} --at EP_DESTRUCTOR",
               "--no-progress",
               "--telemetry", f"127.0.0.1:{port}", "--telemetry-vars", "temp"])
    assert rc == 0, capsys.readouterr().err
    m = metrics(json.loads(out.read_text())["metrics"])
    assert series(m, "comin_steps_total") == {(): 2}
    assert 200 < series(m, "comin_variable_mean")[(("domain", "1"), ("variable", "temp"))] < 320
    assert series(m, "comin_entry_point_calls_total")[
        (("entry_point", "EP_ATM_TIMELOOP_END"), ("plugin", "telemetry"))] == 2


# -- upstream ComIn: the plugin with nothing but upstream's `comin` ---------------------------

#: the names of upstream ComIn 0.3's Python module (its comin.py and the _comin functions)
UPSTREAM_NAMES = """
ComInError register_callback var_get var_request_add metadata_get metadata_set metadata
var_descr_list callback_get_ep_name current_get_plugin_info current_get_datetime
current_get_domain_id descrdata_get_domain descrdata_get_global descrdata_get_simulation_interval
descrdata_get_timesteplength descrdata_get_index descrdata_get_block descrdata_get_cell_indices
descrdata_get_cell_npromz descrdata_get_edge_npromz descrdata_get_vert_npromz
descrdata_index_lookup_glb2loc_cell setup_get_version parallel_get_host_mpi_comm
parallel_get_plugin_mpi_comm parallel_get_host_mpi_rank finish print_debug print_info
print_warning plugin_info simulation_interval _variable _EntryPoint
""".split()

_UPSTREAM_RUN = """
import json, os, sys, types, urllib.request
import comin as real
from comin.emulator import Config, Emulator
from comin.host import PluginDescription

shim = types.ModuleType("comin")                 # a module, not a package: no comin.plugins
for name in {names!r}:
    setattr(shim, name, getattr(real, name))
for name in dir(real):
    if name.startswith(("EP_", "COMIN_FLAG_", "COMIN_HGRID_", "COMIN_ZAXIS_", "COMIN_VAR_DATATYPE_",
                        "COMIN_DIM_SEMANTICS_")):
        setattr(shim, name, getattr(real, name))
script, options = {script!r}, {options!r}

def as_upstream():
    # upstream's adapter: PyRun_File into a fresh dict, `comin` its own module
    saved = sys.modules["comin"]
    sys.modules["comin"] = shim
    try:
        with open(script) as f:
            exec(compile(f.read(), script, "exec"), {{}})
    finally:
        sys.modules["comin"] = saved

seen = {{}}
def probe():
    def after():
        with urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=10) as r:
            seen["metrics"] = r.read().decode()
        seen["modules"] = sorted(m for m in sys.modules if m.startswith("comin_telemetry"))
        seen["kernel"] = sys.modules["comin_telemetry_reduce"].KERNEL is not None
        seen["package"] = "comin.plugins.telemetry.telemetry" in sys.modules
    real.callback_register(real.EP_ATM_TIMELOOP_AFTER, after)

Emulator([PluginDescription(name="telemetry", options=script + " " + options, constructor=as_upstream),
          PluginDescription(name="probe", constructor=probe)],
         Config(grid="R2B0", nproma=8, nlev=3, steps=3), host_kwargs={{"profile": True}}).run()
print("RESULT " + json.dumps(seen))
"""


def test_runs_with_upstream_comin_only(tmp_path):
    """The script as upstream's Python adapter runs it (fresh globals: no __file__, no
    __name__; ``comin`` a module with upstream's names only, so no ``comin.plugins``): it
    loads its sibling modules by path, serves the metrics, and leaves out the entry-point
    series, saying so once."""
    port = free_port()
    code = _UPSTREAM_RUN.format(names=UPSTREAM_NAMES, script=telemetry.PLUGIN_SCRIPT,
                                options=f"--listen 127.0.0.1:{port} --vars temp", port=port)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=ENV, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert not seen["package"] and seen["kernel"]
    assert {"comin_telemetry_reduce", "comin_telemetry_channel"} <= set(seen["modules"])
    m = metrics(seen["metrics"])
    assert series(m, "comin_steps_total") == {(): 3}
    assert not series(m, "comin_entry_point_calls_total")
    assert 200 < series(m, "comin_variable_mean")[(("domain", "1"), ("variable", "temp"))] < 320
    notes = [line for line in proc.stderr.splitlines() if "profile_get_timings" in line]
    assert notes == ["comin_telemetry: this ComIn has no profile_get_timings (a comin extension): "
                     "comin_entry_point_calls_total and comin_entry_point_seconds_total are not "
                     "exported"]


# -- a real Prometheus server and headless Chromium -------------------------------------------

class _Page(html.parser.HTMLParser):
    """The live page's drawn series: {data-series: number of points}, table rows."""

    def __init__(self):
        super().__init__()
        self.paths, self.rows, self.state = {}, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "path" and "data-series" in a:
            self.paths[a["data-series"]] = int(a.get("data-points", "0"))
        if tag == "tr" and "data-series" in a:
            self.rows.append(a["data-series"])
        if a.get("id") == "state":
            self.state = a.get("class")


@pytest.fixture(scope="module")
def live_run(tmp_path_factory):
    """A Prometheus server scraping a `comin run` with the plugin every 0.2 s; the run
    lingers after its last step so that the server and a browser see its final state.
    Everything is stopped at the end."""
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.fail("Debian's prometheus is not installed (tools/install.sh installs it)")
    tmp = tmp_path_factory.mktemp("live")
    port, prom_port = free_port(), free_port()
    (tmp / "prometheus.yml").write_text(textwrap.dedent(f"""\
        global:
          scrape_interval: 200ms
          scrape_timeout: 150ms
        scrape_configs:
          - job_name: comin
            static_configs:
              - targets: ["127.0.0.1:{port}"]
        """))
    prom = subprocess.Popen([prometheus, f"--config.file={tmp / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp / 'data'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "prometheus.log", "w"))
    run = None
    try:
        # the time loop waits for a go: Prometheus takes its targets up a few seconds after
        # it starts, the run gets ready meanwhile
        (tmp / "slow.py").write_text(textwrap.dedent("""\
            import os, time
            import comin

            @comin.EP_ATM_TIMELOOP_BEFORE
            def ready():
                end = time.monotonic() + 60
                while not os.path.exists("go") and time.monotonic() < end:
                    time.sleep(0.05)

            @comin.EP_ATM_TIMELOOP_START
            def slow():
                time.sleep(0.15)

            @comin.EP_ATM_TIMELOOP_END
            def end():
                pass
            """))
        steps = 12
        run = subprocess.Popen(
            [sys.executable, "-m", "comin", "run", *MODEL, "--steps", str(steps), "--no-progress",
             str(tmp / "slow.py"),
             plugin("--listen", f"127.0.0.1:{port}", "--vars", "temp,pres_sfc", "--linger", "60")],
            stdout=subprocess.DEVNULL, stderr=open(tmp / "run.log", "w"), env=ENV, cwd=str(tmp))
        url = f"http://127.0.0.1:{port}/"
        api = f"http://127.0.0.1:{prom_port}"

        def scraping():
            with urllib.request.urlopen(api + "/api/v1/targets", timeout=2) as r:
                return [t["health"] for t in json.loads(r.read())["data"]["activeTargets"]] == ["up"]
        _wait(scraping, 60, "Prometheus did not scrape the run", tmp / "prometheus.log")
        (tmp / "go").touch()

        def finished():
            with urllib.request.urlopen(url + "api/history?since=1000000", timeout=2) as r:
                return json.loads(r.read())["state"] == "finished"
        _wait(finished, 90, "the run did not finish", tmp / "run.log")
        # two more scrapes of the final state
        time.sleep(0.6)
        yield dict(api=api, url=url, steps=steps, tmp=tmp)
    finally:
        for proc in (run, prom):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


def _wait(condition, seconds, what, log):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if condition():
                return
        except (OSError, ValueError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    pytest.fail(f"{what} within {seconds} s:\n" + log.read_text()[-3000:])


def _query(api: str, expr: str) -> list:
    q = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{api}/api/v1/query?{q}", timeout=10) as r:
        body = json.loads(r.read())
    assert body["status"] == "success", body
    return body["data"]["result"]


def test_prometheus_scrapes_the_run(live_run):
    api, steps = live_run["api"], live_run["steps"]

    def one(expr):
        result = _query(api, expr)
        assert len(result) == 1, (expr, result)
        return result[0]["metric"], float(result[0]["value"][1])

    labels, up = one('up{job="comin"}')
    assert up == 1 and labels["instance"].startswith("127.0.0.1:")
    assert one("count_over_time(comin_steps_total[5m])")[1] >= 5          # several scrapes
    assert one("comin_steps_total")[1] == steps
    assert one("max_over_time(comin_model_speed_ratio[5m])")[1] > 0
    assert one("comin_simulation_time_seconds")[1] == steps * 600
    for jg in ("1", "2"):
        labels, mean = one(f'comin_variable_mean{{variable="temp",domain="{jg}"}}')
        assert {"variable", "domain", "instance", "job"} <= set(labels) and 200 < mean < 320
        assert one(f'comin_variable_nan_count{{variable="temp",domain="{jg}"}}')[1] == 0
    lo = one('comin_variable_min{variable="pres_sfc",domain="1"}')[1]
    hi = one('comin_variable_max{variable="pres_sfc",domain="1"}')[1]
    assert 5e4 < lo <= hi < 1.5e5
    for p in ("slow", "telemetry"):
        labels, calls = one(f'comin_entry_point_calls_total{{plugin="{p}",entry_point="EP_ATM_TIMELOOP_END"}}')
        assert calls == steps
    assert one('comin_entry_point_seconds_total{plugin="slow",entry_point="EP_ATM_TIMELOOP_START"}')[1] \
        >= 0.15 * steps
    ranks = _query(api, "comin_rank_resident_memory_bytes")
    assert [r["metric"]["rank"] for r in ranks] == ["0"] and float(ranks[0]["value"][1]) > 10e6
    assert one("comin_step_duration_seconds_count")[1] == steps


def test_live_page_in_chromium(live_run):
    """The page renders in headless Chromium and draws every series with all its points;
    every request the page makes goes to the exporter; a page that reaches out is caught."""
    from comin.plugins.telemetry import snapshot
    if snapshot.find_chromium() is None:
        pytest.fail("Debian's chromium is not installed (tools/install.sh installs it)")
    url = live_run["url"]
    snap = snapshot.visit(url)
    page = _Page()
    page.feed(snap.dom)
    assert page.state == "finished"
    wanted = ["comin_model_speed_ratio", "comin_simulation_time_seconds",
              "comin_last_step_duration_seconds", 'comin_rank_resident_memory_bytes{rank="0"}'] + \
        [f'comin_variable_mean{{variable="{v}",domain="{d}"}}' for v in ("temp", "pres_sfc")
         for d in (1, 2)]
    for name in wanted:
        assert page.paths.get(name, 0) >= 3, (name, page.paths)
    assert 'comin_entry_point_seconds_total{plugin="slow",entry_point="EP_ATM_TIMELOOP_START"}' \
        in page.rows[:2], page.rows     # the costliest first (after the wait for the go)
    asked = snap.page_requests(url)
    assert asked[:3] == [url, url + "live.js", url + "api/history?since=-1"], asked
    assert all(u.startswith(url) for u in asked), asked
    # the check can fail: a page with one external resource is caught
    bad = live_run["tmp"] / "bad"
    bad.mkdir(exist_ok=True)
    (bad / "index.html").write_text('<html><body><img src="https://cdn.example.org/x.png">'
                                    '<script>fetch("http://203.0.113.9/x")</script></body></html>')
    import http.server
    import functools
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(bad))
    handler.log_message = lambda *a: None
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        bad_url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        try:
            outside = [u for u in snapshot.visit(bad_url, wait_ms=1500).page_requests(bad_url)
                       if not u.startswith(bad_url)]
        finally:
            httpd.shutdown()
    assert "https://cdn.example.org/x.png" in outside and "http://203.0.113.9/x" in outside


def test_page_and_dashboard_need_nothing_from_outside():
    """live.html and live.js name no external resource (the SVG namespace is a name, not a
    request); the Grafana dashboard is provisioning-ready and asks only for series the
    exporter serves."""
    here = os.path.dirname(telemetry.PLUGIN_SCRIPT)
    for name in ("live.html", "live.js"):
        text = open(os.path.join(here, name), encoding="utf-8").read()
        urls = set(re.findall(r"\b(?:https?:)?//[\w.-]+\.\w+[^\s\"'`)]*", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (name, urls)
        assert "@import" not in text and "<link" not in text
    dash = json.load(open(telemetry.DASHBOARD, encoding="utf-8"))
    assert dash["uid"] == "comin-telemetry" and dash["title"] and "id" not in dash
    assert [v["name"] for v in dash["templating"]["list"]][0] == "datasource"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    served = {"comin_simulation_time_seconds", "comin_simulation_end_time_seconds",
              "comin_steps_total", "comin_model_speed_ratio", "comin_last_step_duration_seconds",
              "comin_step_duration_seconds_sum", "comin_step_duration_seconds_count",
              "comin_entry_point_calls_total", "comin_entry_point_seconds_total",
              "comin_variable_mean", "comin_variable_min", "comin_variable_max",
              "comin_variable_nan_count", "comin_rank_resident_memory_bytes",
              "comin_exporter_seconds_total", "comin_exporter_scrape_seconds_total",
              "comin_exporter_errors_total", "comin_exporter_reductions_total", "comin_host_ranks"}
    used = set()
    for p in dash["panels"]:
        if p["type"] == "row":
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for t in p["targets"]:
            used |= set(re.findall(r"\bcomin_\w+", t["expr"]))
    assert used and used <= served, used - served
    assert {"comin_model_speed_ratio", "comin_variable_mean", "comin_entry_point_seconds_total",
            "comin_rank_resident_memory_bytes"} <= used
    for name in ("dashboards/comin.yaml", "datasources/prometheus.yaml"):
        text = open(os.path.join(here, "grafana", "provisioning", name), encoding="utf-8").read()
        assert text.count("apiVersion: 1") == 1


# -- MPI: one endpoint, the global values of the serial run -----------------------------------

def test_two_ranks_serve_the_serial_values(tmp_path):
    if shutil.which("mpiexec") is None:
        pytest.fail("mpiexec is missing (tools/install.sh installs Open MPI)")
    results = {}
    for nranks in (1, 2):
        port = free_port()
        out = tmp_path / f"scrape{nranks}.json"
        args = ["run", *MODEL, "--steps", "2", "--no-progress", "--no-summary",
                f"{PROBE} http://127.0.0.1:{port}/ {out} --at EP_DESTRUCTOR",
                plugin("--listen", f"127.0.0.1:{port}", "--vars", "temp,pres_sfc")]
        proc = run_comin(args, timeout=180, mpi=nranks if nranks > 1 else 0)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        serving = [line for line in proc.stderr.splitlines() if "comin_telemetry: serving" in line]
        assert len(serving) == 1, proc.stderr             # rank 0 alone opens a port
        results[nranks] = metrics(json.loads(out.read_text())["metrics"])
    one, two = results[1], results[2]
    assert series(two, "comin_host_ranks") == {(): 2}
    assert set(series(two, "comin_rank_resident_memory_bytes")) == {(("rank", "0"),), (("rank", "1"),)}
    assert set(series(two, "comin_exporter_seconds_total")) == {(("rank", "0"),), (("rank", "1"),)}
    assert series(two, "comin_steps_total") == series(one, "comin_steps_total") == {(): 2}
    for kind in ("min", "max", "nan_count"):
        assert series(two, f"comin_variable_{kind}") == series(one, f"comin_variable_{kind}")
    means1, means2 = series(one, "comin_variable_mean"), series(two, "comin_variable_mean")
    assert set(means1) == set(means2) and len(means1) == 4
    for k, v in means1.items():
        assert means2[k] == pytest.approx(v, rel=1e-12)
