#!/usr/bin/env python
"""Mutation testing of comin's rule engine against the conformance suite.

Mutants are generated systematically from the core's rule code (the functions listed in
:data:`SCOPE`), one small change each:

=============  ===========================================================================
code-swap      an error code raised (``COMIN_ERROR_*``) replaced by the next one of the table
cmp-flip       a comparison flipped at its boundary (``<``/``<=``, ``>``/``>=``, ``==``/``!=``),
               ``is``/``is not``, ``in``/``not in``
off-by-one     an integer literal next to an arithmetic or comparison operator, plus one
drop-check     the condition of an ``if`` whose block raises, replaced by ``False``
swap-order     two consecutive checks (``if ...: raise`` or an early ``return``) swapped
negate-if      the condition of another ``if`` negated
bool-flip      ``and``/``or`` exchanged; ``True``/``False`` exchanged; a ``not`` dropped
=============  ===========================================================================

Code that only prints ComIn's messages or profiles (:data:`MESSAGE_CODE`) is not mutated:
the model says nothing about messages.

The scratch copy of the tree is built once in full.  By default every mutant goes into one
build as *mutant schemata*: each mutated function's body becomes ``if _MUTANT_ID == k:
<mutant k> ... else: <original>`` (``cdef`` declarations hoisted, as Cython wants them at
function level), ``_MUTANT_ID`` is read from ``COMIN_MUTANT`` when the core is imported,
and ``pytest conformance -x`` runs once per mutant with ``COMIN_MUTANT=k`` (the C and
Fortran hosts inherit it).  ``--rebuild`` builds each mutant on its own instead (only
``comin/_core`` is re-cythonized and compiled, at -O0): five to ten times slower.
A mutant that times out counts as killed; one that does not compile is reported as
invalid, not counted.  The report gives the mutation score (killed / valid, and killed /
(valid - equivalent)) and lists the survivors; survivors known to be equivalent (no
observable behaviour differs) are in :data:`EQUIVALENT` with the reason.

    python tools/mutate.py --list                    # the mutants, nothing built
    python tools/mutate.py [--sample N [--seed S]] [--only TEXT ...] [--ids FILE] [--jobs J] [--json FILE]
    python tools/mutate.py --reuse OLD.log ...       # killed results of an earlier run kept

Exit status 1 if a non-equivalent mutant survived or the unmutated tree fails the suite.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import tokenize
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: the rule code: file -> functions (their whole bodies are mutated).  Left out: messages,
#: profiling, the finish/abort machinery and MPI communicators (not part of the model;
#: MPI is checked by conformance/test_mpi.py under --mpi), argument parsing of the bindings
#: and the validation of a host's arrays (_expose, _set_var_array: dtype, shape, dimension
#: semantics of the host's input, which ComIn does not check at all).  The conditions of the
#: context call's fast path are C (comin_fast_slot, comin_nothing_at in
#: comin/src/comin_internal.h) and are not mutated; _call_ep_fast, which applies them, is.
SCOPE: Dict[str, Tuple[str, ...]] = {
    "comin/_variables.pxi": ("ncontained", "_new_handle", "_find_var", "_request_add",
                             "_request_metadata_set", "_request_metadata_set_one", "_var_get", "_has_device"),
    "comin/_metadata.pxi": ("_typeid_of", "_metadata_value", "_metadata_store"),
    "comin/_callbacks.pxi": ("_ep_id", "_as_ep", "_register", "_complete_callbacks", "_update_fast", "_dispatch",
                             "_register_c", "_call", "_sync", "_sync_device", "_sync_halo"),
    "comin/_descrdata.pxi": ("_domain", "_get_block", "_get_index", "_nproma", "_get_indices", "_refin_value",
                             "_npromz"),
    "comin/_state.pxi": ("_need_plugin", "_current", "_n_dom"),
    "comin/_plugin_api.pxi": ("callback_register", "register_callback", "callback_get_ep_name", "var_request_add",
                              "_metadata_var", "metadata_get", "metadata_get_typeid", "_metadata_keys", "var_get",
                              "var_descr_list", "current_get_plugin_info", "current_get_datetime",
                              "current_get_domain_id", "current_get_ep", "descrdata_get_global",
                              "descrdata_get_domain", "descrdata_get_timesteplength", "descrdata_get_index",
                              "descrdata_get_block", "descrdata_get_cell_npromz",
                              "descrdata_index_lookup_glb2loc_cell", "setup_get_version"),
    "comin/_host.pxi": ("__init__", "set_error_handler", "check", "set_glb2loc_cell", "set_sync_halo",
                        "set_sync_device_mem", "run_primary_constructors", "set_metadata", "finalize",
                        "_call_ep_fast", "_call_ep"),
    "comin/_capi.pxi": ("_c_data_pointer", "_c_need_handle", "_impl_comin_var_get",
                        "_impl_comin_callback_register", "_impl_comin_callback_context_call", "_c_metadata_set",
                        "_c_metadata_get", "_c_metadata_iterator"),
    "comin/_capi_host.pxi": ("_impl_comin_setup_init", "_impl_comin_setup_check"),
    # generated at build time from the rows of comin/_capi.py (a row's body is its rule)
    "comin/_capi_wrappers.pxi": ("_c_comin_current_get_domain_id",),
}

#: lines of the rule functions that only print (ComIn's messages at a verbosity level) or
#: profile: not mutated, the model says nothing about messages.  A line matching, a block
#: under a condition matching, and the condition of a block that only prints.
MESSAGE_CODE = re.compile(r"verbosity|_verbose\(|\.message\(|\.profile\b|_timed_call")

#: survivors that are equivalent mutants: mutant id -> why no observable behaviour differs
_FAST = "performance only: the general path of the context call does the same for this case"
_DISJOINT = "the type tests are mutually exclusive: their order cannot matter"
EQUIVALENT: Dict[str, str] = {
    "_variables.pxi:_var_get:off-by-one:2":
        "flag & (SYNC_HALO|DEVICE) is 0, 8, 16 or 24: '!= 1' equals '!= 0'",
    "_variables.pxi:_var_get:swap-order:2":
        "with v None, v.device reads Py_None's memory (Cython does not check None for a cdef attribute) and "
        "the lookup's 32 follows: the same result (undefined behaviour, not a different one)",
    "_metadata.pxi:_typeid_of:swap-order:1": _DISJOINT + " (exact types: type(value) is X)",
    "_metadata.pxi:_typeid_of:swap-order:2": _DISJOINT + " (exact types: type(value) is X)",
    "_metadata.pxi:_typeid_of:swap-order:3": _DISJOINT + " (exact types: type(value) is X)",
    "_metadata.pxi:_metadata_value:swap-order:2": _DISJOINT + " (int/np.integer vs float/np.floating; bool "
                                                  "is tested before both)",
    "_metadata.pxi:_metadata_value:swap-order:3": _DISJOINT + " (float/np.floating vs str)",
    "_callbacks.pxi:_register:bool-flip:5":
        "special only keeps a callback off the fast path; the general path syncs only SYNC_HALO/DEVICE "
        "accesses or with lacc: " + _FAST,
    "_callbacks.pxi:_complete_callbacks:off-by-one:1": "one more list of callbacks, for an entry point id "
                                                       "(43) that is never read",
    "_callbacks.pxi:_dispatch:bool-flip:8": "calls _sync where the original does not: without lacc _sync "
                                            "acts only on SYNC_HALO/DEVICE accesses, which make the callback "
                                            "special anyway (DEVICE without lacc only prints); an empty access "
                                            "list does nothing",
    "_callbacks.pxi:_dispatch:bool-flip:12": "as _dispatch:bool-flip:8, after the callback",
    "_callbacks.pxi:_sync_halo:code-swap:2": "unreachable: var_get refuses SYNC_HALO without the host's halo "
                                             "function (29) and a Host cannot unset it",
    "_callbacks.pxi:_sync_halo:drop-check:1": "unreachable, as _sync_halo:code-swap:2",
    "_descrdata.pxi:_get_block:cmp-flip:1": "j = 0: j and -j are both 0",
    "_descrdata.pxi:_get_block:off-by-one:1": "j = 0: j and -j are both 0",
    "_descrdata.pxi:_get_block:cmp-flip:2": "aj = 0: (0-1)//nproma+1 is 0, which the next line clamps to 1",
    "_descrdata.pxi:_get_block:off-by-one:4": "aj = 1: (1-1)//nproma+1 is 1, the else value",
    "_descrdata.pxi:_get_block:cmp-flip:3": "b = 1: returns 1 either way",
    "_descrdata.pxi:_get_index:cmp-flip:2": "j = 0 returned 0 before; for j != 0 the conditions agree",
    "_descrdata.pxi:_get_index:off-by-one:2": "j = 0 returned 0 before; for j != 0 the conditions agree",
    "_descrdata.pxi:_get_index:cmp-flip:3": "j = 0 returned 0 before; for j != 0 the conditions agree",
    "_plugin_api.pxi:current_get_domain_id:cmp-flip:1": "the current domain is -2, -1 or 1..n_dom, never 0",
    "_plugin_api.pxi:current_get_domain_id:off-by-one:1": "the current domain is -2, -1 or 1..n_dom, never 0",
    "_host.pxi:_call_ep:swap-order:3": "a finalized session and a bad domain are both COMIN_ERROR_STATUS (3); "
                                       "only the detail text differs",
    "_callbacks.pxi:_register_c:bool-flip:1": "the overwrite search walks st.pending, empty outside the primary "
                                              "constructors (and no plugin is current before them): _register "
                                              "answers the same",
    "_callbacks.pxi:_register_c:bool-flip:2": "as _register_c:bool-flip:1 (pending is empty outside the primary "
                                              "constructors, and inside them a plugin is current)",
    "_callbacks.pxi:_register_c:cmp-flip:1": "pending never holds entry point 0: _register answers 6",
    "_capi.pxi:_impl_comin_callback_context_call:cmp-flip:2":
        "takes the core's fast path when libcomin's dispatch state points at another (an ended) session and "
        "the general path when it points at this one: " + _FAST + " (libcomin's own fast path reads the "
        "ended session's slots, which are cleared, and asks the core)",
    "_capi_host.pxi:_impl_comin_setup_init:drop-check:1": "Host.__init__ refuses a second session with the "
                                                         "same 13",
    "_capi.pxi:_c_metadata_get:cmp-flip:3": "the detail text of the error message only (the code is 36 "
                                            "either way)",
}


@dataclass
class Mutant:
    id: str              # file:function:operator:n (n: the n-th mutant of that kind in the function)
    file: str
    operator: str
    line: int            # 1-based line of the change
    before: str
    after: str
    text: str = ""       # the whole mutated file (not serialised)
    span: Tuple[int, int] = (0, 0)       # the mutated function: its lines [start, end) in the file
    func: Tuple[str, ...] = ()           # ... and its mutated lines

    def describe(self) -> str:
        return f"{self.id} (line {self.line}): {self.before.strip()!r} -> {self.after.strip()!r}"


# -- finding the rule code -----------------------------------------------------------------------

_DEF = re.compile(r"^(\s*)(?:cdef|cpdef|def)\b[^(]*?\b(\w+)\s*\(")


def functions(text: str, names) -> List[Tuple[str, int, int]]:
    """(name, first line index, end line index) of the named functions (0-based, end exclusive)."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        m = _DEF.match(line)
        if not m or m.group(2) not in names:
            continue
        indent = len(m.group(1))
        end = i + 1
        while end < len(lines):
            stripped = lines[end].strip()
            if stripped and not stripped.startswith("#") and len(lines[end]) - len(lines[end].lstrip()) <= indent:
                break
            end += 1
        while end > i + 1 and not lines[end - 1].strip():
            end -= 1
        out.append((m.group(2), i, end))
    return out


