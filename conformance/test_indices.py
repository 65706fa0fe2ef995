"""Index mapping as ComIn defines it, against comin's API in each language.

The expected values come from the model (comin.testing.model.get_index/get_block/
get_indices, checked against upstream's comin_descrdata.F90), not from comin.
"""
from hypothesis import given, strategies as st

import comin
from comin.host import Host, PluginDescription
from comin.testing.model import get_block as spec_block, get_index as spec_index


def spec_indices(grid, i_blk, i_startblk, i_endblk, start, end, nproma):
    """ICON's get_indices_c/e/v for one block (``start``/``end`` already at the levels)."""
    from comin.testing.model import get_indices
    return get_indices(grid, i_blk, i_startblk, i_endblk, start, end, nproma)


def _with_plugin(nproma, body, cells=None, edges=None, verts=None):
    out = []

    def plugin():
        out.append(body())

    with Host([PluginDescription(name="idx", constructor=plugin)]) as h:
        h.set_global(n_dom=1, nproma=nproma, min_rlcell=-8, min_rledge=-13, min_rlvert=-7)
        kw = {k: v for k, v in (("cells", cells), ("edges", edges), ("verts", verts)) if v}
        if kw:
            h.set_domain(1, **kw)
        h.run_primary_constructors()
    return out[0]


@given(st.integers(1, 64), st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=30))
def test_index_and_block(nproma, js):
    got = _with_plugin(nproma, lambda: [(comin.descrdata_get_index(j), comin.descrdata_get_block(j))
                                        for j in js])
    assert got == [(spec_index(j, nproma), spec_block(j, nproma)) for j in js]
    for j in js:
        if j > 0:
            assert (spec_block(j, nproma) - 1) * nproma + spec_index(j, nproma) == j


@given(st.integers(1, 16), st.data())
def test_get_indices(nproma, data):
    nlev = {"cells": 14, "edges": 24, "verts": 13}
    arrays = {}
    for grid, n in nlev.items():
        arrays[grid] = dict(start_index=data.draw(st.lists(st.integers(-2, nproma), min_size=n, max_size=n)),
                            end_index=data.draw(st.lists(st.integers(0, nproma), min_size=n, max_size=n)))
    lo = {"cells": -8, "edges": -13, "verts": -7}
    cases = []
    for grid in nlev:
        for _ in range(5):
            i_startblk = data.draw(st.integers(1, 5))
            i_endblk = data.draw(st.integers(i_startblk, 6))
            i_blk = data.draw(st.integers(i_startblk, i_endblk))
            irl_start = data.draw(st.integers(lo[grid], lo[grid] + nlev[grid] - 1))
            irl_end = data.draw(st.integers(lo[grid], lo[grid] + nlev[grid] - 1))
            cases.append((grid, i_blk, i_startblk, i_endblk, irl_start, irl_end))
    fn = {"cells": comin.descrdata_get_cell_indices, "edges": comin.descrdata_get_edge_indices,
          "verts": comin.descrdata_get_vert_indices}
    got = _with_plugin(nproma, lambda: [fn[g](1, *rest) for g, *rest in cases],
                       cells=arrays["cells"], edges=arrays["edges"], verts=arrays["verts"])
    for (grid, i_blk, sb, eb, irl0, irl1), g in zip(cases, got):
        start = arrays[grid]["start_index"][irl0 - lo[grid]]
        end = arrays[grid]["end_index"][irl1 - lo[grid]]
        assert tuple(g) == spec_indices(grid, i_blk, sb, eb, start, end, nproma)


# -- the same properties through the C and Fortran APIs ------------------------------------------

import os  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVERS = os.path.join(HERE, "index_driver")
GRIDS = {"c": "cells", "e": "edges", "v": "verts"}
LO = {"cells": -8, "edges": -13, "verts": -7}
NLEV = {"cells": 14, "edges": 24, "verts": 13}


@pytest.fixture(scope="module")
def index_drivers():
    """index_driver.c and index_driver.F90, built (and cached) as the scenario drivers are."""
    from comin.testing.scenarios import build_c_driver, build_fortran_driver
    return {"c": build_c_driver(os.path.join(DRIVERS, "index_driver.c")),
            "fortran": build_fortran_driver(os.path.join(DRIVERS, "index_driver.F90"))}


