"""Index mapping as ComIn defines it (spec section 8), against comin's API.

The expected values are computed here from the spec's formulas, not from comin.
"""
from hypothesis import given, strategies as st

import comin
from comin.host import Host, PluginDescription

import _codes  # noqa: F401  (same suite)


def spec_block(j, nproma):
    return max((abs(j) - 1) // nproma + 1, 1)


def spec_index(j, nproma):
    if j == 0:
        return 0
    r = (abs(j) - 1) % nproma + 1
    return r if j > 0 else -r


def spec_indices(grid, i_blk, i_startblk, i_endblk, start, end, nproma):
    """ICON's get_indices_c/e/v for one block (``start``/``end`` already at the levels)."""
    if i_blk == i_startblk:
        i0 = start if grid == "verts" else max(1, start)
        i1 = end if i_blk == i_endblk else nproma
    elif i_blk == i_endblk:
        i0, i1 = 1, end
    else:
        i0, i1 = 1, nproma
    return i0, i1


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