def _tokens(src: str):
    """Python tokens of a Cython source fragment (errors tolerated: Cython's '?' etc.)."""
    toks = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            toks.append(tok)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return toks


_CAST = re.compile(r"<[A-Za-z_][\w\.]*\s*\**>")
_CMP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
_ARITH = {"+", "-", "<", "<=", ">", ">=", "==", "!=", "*", "//", "%"}


def _error_codes() -> List[str]:
    sys.path.insert(0, ROOT)
    from comin import _table
    return [row[0] for row in _table.ERROR_CODES]


# -- the mutation operators ------------------------------------------------------------------------

def mutants_of(rel: str, text: str) -> List[Mutant]:
    codes = _error_codes()
    lines = text.split("\n")
    out: List[Mutant] = []
    for name, start, end in functions(text, SCOPE[rel]):
        # dedent so that tokenize accepts the fragment
        indent = len(lines[start]) - len(lines[start].lstrip())
        frag = "\n".join(l[indent:] if l.strip() else l for l in lines[start:end]) + "\n"
        toks = _tokens(frag)
        counters: Dict[str, int] = {}

        def add(op: str, new_lines: List[str], line_no: int, before: str, after: str) -> None:
            counters[op] = counters.get(op, 0) + 1
            new = lines[:start] + new_lines + lines[end:]
            row = start + line_no
            if op != "swap-order" and len(new) == len(lines):
                before, after = lines[row], new[row]       # the whole line, before and after
            out.append(Mutant(f"{os.path.basename(rel)}:{name}:{op}:{counters[op]}", rel, op, row + 1,
                              before, after, "\n".join(new), (start, end), tuple(new_lines)))

        frag_lines = frag.split("\n")

        def replace_span(tok_start, tok_end, new_text) -> List[str]:
            (r0, c0), (r1, c1) = tok_start, tok_end
            fl = list(frag_lines)
            head, tail = fl[r0 - 1][:c0], fl[r1 - 1][c1:]
            fl[r0 - 1:r1] = [head + new_text + tail]
            return [(" " * indent + l) if l.strip() else l for l in fl[:-1]]

        casts = {}
        for r, l in enumerate(frag_lines, start=1):
            for m in _CAST.finditer(l):
                for c in range(m.start(), m.end()):
                    casts[(r, c)] = True
        sig = [t for t in toks if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                                   tokenize.COMMENT)]
        body_start = next((i for i, t in enumerate(sig) if t.string == ":" and t.start[0] >= 1
                           and _depth_zero(sig, i)), 0)
        for k, t in enumerate(sig):
            if k <= body_start:
                continue
            prev = sig[k - 1].string if k else ""
            nxt = sig[k + 1].string if k + 1 < len(sig) else ""
            row = t.start[0]
            line_text = frag_lines[row - 1]
            if t.type == tokenize.OP and t.string in _CMP and t.start not in casts:
                add("cmp-flip", replace_span(t.start, t.end, _CMP[t.string]), row - 1, line_text,
                    line_text[:t.start[1]] + _CMP[t.string] + line_text[t.end[1]:])
            elif t.type == tokenize.NAME and t.string == "is":
                new = "is" if nxt == "not" else "is not"
                span_end = sig[k + 1].end if nxt == "not" else t.end
                add("cmp-flip", replace_span(t.start, span_end, new), row - 1, line_text, new)
            elif t.type == tokenize.NAME and t.string == "in" and prev not in ("for",) and _in_expr(sig, k):
                if prev == "not":
                    add("cmp-flip", replace_span(sig[k - 1].start, t.end, "in"), row - 1, line_text, "in")
                else:
                    add("cmp-flip", replace_span(t.start, t.end, "not in"), row - 1, line_text, "not in")
            elif t.type == tokenize.NAME and t.string in codes and t.string.startswith("COMIN_ERROR_") \
                    and _in_err_call(sig, k):
                other = codes[(codes.index(t.string) + 1) % len(codes)]
                if other == "COMIN_SUCCESS":
                    other = codes[3]
                add("code-swap", replace_span(t.start, t.end, other), row - 1, t.string, other)
            elif t.type == tokenize.NUMBER and re.fullmatch(r"\d+", t.string) and \
                    (prev in _ARITH or nxt in _ARITH) and prev not in ("[",):
                new = str(int(t.string) + 1)
                add("off-by-one", replace_span(t.start, t.end, new), row - 1, line_text,
                    line_text[:t.start[1]] + new + line_text[t.end[1]:])
            elif t.type == tokenize.NAME and t.string in ("and", "or"):
                new = "or" if t.string == "and" else "and"
                add("bool-flip", replace_span(t.start, t.end, new), row - 1, t.string, new)
            elif t.type == tokenize.NAME and t.string in ("True", "False") and prev != "if":
                new = "False" if t.string == "True" else "True"
                add("bool-flip", replace_span(t.start, t.end, new), row - 1, t.string, new)
            elif t.type == tokenize.NAME and t.string == "not" and nxt != "in" and prev != "is":
                add("bool-flip", replace_span(t.start, sig[k + 1].start, ""), row - 1, line_text, "(not dropped)")
        # statements: if-conditions
        for k, t in enumerate(sig):
            if k <= body_start or t.type != tokenize.NAME or t.string not in ("if", "elif"):
                continue
            if not _statement_start(toks, t):
                continue
            colon = _header_colon(sig, k)
            if colon is None:
                continue
            cond_start, cond_end = sig[k + 1].start, sig[colon].start
            block = _block(frag_lines, t.start[0], sig[colon].end[0])
            raises = any(re.match(r"\s*raise\b", frag_lines[r - 1]) for r in block)
            header = frag_lines[t.start[0] - 1]
            if raises:
                add("drop-check", replace_span(cond_start, cond_end, "False"), t.start[0] - 1, header,
                    header[:t.start[1]] + t.string + " False:")
            else:
                cond = _text_between(frag_lines, cond_start, cond_end)
                add("negate-if", replace_span(cond_start, cond_end, f"not ({cond})"), t.start[0] - 1, header,
                    f"{t.string} not (...):")
        # swap-order: consecutive sibling if-raise blocks
        for a, b in _check_pairs(frag_lines):
            (a0, a1), (b0, b1) = a, b
            fl = frag_lines[:a0] + frag_lines[b0:b1] + frag_lines[a0:a1] + frag_lines[b1:]
            new_lines = [(" " * indent + l) if l.strip() else l for l in fl[:-1]]
            add("swap-order", new_lines, a0, frag_lines[a0], frag_lines[b0])
    return out


