"""Maps of a field on ICON's unstructured grid, written as PNG files at output time.

Shows how a plugin draws a cell field of every domain with matplotlib's
``tripcolor`` (Agg backend, no display needed): each cell is a triangle
whose corners come from the descriptive data (``cells.vertex_idx`` /
``cells.vertex_blk`` into ``verts.vlon`` / ``verts.vlat``), coloured with the
cell's value.  On a longitude-latitude map two kinds of cells need care:
a cell that crosses the date line is drawn on both edges of the map, and a
cell with a corner at a pole is drawn up to the top (bottom) edge of the map.

At ``EP_ATM_WRITE_OUTPUT_BEFORE`` it writes one picture per output time and
domain, ``<outdir>/<var>[_L<level>]_DOM<jg>_<YYYYMMDDThhmmss>Z.png``, and
prints where.

Run it (together with the point source, whose tracer it draws)::

    python -m comin run "examples/point_source.py" "examples/plot_field.py --var plume --log" --grid R2B4 --nest
    python -m comin run "examples/plot_field.py --var temp --level 20" --grid R2B3 --steps 2

Options: ``--var`` (a cell variable, default ``temp``), ``--level`` (ICON's
level number, 1 = top; default: the lowest level; ignored for 2-D fields),
``--outdir`` (default ``comin_plots``), ``--log`` (logarithmic colours,
values <= 0 blank), ``--cmap`` (a matplotlib colour map, default ``viridis``).

It prints::

    INFO(plot_field): wrote comin_plots/plume_L20_DOM01_20260101T001000Z.png
    INFO(plot_field): 14 pictures of plume in /path/to/comin_plots
"""
import argparse
import datetime
import os

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.tri import Triangulation

import comin

parser = argparse.ArgumentParser(prog="plot_field", description=__doc__.splitlines()[0])
parser.add_argument("--var", default="temp", help="cell variable to draw (default: %(default)s)")
parser.add_argument("--level", type=int, default=None,
                    help="level, 1 = top (default: the lowest level)")
parser.add_argument("--outdir", default="comin_plots", help="directory of the pictures (default: %(default)s)")
parser.add_argument("--log", action="store_true", help="logarithmic colour scale")
parser.add_argument("--cmap", default="viridis", help="matplotlib colour map (default: %(default)s)")
opts = parser.parse_args(comin.current_get_plugin_info().args)

glob = comin.descrdata_get_global()
POLE = 89.999        # a corner at |lat| above this [deg] is a pole


def unblock(a, n):
    """ICON's blocked (nproma, nblks, ...) array -> (n, ...) in unblocked order (j = jb*nproma + jc)."""
    a = np.asarray(a)
    return a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:], order="F")[:n]


def map_triangles(jg):
    """Corners of the owned cells of domain ``jg`` on a lon-lat map.

    Returns ``(x, y, cell)``: x, y (ntri, 3) corner longitudes and latitudes
    [deg], and the unblocked cell index (0-based) each triangle shows.  A cell
    may become several triangles (date line copies, pole corners).
    """
    dom = comin.descrdata_get_domain(jg)
    cells, verts = dom.cells, dom.verts
    n = cells.ncells
    cell = np.nonzero(unblock(cells.decomp_domain, n) == 0)[0]
    # corners: 1-based (idx, blk) pairs -> unblocked 0-based vertex index
    corner = ((unblock(cells.vertex_blk, n) - 1) * glob.nproma + unblock(cells.vertex_idx, n) - 1)[cell]
    nv = verts.nverts
    vlon, vlat = np.rad2deg(unblock(verts.vlon, nv)), np.rad2deg(unblock(verts.vlat, nv))
    clon = np.rad2deg(unblock(cells.clon, n))[cell]
    x, y = vlon[corner], vlat[corner]                                  # (ncells, 3)
    # every corner within 180 degrees of its cell's centre: no triangle spans the whole map
    x = clon[:, None] + (x - clon[:, None] + 180.0) % 360.0 - 180.0
    # a pole corner has no longitude: make the triangle a quadrilateral reaching the pole
    # row at the longitudes of the two other corners (two triangles)
    at_pole = np.abs(y) > POLE
    polar = np.nonzero(at_pole.any(axis=1))[0]
    keep = np.setdiff1d(np.arange(len(cell)), polar)
    xs, ys, owner = [x[keep]], [y[keep]], [cell[keep]]
    for i in polar:
        p = int(np.argmax(at_pole[i]))
        a, b = (p + 1) % 3, (p + 2) % 3
        pole = y[i, p]
        xa, xb, ya, yb = x[i, a], x[i, b], y[i, a], y[i, b]
        xs.append(np.array([[xa, xb, xb], [xa, xb, xa]]))
        ys.append(np.array([[ya, yb, pole], [ya, pole, pole]]))
        owner.append(np.array([cell[i], cell[i]]))
    x, y, owner = np.concatenate(xs), np.concatenate(ys), np.concatenate(owner)
    # triangles reaching over the date line: a copy on the other side of the map
    east, west = x.max(axis=1) > 180.0, x.min(axis=1) < -180.0
    x = np.concatenate([x, x[east] - 360.0, x[west] + 360.0])
    y = np.concatenate([y, y[east], y[west]])
    owner = np.concatenate([owner, owner[east], owner[west]])
    return x, y, owner


