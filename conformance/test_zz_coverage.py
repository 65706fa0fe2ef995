"""Runs last: the error-code coverage table, and a failure for any code not provoked."""
import _codes as coverage


def test_every_code_that_can_arise_was_provoked(capsys):
    rows = []
    for language, codes in coverage.CAN_ARISE.items():
        missing = sorted(codes - coverage.SEEN[language])
        rows.append((language, sorted(coverage.SEEN[language] & codes), missing))
    with capsys.disabled():
        print("\nComIn error codes provoked (code x language):")
        for code, name in enumerate(coverage.NAMES):
            marks = " ".join(("x" if code in coverage.SEEN[lang] else
                              "-" if code in coverage.CAN_ARISE[lang] else ".")
                             for lang in coverage.CAN_ARISE)
            print(f"  {code:2d} {name:<60} {marks}")
        print("  (x: provoked, -: can arise but was not, .: cannot arise in this language)")
    for language, _seen, missing in rows:
        assert not missing, (f"{language}: error codes that can arise were never provoked: "
                             + ", ".join(coverage.NAMES[c] for c in missing))