def _depth_zero(sig, i) -> bool:
    depth = 0
    for t in sig[:i]:
        if t.string in "([{":
            depth += 1
        elif t.string in ")]}":
            depth -= 1
    return depth == 0


def _in_expr(sig, k) -> bool:
    """'in' as an operator (not a for-loop's): no 'for' earlier on the same line at depth 0."""
    row = sig[k].start[0]
    for t in reversed(sig[:k]):
        if t.start[0] != row:
            break
        if t.string == "for":
            return False
    return True


def _in_err_call(sig, k) -> bool:
    """The name is the first argument of _err(...) or ComInError(...)."""
    return k >= 2 and sig[k - 1].string == "(" and sig[k - 2].string in ("_err", "ComInError")


def _statement_start(toks, tok) -> bool:
    """The token starts a logical line (an if/elif statement, not a conditional expression)."""
    for t in reversed([x for x in toks if x.start < tok.start]):
        if t.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT):
            continue
        return t.type in (tokenize.NEWLINE, tokenize.NL) or t.string == ":"
    return True


def _header_colon(sig, k) -> Optional[int]:
    depth = 0
    for j in range(k + 1, len(sig)):
        s = sig[j].string
        if s in "([{":
            depth += 1
        elif s in ")]}":
            depth -= 1
        elif s == ":" and depth == 0:
            return j
    return None


