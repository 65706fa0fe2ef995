"""Run the emulator (on however many ranks mpiexec gives) and gather its fields on rank 0.

    [mpiexec -n N] python emulator_fields.py OUT.npz GRID NEST STEPS [plugin ...]

GRID: RnBk or a grid file; NEST: 0, 1 (a nest made here) or grid files of nests,
comma-separated.

Rank 0 writes every domain's tracers and dynamics fields in global order to
OUT.npz; every rank prints ``HALO_OK {json}`` saying whether each field's halo
already held its owners' values at the end (an exchange changes nothing), and
whether an exchange built from glb_index/decomp_domain alone restores spoilt halos.
"""
import json
import sys

import numpy as np

from comin.emulator import Config, Emulator, decomp

out, grid, nest, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
plugins = sys.argv[5:]
files = tuple(n for n in nest.split(",") if n.endswith(".nc"))
emu = Emulator(plugins, Config(grid=grid, nest=nest == "1", nest_files=files, steps=steps,
                               nproma=16, nlev=6, seed=3))
emu.run()
result, halo_ok = {}, {}
for jg, dom in emu.domains.items():
    f = dom.fields
    cont = f["container"]
    todo = [(f"q{k}", cont[..., k], "cells") for k in range(cont.shape[-1])]
    todo += [(n, f[n], "cells") for n in ("rho", "temp", "u", "pres_sfc", "w")]
    todo += [("vn", f["vn"], "edges"), ("omega_z", f["omega_z"], "verts")]
    for name, arr, where in todo:
        g = dom.gather(arr, where)
        if g is not None:
            result[f"{name}_{jg}"] = g
        if dom.patch is not None:
            copy = np.array(arr, order="F")
            dom.patch.halo[where].exchange_blocked(copy)
            # the same exchange from the descriptive data alone (what a replay host knows)
            lay = dom.patch.layout
            again = decomp.halo_from_indices(dom.patch.channel, lay.glb[where], lay.decomp[where])
            spoilt = np.array(arr, order="F")
            flat = spoilt.reshape(spoilt.shape[0], -1, spoilt.shape[-1])
            halo_pos = np.nonzero(lay.decomp[where] > 0)[0]
            flat[halo_pos % dom.nproma, :, halo_pos // dom.nproma] = -999.0
            was_spoilt = bool((spoilt == -999.0).any())
            again.exchange_blocked(spoilt)
            halo_ok[f"{name}_{jg}"] = bool(np.array_equal(copy, arr) and was_spoilt
                                           and np.array_equal(spoilt, arr))
    if dom.patch is not None:
        rank = dom.patch.rank
        ok = all(emu._glb2loc(jg, int(g)) == i + 1
                 for i, g in enumerate(dom.patch.layout.glb["cells"]))
        held = set(dom.patch.layout.glb["cells"].tolist())
        missing = [g for g in range(1, dom.patch.n_global["cells"] + 1) if g not in held][:5]
        ok = ok and all(emu._glb2loc(jg, g) <= 0 for g in missing)
        halo_ok[f"glb2loc_{jg}"] = ok
rank = emu.domains[1].patch.rank if emu.domains[1].patch is not None else 0
if rank == 0:
    np.savez(out, **result)
print("HALO_OK " + json.dumps(halo_ok), flush=True)
