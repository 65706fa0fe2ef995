"""What the commands print while and after they run: progress bar, rank-tagged lines, time table.

On a terminal a progress bar (tqdm) shows the steps (or calls) of a run;
plugin output goes above it.  Under a launcher of several processes every
line carries its rank.  At the end a table of the time spent per plugin and
entry point goes to stderr (rank 0 only).
"""
from __future__ import annotations

import sys
from typing import List, Optional, Sequence

#: rows of the summary table before the rest is folded into one line
SUMMARY_ROWS = 10


def add_output_args(group, verbosity: int = 0) -> None:
    """The output options that ``comin run`` and ``comin replay`` share."""
    group.add_argument("-v", "--verbosity", metavar="LEVEL", type=int, default=verbosity,
                       help="ComIn's verbosity: it prints its messages of levels below LEVEL; "
                            "13 prints all (default: %(default)s)")
    group.add_argument("--no-progress", action="store_true",
                       help="no progress bar (there is none anyway when stderr is not a terminal)")
    group.add_argument("--no-summary", action="store_true",
                       help="no summary table of the time spent per plugin and entry point "
                            "at the end (it goes to stderr)")



class _AroundBar:
    """A text stream whose complete lines are written above a tqdm bar (plugin output)."""

    def __init__(self, stream, bar):
        self._stream, self._bar, self._pending = stream, bar, ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            lines, _, self._pending = self._pending.rpartition("\n")
            self._bar.clear()
            self._stream.write(lines + "\n")
            self._stream.flush()
            self._bar.refresh()
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def close_pending(self) -> None:
        if self._pending:
            self._bar.clear()
            self._stream.write(self._pending)
            self._stream.flush()
            self._pending = ""

    def __getattr__(self, name):
        return getattr(self._stream, name)


class RankLines:
    """A text stream that starts every complete line with ``[rank N] `` (parallel runs:
    the launcher merges the ranks' output, the prefix says whose line it is)."""

    def __init__(self, stream, rank: int):
        self._stream, self._prefix, self._pending = stream, f"[rank {rank}] ", ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            *lines, self._pending = self._pending.split("\n")
            self._stream.write("".join(f"{self._prefix}{line}\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(self._prefix + self._pending)
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


class Progress:
    """A tqdm bar over the steps of domain 1 on a terminal; nothing otherwise.

    While the bar shows, Python-level writes to stdout/stderr (plugin
    messages) go above it.
    """

    def __init__(self, total: int, enabled: bool, desc: str = "comin run", unit: str = "step"):
        self.bar = None
        self._saved: Optional[tuple] = None
        if not enabled:
            return
        from tqdm import tqdm
        stderr = sys.stderr
        self.bar = tqdm(total=total, desc=desc, unit=unit, file=stderr,
                        dynamic_ncols=True, leave=True)
        self._saved = (sys.stdout, sys.stderr)
        sys.stderr = _AroundBar(stderr, self.bar)
        if getattr(sys.stdout, "isatty", lambda: False)():
            sys.stdout = _AroundBar(sys.stdout, self.bar)

    def __call__(self, step: int) -> None:
        if self.bar is not None:
            self.bar.update(step - self.bar.n)

    def close(self) -> None:
        if self.bar is None:
            return
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, _AroundBar):
                stream.close_pending()
        sys.stdout, sys.stderr = self._saved
        self.bar.close()
        self.bar = None


def summary_table(timings: Sequence[tuple], total: float, plugin_names: Sequence[str],
                  rows: int = SUMMARY_ROWS,
                  rest: str = "model, grids, comin, plugin loading") -> List[str]:
    """Lines of the time table: the ``rows`` costliest (plugin, entry point) pairs, the
    rest folded into one line, then per-plugin totals, all plugins, the rest of the run.

    ``timings``: :meth:`comin.host.Host.timings` entries ``(plugin, ep, calls, seconds)``;
    ``total``: seconds of the whole run; shares are of that.  The host's line is the
    rest: the model, grid generation or loading, comin itself and the plugins'
    primary constructors (script top levels, which the Host does not time);
    ``rest`` labels that line.
    """
    ranked = sorted(timings, key=lambda t: -t[3])
    width = max([len("plugin"), len("all plugins")] + [len(n) for n in plugin_names]
                + [len(t[0]) for t in timings])
    epw = max([len("entry point"), len(rest)] + [len(t[1]) for t in timings])
    total = max(total, 1e-12)

    def row(plugin, ep, calls, seconds, per_call=True):
        c = f"{calls:,}" if calls is not None else ""
        pc = f"{seconds / calls * 1e6:,.1f}" if per_call and calls else ""
        return (f"  {plugin:<{width}}  {ep:<{epw}}  {c:>9}  {seconds * 1e3:>11,.3f}  "
                f"{pc:>10}  {100.0 * seconds / total:>5.1f}%")

    lines = [f"  {'plugin':<{width}}  {'entry point':<{epw}}  {'calls':>9}  {'time [ms]':>11}  "
             f"{'us/call':>10}  {'share':>6}"]
    for plugin, ep, calls, seconds in ranked[:rows]:
        lines.append(row(plugin, ep, calls, seconds))
    folded = ranked[rows:]
    if folded:
        lines.append(row(f"({len(folded)} more)", "", sum(t[2] for t in folded),
                         sum(t[3] for t in folded), per_call=False))
    lines.append("  " + "-" * (len(lines[0]) - 2))
    in_plugins = sum(t[3] for t in timings)
    if len(plugin_names) > 1:
        for name in dict.fromkeys(plugin_names):
            mine = [t for t in timings if t[0] == name]
            lines.append(row(name, "all entry points", sum(t[2] for t in mine),
                             sum(t[3] for t in mine), per_call=False))
    lines.append(row("all plugins", "all entry points", sum(t[2] for t in timings), in_plugins,
                     per_call=False))
    lines.append(row("host", rest, None, max(total - in_plugins, 0.0)))
    lines.append(row("total", "", None, total))
    return lines