def _block(frag_lines, header_row, colon_row) -> List[int]:
    """1-based rows of the block under an if header (rows header_row..colon_row)."""
    head = frag_lines[header_row - 1]
    indent = len(head) - len(head.lstrip())
    rows = []
    r = colon_row + 1
    while r <= len(frag_lines):
        l = frag_lines[r - 1]
        if l.strip() and len(l) - len(l.lstrip()) <= indent:
            break
        rows.append(r)
        r += 1
    return rows


def _text_between(frag_lines, a, b) -> str:
    (r0, c0), (r1, c1) = a, b
    if r0 == r1:
        return frag_lines[r0 - 1][c0:c1]
    parts = [frag_lines[r0 - 1][c0:]] + frag_lines[r0:r1 - 1] + [frag_lines[r1 - 1][:c1]]
    return " ".join(p.strip() for p in parts)


def _check_pairs(frag_lines) -> List[Tuple[Tuple[int, int], Tuple[int, int]]]:
    """Pairs of consecutive sibling 'if ...: raise' statements (0-based [start, end) line ranges),
    neither with an elif/else."""
    stmts = []
    i = 0
    n = len(frag_lines)
    while i < n:
        line = frag_lines[i]
        m = re.match(r"(\s*)if\b", line)
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        j = i + 1
        while j < n and not frag_lines[j - 1].rstrip().endswith(":"):
            j += 1
        k = j
        while k < n and (not frag_lines[k].strip() or len(frag_lines[k]) - len(frag_lines[k].lstrip()) > indent):
            k += 1
        while k > j and not frag_lines[k - 1].strip():
            k -= 1
        body = [frag_lines[r] for r in range(j, k) if frag_lines[r].strip()]
        has_raise = any(re.match(r"\s*raise\b", b) for b in body) or (
            len(body) == 1 and re.match(r"\s*return\b", body[0]) is not None)     # an early exit
        follows_else = k < n and re.match(rf"\s{{{indent}}}(elif|else)\b", frag_lines[k])
        stmts.append((i, k, indent, has_raise and not follows_else))
        i += 1
    pairs = []
    for a0, a1, ia, ra in stmts:
        for b0, b1, ib, rb in stmts:
            if ra and rb and ia == ib and b0 == a1:
                pairs.append(((a0, a1), (b0, b1)))
    return pairs


