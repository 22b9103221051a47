"""Prints the specification run's totals from its JUnit XML as one plain closing line:
``spec: N passed, N failed, N skipped`` (what CI systems and people scan for at the end of a log).

Exits 1 when the directory holds no results, so a run that executed nothing is never mistaken for
a pass."""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def totals(junit_dir: Path) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    for report in sorted(junit_dir.glob("*.xml")):
        for case in ET.parse(report).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hello_dd.harness.reporting.closing_line", description=__doc__)
    parser.add_argument("junit_dir", nargs="?", default="reports/junit", type=Path, help="default: reports/junit")
    args = parser.parse_args(argv)
    passed, failed, skipped = totals(args.junit_dir)
    if passed + failed + skipped == 0:
        print(f"spec: no scenario results in {args.junit_dir}", file=sys.stderr)
        return 1
    print(f"spec: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
