"""`make bench`: every benchmark of the project, one after the other (never part of `make test`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# (script, arguments): the runs whose figures the closing notes quote. Total about 15 minutes, plus the
# 1,000-invoice transmission run (minutes to tens of minutes depending on the machine's load).
ORDER = [
    ("imports_bench.py", ["5"]),
    ("validation_bench.py", ["--repeat", "5"]),
    ("facturx_examples.py", []),
    ("validation_memory.py", ["--lines", "8000"]),
    ("generation_bench.py", ["--repeat", "20"]),
    ("companies_bench.py", ["--lines", "100000", "--no-search"]),
    ("companies_bench.py", ["--search-only", "--fake-index", "--lines", "100000", "--searches", "40"]),
    ("enrolment_bench.py", ["50"]),
    ("lifecycle_bench.py", ["--repeat", "200"]),
    ("ocr_bench.py", ["--docs", "20", "--sets", "i2d,layouts,scan300,scan200,platform", "--quiet"]),
    ("hostile_bench.py", ["--rounds", "3"]),
    ("transmission_bench.py", ["1000"]),
]


def main() -> int:
    only = sys.argv[1:]
    for name, args in ORDER:
        path = BENCH / name
        if not path.exists() or (only and not any(o in name for o in only)):
            continue
        print(f"\n===== {name} {' '.join(args)} =====", flush=True)
        code = subprocess.run([sys.executable, str(path), *args], check=False).returncode
        if code:
            print(f"{name} exited with {code}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