def message_rows(text: str, names) -> set:
    """1-based line numbers of message/profiling code in the named functions (MESSAGE_CODE)."""
    lines = text.split("\n")
    rows = set()
    for _name, start, end in functions(text, names):
        i = start
        while i < end:
            line = lines[i]
            indent = len(line) - len(line.lstrip())
            header = re.match(r"\s*(if|elif)\b", line)
            j = i + 1
            if header:
                while j < end and not lines[j - 1].split("#")[0].rstrip().endswith(":"):
                    j += 1
            block = []
            k = j
            while header and k < end and (not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > indent):
                block.append(k)
                k += 1
            block_text = "\n".join(lines[b] for b in block if lines[b].strip())
            only_prints = bool(block_text) and all(
                re.match(r"\s*(st|self)\.message\(|\s*f?\"|\s*\w*\"|\s*\)", lines[b]) or not lines[b].strip()
                or lines[b].strip().startswith(("f\"", "\"")) for b in block)
            if MESSAGE_CODE.search(line) or (header and only_prints):
                rows.update(range(i + 1, j + 1))
                if header:
                    rows.update(b + 1 for b in block)
            i += 1
    return rows


def all_mutants() -> List[Mutant]:
    out = []
    for rel in SCOPE:
        path = os.path.join(ROOT, rel)
        if not os.path.exists(path):
            raise SystemExit(f"mutate.py: {rel} is missing (generated files appear with "
                             f"'python3 setup.py build_ext --inplace')")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        found = {name for name, _, _ in functions(text, SCOPE[rel])}
        missing = [name for name in SCOPE[rel] if name not in found]
        if missing:          # the scope follows the core: a renamed function must not drop out silently
            raise SystemExit(f"mutate.py: SCOPE names functions that {rel} no longer has: {', '.join(missing)}")
        skip = message_rows(text, SCOPE[rel])
        for m in mutants_of(rel, text):
            if m.text != text and m.line not in skip:
                out.append(m)
    return out


# -- mutant schemata: every mutant in one build, chosen at run time -------------------------------------

_CDEF = re.compile(r"^(\s*)cdef\s+((?:const\s+)?[\w\.]+\s*\**)\s+(.+)$")


def _split_top(text: str) -> List[str]:
    """Split at commas outside brackets."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts]


def _signature_end(lines: List[str]) -> int:
    """Index of the last line of a function's signature (the line with its ':')."""
    depth = 0
    for i, line in enumerate(lines):
        code = line.split("#")[0]
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        if depth == 0 and code.rstrip().endswith(":"):
            return i
    raise ValueError("no signature end")


def _docstring_end(body: List[str]) -> int:
    """Number of body lines taken by a leading docstring (0: none)."""
    i = 0
    while i < len(body) and not body[i].strip():
        i += 1
    if i == len(body):
        return 0
    first = body[i].strip()
    m = re.match(r'[rRbBuU]?("""|\'\'\'|"|\')', first)
    if not m:
        return 0
    q = m.group(1)
    rest = first[m.end():]
    if len(q) == 1 or q in rest:
        return i + 1
    for j in range(i + 1, len(body)):
        if q in body[j]:
            return j + 1
    return len(body)


def _hoist(body: List[str], base: int) -> Tuple[List[str], List[str]]:
    """(declarations hoisted to the function's top, body with cdef lines turned into
    assignments and global statements removed): Cython accepts neither in a nested block."""
    decls, out = [], []
    for line in body:
        indent = len(line) - len(line.lstrip())
        m = _CDEF.match(line)
        if m and indent == base:
            typ, rest = m.group(2).strip(), m.group(3)
            names = []
            for part in _split_top(rest):
                if "=" in part and not re.match(r"^\w+\s*==", part):
                    name, expr = part.split("=", 1)
                    names.append(name.strip())
                    out.append(" " * indent + f"{name.strip()} = {expr.strip()}")
                else:
                    names.append(part)
            decls.append(" " * base + f"cdef {typ} {', '.join(names)}")
            continue
        if re.match(r"\s*global\s", line) and indent == base:
            decls.append(line)
            continue
        out.append(line)
    return decls, out