def _host_run(language, lib, ops, nproma, arrays, counts, glb_index, tmp):
    """Run the operations in ``language`` inside a host with the drawn descriptive data;
    the results as lists of ints, one per operation."""
    infile, outfile = os.path.join(tmp, "ops.txt"), os.path.join(tmp, "out.txt")
    if os.path.exists(outfile):
        os.remove(outfile)
    with open(infile, "w") as f:
        f.write("".join(" ".join(map(str, op)) + "\n" for op in ops))
    results = []
    local = {int(g): p + 1 for p, g in enumerate(glb_index)}

    def python_ops(late):
        for op in ops:
            if (op[0] == "ncontained") != late:
                continue
            if op[0] == "index":
                results.append([comin.descrdata_get_index(op[1]), comin.descrdata_get_block(op[1])])
            elif op[0] == "indices":
                fn = {"c": comin.descrdata_get_cell_indices, "e": comin.descrdata_get_edge_indices,
                      "v": comin.descrdata_get_vert_indices}[op[1]]
                results.append(list(fn(1, *op[2:])))
            elif op[0] == "npromz":
                fn = {"c": comin.descrdata_get_cell_npromz, "e": comin.descrdata_get_edge_npromz,
                      "v": comin.descrdata_get_vert_npromz}[op[1]]
                results.append([fn(op[2])])
            elif op[0] == "glb2loc":
                results.append([comin.descrdata_index_lookup_glb2loc_cell(op[1], op[2])])
            else:
                h = comin.var_get([comin.EP_ATM_TIMELOOP_START], (op[1], op[2]), comin.COMIN_FLAG_READ)
                results.append([h.ncontained])

    def python_plugin():
        comin.callback_register(comin.EP_SECONDARY_CONSTRUCTOR, lambda: python_ops(True))
        python_ops(False)

    if language == "python":
        desc = PluginDescription(name="idx", constructor=python_plugin)
    else:
        desc = PluginDescription(name="idx", plugin_library=lib, options=f"{infile} {outfile}")
    with Host([desc]) as h:
        h.set_global(n_dom=1, nproma=nproma, min_rlcell=LO["cells"], min_rledge=LO["edges"],
                     min_rlvert=LO["verts"])
        sub = {}
        for grid, arr in arrays.items():
            n = counts[grid]
            sub[grid] = dict(arr, nblks=-(-n // nproma), **{"n" + grid: n})
        h.set_domain(1, **sub)
        h.set_glb2loc_cell(lambda jg, g: local.get(int(g), -1))
        h.run_primary_constructors()
        container = np.zeros((nproma, 2, 1, 1, 3), order="F")
        sem = (comin.COMIN_DIM_SEMANTICS_NPROMA, comin.COMIN_DIM_SEMANTICS_LEVEL, comin.COMIN_DIM_SEMANTICS_BLOCK,
               comin.COMIN_DIM_SEMANTICS_UNUSED, comin.COMIN_DIM_SEMANTICS_CONTAINER)
        h.expose("tracers", 1, container, lcontainer=True, ncontained=3, dim_semantics=sem)
        for k in range(3):                      # the host's (Fortran) convention: 1-based position
            h.expose(f"q{k + 1}", 1, container[..., k:k + 1], ncontained=k + 1, dim_semantics=sem)
        h.call_ep(comin.EP_SECONDARY_CONSTRUCTOR)
    if language != "python":
        with open(outfile) as f:
            results = [[int(x) for x in line.split()] for line in f]
    return results


@pytest.mark.parametrize("language", ["python", "c", "fortran"])
@settings(max_examples=25, deadline=None)
@given(nproma=st.integers(1, 16), data=st.data())
def test_index_mapping_in_each_language(language, index_drivers, tmp_path_factory, nproma, data):
    """(jc, jb) blocking, get_*_indices, npromz, glb2loc and the ncontained convention through
    each language's API, against the spec's formulas (not against another language):
    C and Python report ncontained 0-based (the host's Fortran value - 1), Fortran 1-based."""
    js = data.draw(st.lists(st.integers(-5000, 5000), min_size=1, max_size=10), label="j")
    arrays = {grid: dict(start_index=data.draw(st.lists(st.integers(-2, nproma), min_size=n, max_size=n)),
                         end_index=data.draw(st.lists(st.integers(0, nproma), min_size=n, max_size=n)))
              for grid, n in NLEV.items()}
    counts = {grid: data.draw(st.integers(1, 200), label=f"n{grid}") for grid in NLEV}
    ops, want = [], []
    for j in js:
        ops.append(("index", j))
        want.append([spec_index(j, nproma), spec_block(j, nproma)])
    for g, grid in GRIDS.items():
        sb = data.draw(st.integers(1, 5))
        eb = data.draw(st.integers(sb, 6))
        blk = data.draw(st.integers(sb, eb))
        irl0 = data.draw(st.integers(LO[grid], LO[grid] + NLEV[grid] - 1))
        irl1 = data.draw(st.integers(LO[grid], LO[grid] + NLEV[grid] - 1))
        ops.append(("indices", g, blk, sb, eb, irl0, irl1))
        want.append(list(spec_indices(grid, blk, sb, eb, arrays[grid]["start_index"][irl0 - LO[grid]],
                                      arrays[grid]["end_index"][irl1 - LO[grid]], nproma)))
        n, nblks = counts[grid], -(-counts[grid] // nproma)
        ops.append(("npromz", g, 1))
        want.append([n - (nblks - 1) * nproma])
    glb_index = data.draw(st.permutations(range(1, 31)), label="glb_index")[:data.draw(st.integers(1, 30))]
    for p in data.draw(st.lists(st.integers(0, len(glb_index) - 1), max_size=5), label="local points"):
        ops.append(("glb2loc", 1, glb_index[p]))
        want.append([p + 1])                     # the 1-based unblocked local index
    for k in (1, 2, 3):
        ops.append(("ncontained", f"q{k}", 1))
        want.append([k if language == "fortran" else k - 1])
    ops.append(("ncontained", "tracers", 1))     # a container: its count, same convention
    want.append([3 if language == "fortran" else 2])
    tmp = str(tmp_path_factory.mktemp("idx"))
    got = _host_run(language, index_drivers.get(language), ops, nproma, arrays, counts, glb_index, tmp)
    assert got == want, list(zip(ops, got, want))


def test_refin_level_outside_the_arrays_is_an_error():
    """comin's own check (upstream reads start_index/end_index out of bounds): a refin_ctrl
    level outside min_rl..min_rl+len-1 is a ValueError naming the level and the range."""
    cells = dict(start_index=[1] * 14, end_index=[4] * 14)

    def body(irl):
        try:
            return comin.descrdata_get_cell_indices(1, 1, 1, 2, irl, -8)
        except ValueError as exc:
            return str(exc)
    for irl in (-9, 6):                       # min_rlcell - 1 and min_rlcell + 14
        assert f"refin_ctrl level {irl} outside -8..5" in _with_plugin(4, lambda: body(irl), cells=cells)
    assert _with_plugin(4, lambda: body(5), cells=cells) == (1, 4)
