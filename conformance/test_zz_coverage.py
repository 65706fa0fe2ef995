"""Runs last: the rule x language coverage table of the deterministic cases, and a
failure for every rule that can arise in a language but no fixed case checked there."""
from comin.testing import model as M

import _coverage


def test_every_rule_is_checked_in_every_language_where_it_can_arise(capsys):
    required = _coverage.required()
    gaps = _coverage.gaps()
    with capsys.disabled():
        print("\nRules checked by the deterministic cases (rule x language: python c fortran):")
        for rid in sorted(required, key=lambda r: (r.split(".")[0], r)):
            kind, langs = required[rid]
            rule = M.RULES.get(rid)
            code = f"{rule.code:3d}" if rule is not None and rule.code is not None else "   "
            marks = " ".join("x" if l in _coverage.COVERED.get(rid, ()) else "-" if l in langs else "."
                             for l in M.LANGUAGES)
            print(f"  {marks}  {code}  {kind:<6} {rid}")
        print("  (x: checked, -: can arise but no case checked it, .: cannot arise in this language)")
        codes = sorted({r.code for r in M.RULES.values() if r.code is not None})
        print("Error codes checked (code: languages): " + ", ".join(
            f"{c}: " + "/".join(l[0] for l in M.LANGUAGES
                               if any(l in _coverage.COVERED.get(r.id, ()) for r in M.RULES.values()
                                      if r.code == c)) for c in codes))
    assert not gaps, "rules no deterministic case checked: " + ", ".join(
        f"{rid} ({'/'.join(langs)})" for rid, langs in sorted(gaps.items()))