def schemata(text: str, mutants: List[Mutant], ids: Dict[str, int]) -> Tuple[str, Dict[int, str]]:
    """The file with every mutant of ``mutants`` (all of this file) in one source: each mutated
    function's body becomes ``if _MUTANT_ID == k: <mutant k> elif ... else: <original>``.
    Returns the text and, for each line of it inside a mutant's branch, that mutant's id."""
    lines = text.split("\n")
    by_span: Dict[Tuple[int, int], List[Mutant]] = {}
    for m in mutants:
        by_span.setdefault(m.span, []).append(m)
    owner: Dict[int, str] = {}
    pieces: List[Tuple[int, int, List[str], Dict[int, str]]] = []
    for (start, end), group in by_span.items():
        orig = lines[start:end]
        sig = _signature_end(orig)
        base = len(orig[sig + 1]) - len(orig[sig + 1].lstrip()) if sig + 1 < len(orig) else 4
        doc = _docstring_end(orig[sig + 1:])
        head = orig[:sig + 1 + doc]

        def body_of(func_lines):
            fsig = _signature_end(list(func_lines))
            return list(func_lines)[fsig + 1 + _docstring_end(list(func_lines)[fsig + 1:]):]
        decls, orig_body = _hoist(orig[sig + 1 + doc:], base)
        new = head + decls
        local_owner: Dict[int, str] = {}
        first = True
        for m in group:
            _d, mbody = _hoist(body_of(m.func), base)
            new.append(" " * base + f"{'if' if first else 'elif'} _MUTANT_ID == {ids[m.id]}:")
            first = False
            for line in (mbody if any(l.strip() for l in mbody) else [" " * base + "pass"]):
                local_owner[len(new)] = m.id
                new.append(("    " + line) if line.strip() else line)
        new.append(" " * base + "else:")
        for line in (orig_body if any(l.strip() for l in orig_body) else [" " * base + "pass"]):
            new.append(("    " + line) if line.strip() else line)
        pieces.append((start, end, new, local_owner))
    out: List[str] = []
    pos = 0
    for start, end, new, local_owner in sorted(pieces):
        out += lines[pos:start]
        offset = len(out)
        for i, mid in local_owner.items():
            owner[offset + i + 1] = mid            # 1-based line numbers
        out += new
        pos = end
    out += lines[pos:]
    return "\n".join(out), owner


# -- building and running ------------------------------------------------------------------------------