class Picture:
    """Handle and map of one domain."""

    def __init__(self, jg):
        self.jg = jg
        desc = (opts.var, jg)
        hgrid = comin.metadata_get(desc, "hgrid_id")
        if hgrid != comin.COMIN_HGRID_UNSTRUCTURED_CELL:
            comin.finish("plot_field", f"{opts.var} is not a cell variable (hgrid_id {hgrid}); "
                         "plot_field draws cell variables")
        self.is_2d = comin.metadata_get(desc, "zaxis_id") == comin.COMIN_ZAXIS_2D
        self.units = comin.metadata_get(desc, "units")
        self.handle = comin.var_get([comin.EP_ATM_WRITE_OUTPUT_BEFORE], desc, comin.COMIN_FLAG_READ)
        self.ncells = comin.descrdata_get_domain(jg).cells.ncells
        self.level = None
        if not self.is_2d:
            nlev = self.handle.to_3d.shape[1]
            self.level = nlev if opts.level is None else opts.level
            if not 1 <= self.level <= nlev:
                comin.finish("plot_field", f"--level {self.level} is outside 1..{nlev} for {opts.var}")
        x, y, self.owner = map_triangles(jg)
        self.tri = Triangulation(x.ravel(), y.ravel(), np.arange(x.size).reshape(-1, 3))
        # a global domain has no lateral boundary rows (refin_ctrl > 0)
        refin = unblock(comin.descrdata_get_domain(jg).cells.refin_ctrl, self.ncells)
        self.global_domain = not np.any(refin > 0)
        inside = (x.min(axis=1) >= -180.0) & (x.max(axis=1) <= 180.0)
        self.extent = (x[inside].min(), x[inside].max(), y.min(), y.max())

    def values(self):
        """The field at the chosen level, one value per real cell."""
        field = self.handle.to_3d
        if self.is_2d:                                # 2-D: (nproma, nblks, 1)
            return unblock(field[:, :, 0], self.ncells)
        return unblock(field[:, self.level - 1, :], self.ncells)

    def draw(self, stamp, when):
        values, level = self.values(), self.level
        face = values[self.owner]
        cmap = matplotlib.colormaps[opts.cmap].with_extremes(under="white")
        extend = "neither"
        if opts.log:                  # six decades below the maximum; less (and 0) is white
            positive = face[face > 0.0]
            vmax = positive.max() if positive.size else 1.0
            vmin = max(positive.min(), vmax * 1e-6) if positive.size else 0.1
            norm = LogNorm(vmin=vmin, vmax=vmax)
            face = np.where(face > 0.0, face, 0.5 * vmin)
            extend = "min"
        else:
            norm = Normalize(vmin=face.min(), vmax=face.max())
        fig = Figure(figsize=(9.0, 4.8) if self.global_domain else (7.0, 6.0), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.set_facecolor("0.85")
        art = ax.tripcolor(self.tri, facecolors=face, norm=norm, cmap=cmap)
        fig.colorbar(art, ax=ax, label=f"{opts.var} [{self.units}]", shrink=0.9, extend=extend)
        if self.global_domain:
            ax.set_xlim(-180.0, 180.0)
            ax.set_ylim(-90.0, 90.0)
            ax.set_xticks(range(-180, 181, 60))
            ax.set_yticks(range(-90, 91, 30))
        else:
            ax.set_xlim(*self.extent[:2])
            ax.set_ylim(*self.extent[2:])
        ax.set_aspect("equal")
        ax.grid(color="0.4", linewidth=0.3)
        ax.set_xlabel("longitude [deg]")
        ax.set_ylabel("latitude [deg]")
        where = "" if level is None else f", level {level}"
        ax.set_title(f"{opts.var}{where}, domain {self.jg}, {when}")
        name = f"{opts.var}" + ("" if level is None else f"_L{level:02d}") + f"_DOM{self.jg:02d}_{stamp}.png"
        path = os.path.join(opts.outdir, name)
        fig.savefig(path, dpi=100)
        return path


pictures = {}
written = []


@comin.EP_SECONDARY_CONSTRUCTOR
def setup():
    os.makedirs(opts.outdir, exist_ok=True)
    for jg in range(1, glob.n_dom + 1):
        pictures[jg] = Picture(jg)


@comin.EP_ATM_WRITE_OUTPUT_BEFORE
def draw():
    when = comin.current_get_datetime()
    stamp = datetime.datetime.fromisoformat(when).strftime("%Y%m%dT%H%M%SZ")
    for pic in pictures.values():
        path = pic.draw(stamp, when)
        written.append(path)
        comin.print_info(f"wrote {path}")


@comin.EP_DESTRUCTOR
def summary():
    what = "picture" if len(written) == 1 else "pictures"
    comin.print_info(f"{len(written)} {what} of {opts.var} in {os.path.abspath(opts.outdir)}")
