"""`make bench`: every benchmark of the project, one after the other (never part of `make test`)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ORDER = [
    "imports_bench.py",
    "validation_bench.py",
    "generation_bench.py",
    "companies_bench.py",
    "enrolment_bench.py",
]


def main() -> int:
    only = sys.argv[1:]
    for name in ORDER:
        path = BENCH / name
        if not path.exists() or (only and not any(o in name for o in only)):
            continue
        print(f"\n===== {name} =====", flush=True)
        saved = sys.argv
        sys.argv = [str(path)]
        try:
            runpy.run_path(str(path), run_name="__main__")
        except SystemExit as stop:
            if stop.code not in (0, None):
                print(f"{name} exited with {stop.code}")
        finally:
            sys.argv = saved
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