def _copy_tree(dest: str) -> None:
    """The working tree's tracked files (uncommitted edits included)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for rel in files.decode().split("\0"):
        if not rel:
            continue
        src = os.path.join(ROOT, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, rel))


def _core_so(tree: str) -> str:
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    return os.path.join(tree, "comin", "_core" + suffix)


class Workspace:
    """A scratch copy of the tree, fully built once; mutants rebuild only comin/_core."""

    def __init__(self, base: str, index: int) -> None:
        self.tree = os.path.join(base, f"tree{index}")
        os.makedirs(self.tree)
        _copy_tree(self.tree)
        build = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=self.tree,
                               capture_output=True, text=True)
        if build.returncode != 0:
            raise RuntimeError("building the scratch tree failed:\n" + build.stderr[-3000:])
        self.originals = {rel: open(os.path.join(self.tree, rel), encoding="utf-8").read() for rel in SCOPE}

    def build_core(self) -> Tuple[bool, str]:
        import numpy
        c_file = os.path.join(self.tree, "comin", "_core_mutant.c")
        cy = subprocess.run([sys.executable, "-m", "cython", "-3", "-I", "comin", "comin/_core.pyx", "-o", c_file],
                            cwd=self.tree, capture_output=True, text=True)
        if cy.returncode != 0:
            return False, (cy.stdout + cy.stderr)[-20000:]
        tmp = _core_so(self.tree) + ".tmp"
        cc = subprocess.run(["gcc", "-O0", "-shared", "-fPIC", "-w", f"-I{sysconfig.get_paths()['include']}",
                             f"-I{numpy.get_include()}", "-Icomin/src", "-Icomin/include",   # as setup.py's _core
                             "-DNPY_NO_DEPRECATED_API=NPY_1_7_API_VERSION", c_file,
                             "-o", tmp], cwd=self.tree, capture_output=True, text=True)
        if cc.returncode != 0:
            return False, cc.stderr[-1500:]
        os.replace(tmp, _core_so(self.tree))
        return True, ""

    def run_suite(self, timeout: float, seed: int, mutant_id: int = 0) -> Tuple[str, str, float]:
        """('passed' | 'failed' | 'timeout', the first failing test or the last line, seconds)."""
        env = dict(os.environ, PYTHONPATH=self.tree, HYPOTHESIS_PROFILE="ci", COMIN_MUTANT=str(mutant_id))
        t0 = time.perf_counter()
        try:
            test = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                                   f"--hypothesis-seed={seed}", "conformance"], cwd=self.tree, env=env,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout", "", time.perf_counter() - t0
        dt = time.perf_counter() - t0
        failed = [l.split(" ", 1)[1].split(" - ")[0] for l in test.stdout.splitlines() if l.startswith("FAILED ")]
        last = [l for l in test.stdout.splitlines() if l.strip()][-1:] or [""]
        return ("failed" if test.returncode else "passed"), (failed[0] if failed else last[0]), dt

    def build_schemata(self, mutants: List[Mutant]) -> Tuple[Dict[str, int], Dict[str, str]]:
        """Write every mutant into the scratch tree as schemata and build the core once.
        Returns (mutant id -> number, invalid mutant id -> the compiler's message); mutants
        that do not compile are dropped and the build is repeated without them."""
        invalid: Dict[str, str] = {}
        pyx = os.path.join(self.tree, "comin", "_core.pyx")
        if not hasattr(self, "pyx_original"):
            self.pyx_original = open(pyx, encoding="utf-8").read()
        marker = 'include "_constants.pxi"'
        with open(pyx, "w", encoding="utf-8") as f:
            f.write(self.pyx_original.replace(marker, "import os as _mutant_os\ncdef int _MUTANT_ID = "
                                              "int(_mutant_os.environ.get('COMIN_MUTANT', '0'))\n" + marker, 1))
        while True:
            live = [m for m in mutants if m.id not in invalid]
            ids = {m.id: i for i, m in enumerate(live, start=1)}
            owners: Dict[str, Dict[int, str]] = {}
            for rel, text in self.originals.items():
                new, owners[rel] = schemata(text, [m for m in live if m.file == rel], ids)
                with open(os.path.join(self.tree, rel), "w", encoding="utf-8") as f:
                    f.write(new)
            ok, why = self.build_core()
            if ok:
                return ids, invalid
            culprits = set()
            for rel_file, line in re.findall(r"(comin/_\w+\.pxi):(\d+):\d+:", why):
                mid = owners.get(rel_file, {}).get(int(line))
                if mid:
                    culprits.add(mid)
            if not culprits:
                raise RuntimeError("the schemata build failed outside any mutant:\n" + why)
            for mid in culprits:
                invalid[mid] = why.strip().splitlines()[-1] if why.strip() else "does not compile"

    def apply(self, mutant: Optional[Mutant]) -> None:
        for rel, text in self.originals.items():
            with open(os.path.join(self.tree, rel), "w", encoding="utf-8") as f:
                f.write(mutant.text if mutant is not None and mutant.file == rel else text)


def run_mutant(ws: Workspace, mutant: Optional[Mutant], timeout: float, seed: int) -> dict:
    ws.apply(mutant)
    t0 = time.perf_counter()
    ok, why = ws.build_core()
    build_s = time.perf_counter() - t0
    if not ok:
        return {"status": "invalid", "detail": why.strip().splitlines()[-1] if why.strip() else "", "build_s": build_s,
                "test_s": 0.0}
    status, detail, test_s = ws.run_suite(timeout, seed)
    result = {"passed": "survived", "failed": "killed", "timeout": "killed"}[status]
    if mutant is None:
        result = status
    return {"status": result, "detail": detail if status != "timeout" else "timeout", "build_s": build_s,
            "test_s": test_s}


_LOG_LINE = re.compile(r"^\[\s*\d+/\d+\] (\w+)\s+(\S+) \(line (\d+)\): (.*)  \(([\d.]+)\+([\d.]+) s\) ?(.*)$")


def _reuse(logs: List[str], known: Dict[str, Mutant]) -> Dict[str, dict]:
    """Killed and invalid results of earlier runs (their printed lines) for mutants that
    still exist unchanged; survivors are not reused (new tests may kill them)."""
    out: Dict[str, dict] = {}
    for path in logs:
        with open(path) as f:
            for line in f:
                m = _LOG_LINE.match(line.rstrip("\n"))
                if not m or m.group(1) not in ("killed", "invalid") or m.group(2) not in known:
                    continue
                mut = known[m.group(2)]
                if f"{mut.describe()}" != f"{m.group(2)} (line {m.group(3)}): {m.group(4)}":
                    continue                       # the source changed since
                out[mut.id] = {"status": m.group(1), "detail": m.group(7) + " (reused)", "build_s": float(m.group(5)),
                               "test_s": float(m.group(6)), "id": mut.id, "operator": mut.operator,
                               "line": mut.line, "before": mut.before.strip(), "after": mut.after.strip(),
                               "file": mut.file}
    return out


class _Baseline(Exception):
    """The unmutated tree fails the suite."""


def _record(results: List[dict], m: Mutant, r: dict, total: int) -> None:
    r.update(id=m.id, operator=m.operator, line=m.line, before=m.before.strip(), after=m.after.strip(),
             file=m.file)
    if r["status"] == "survived" and m.id in EQUIVALENT:
        r["status"] = "equivalent"
        r["detail"] = EQUIVALENT[m.id]
    results.append(r)
    print(f"[{len(results):4d}/{total}] {r['status']:<10} {m.describe()}  "
          f"({r['build_s']:.0f}+{r['test_s']:.0f} s) {r['detail'][:100]}", flush=True)


def _run_schemata(args, mutants: List[Mutant], base: str, results: List[dict], reused: int) -> None:
    """One scratch tree, one build with every mutant; each suite run picks one (COMIN_MUTANT)."""
    total = len(mutants) + reused
    print(f"building the scratch tree in {base} ...", flush=True)
    ws = Workspace(base, 0)
    t0 = time.perf_counter()
    ids, invalid = ws.build_schemata(mutants)
    print(f"schemata of {len(ids)} mutants built in {time.perf_counter() - t0:.0f} s "
          f"({len(invalid)} do not compile)", flush=True)
    for m in mutants:
        if m.id in invalid:
            _record(results, m, {"status": "invalid", "detail": invalid[m.id], "build_s": 0.0, "test_s": 0.0},
                    total)
    status, detail, dt = ws.run_suite(args.timeout, args.hypothesis_seed, 0)
    print(f"baseline (no mutant): suite {status} in {dt:.0f} s", flush=True)
    if status != "passed":
        raise _Baseline(f"the unmutated tree fails: {detail}")
    queue = [m for m in mutants if m.id in ids]

    def worker(_):
        while queue:
            try:
                m = queue.pop(0)
            except IndexError:
                return
            st, detail, dt = ws.run_suite(args.timeout, args.hypothesis_seed, ids[m.id])
            status = {"passed": "survived", "failed": "killed", "timeout": "killed"}[st]
            _record(results, m, {"status": status, "detail": detail if st != "timeout" else "timeout",
                                 "build_s": 0.0, "test_s": dt}, total)

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(worker, range(max(1, args.jobs))))


def _run_rebuilding(args, mutants: List[Mutant], base: str, results: List[dict], reused: int) -> None:
    """One scratch tree per job; each mutant rebuilt on its own."""
    total = len(mutants) + reused
    print(f"building {args.jobs} scratch tree(s) in {base} ...", flush=True)
    workspaces = [Workspace(base, i) for i in range(max(1, args.jobs))]
    baseline = run_mutant(workspaces[0], None, args.timeout, args.hypothesis_seed)
    print(f"baseline (no mutant): suite {baseline['status']} in {baseline['test_s']:.0f} s "
          f"(core build {baseline['build_s']:.0f} s)", flush=True)
    if baseline["status"] != "passed":
        raise _Baseline(f"the unmutated tree fails: {baseline['detail']}")
    queue = list(mutants)

    def worker(ws: Workspace):
        while queue:
            try:
                m = queue.pop(0)
            except IndexError:
                return
            _record(results, m, run_mutant(ws, m, args.timeout, args.hypothesis_seed), total)

    with ThreadPoolExecutor(max_workers=len(workspaces)) as pool:
        list(pool.map(worker, workspaces))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--only", nargs="+", metavar="TEXT", help="mutants whose id contains one of these")
    parser.add_argument("--operators", nargs="+", metavar="OP", help="only these operators")
    parser.add_argument("--ids", metavar="FILE", help="only the mutants whose ids are listed in FILE (one a line)")
    parser.add_argument("--sample", type=int, help="a random sample of N mutants")
    parser.add_argument("--limit", type=int, help="the first N mutants (after --only/--sample)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument("--hypothesis-seed", type=int, default=0, help="the suite's hypothesis seed (default 0)")
    parser.add_argument("--jobs", type=int, default=1, help="suite runs in parallel (default 1)")
    parser.add_argument("--rebuild", action="store_true",
                        help="build each mutant on its own (one scratch tree per job) instead of one build of "
                             "all mutants as schemata chosen at run time (COMIN_MUTANT=k)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per suite run (default 300)")
    parser.add_argument("--json", metavar="FILE", help="write every result to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the scratch trees")
    parser.add_argument("--reuse", metavar="LOG", nargs="+", default=[],
                        help="take the killed/invalid results of earlier runs' output from LOG (survivors rerun)")
    args = parser.parse_args(argv)

    mutants = all_mutants()
    if args.only:
        mutants = [m for m in mutants if any(w in m.id for w in args.only)]
    if args.ids:
        with open(args.ids) as f:
            wanted = {line.split(" (line")[0].replace("SURVIVED ", "").strip() for line in f if line.strip()}
        mutants = [m for m in mutants if m.id in wanted]
    if args.operators:
        mutants = [m for m in mutants if m.operator in args.operators]
    if args.sample is not None and args.sample < len(mutants):
        mutants = sorted(random.Random(args.seed).sample(mutants, args.sample), key=lambda m: m.id)
    if args.limit is not None:
        mutants = mutants[:args.limit]
    if args.list:
        for m in mutants:
            print(m.describe())
        counts: Dict[str, int] = {}
        for m in mutants:
            counts[m.operator] = counts.get(m.operator, 0) + 1
        print(f"{len(mutants)} mutants: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        return 0

    reused = _reuse(args.reuse, {m.id: m for m in mutants})
    mutants = [m for m in mutants if m.id not in reused]
    base = tempfile.mkdtemp(prefix="comin-mutants-")
    t_start = time.perf_counter()
    results: List[dict] = list(reused.values())
    if reused:
        print(f"{len(reused)} results taken from {', '.join(args.reuse)}; {len(mutants)} mutants to run")
    try:
        if args.rebuild:
            _run_rebuilding(args, mutants, base, results, len(reused))
        else:
            _run_schemata(args, mutants, base, results, len(reused))
    except _Baseline as exc:
        print(exc)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    total = time.perf_counter() - t_start
    by = {s: [r for r in results if r["status"] == s] for s in ("killed", "survived", "equivalent", "invalid")}
    valid = len(results) - len(by["invalid"])
    killed = len(by["killed"])
    print(f"\n{len(results)} mutants in {total / 60:.1f} min: {killed} killed, {len(by['survived'])} survived, "
          f"{len(by['equivalent'])} equivalent (survived, explained), {len(by['invalid'])} invalid (do not compile)")
    if valid:
        adjusted = valid - len(by["equivalent"])
        print(f"mutation score: {100 * killed / valid:.1f} % of valid mutants"
              + (f", {100 * killed / adjusted:.1f} % without the equivalent ones" if adjusted else ""))
    ops: Dict[str, List[int]] = {}
    for r in results:
        if r["status"] != "invalid":
            ops.setdefault(r["operator"], [0, 0])
            ops[r["operator"]][1] += 1
            ops[r["operator"]][0] += r["status"] == "killed"
    for op, (k, n) in sorted(ops.items()):
        print(f"  {op:<11} {k}/{n} killed")
    for r in by["survived"]:
        print(f"SURVIVED {r['id']} (line {r['line']}): {r['before']!r} -> {r['after']!r}")
    for r in by["equivalent"]:
        print(f"equivalent {r['id']}: {r['detail']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "minutes": total / 60}, f, indent=1)
    return 1 if by["survived"] else 0


if __name__ == "__main__":
    sys.exit(main())
