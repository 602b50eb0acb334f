"""Import time of each handler module in a fresh interpreter (median of N runs).

This is the part of a Lambda cold start the code controls. Run: `make bench` or
`.venv/bin/python bench/imports_bench.py [N]`. Target: <= 300 ms per handler.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SNIPPET = (
    "import time; c=time.process_time(); t=time.perf_counter(); import {module}; "
    "print((time.perf_counter()-t)*1000, (time.process_time()-c)*1000)"
)


def measure(module: str, runs: int) -> list[float]:
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'layers' / 'core' / 'python'}:{ROOT}", POWERTOOLS_TRACE_DISABLED="0")
    out = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-c", SNIPPET.format(module=module)], env=env, capture_output=True, text=True, cwd=ROOT
        )
        if proc.returncode != 0:
            raise SystemExit(f"{module}: import failed\n{proc.stderr}")
        wall, cpu = proc.stdout.strip().splitlines()[-1].split()
        out.append((float(wall), float(cpu)))
    return out


def main(runs: int = 5) -> int:
    # A Lambda ships compiled bytecode (the layer bundling runs compileall): do the same here, since
    # PYTHONDONTWRITEBYTECODE may be set and every import would otherwise recompile our sources.
    import compileall

    from einvoice.routes import FUNCTIONS

    for folder in (ROOT / "layers" / "core" / "python", ROOT / "functions"):
        compileall.compile_dir(str(folder), quiet=1)
    measure("functions.health.handler", 1)  # warm the file-system cache
    rows = []
    for fn in FUNCTIONS:
        samples = measure(fn.module, runs)
        rows.append(
            (fn.name, statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))
        )
    load = os.getloadavg()[0]
    print(f"\nHandler import time, fresh interpreter, median of {runs} (`python bench/imports_bench.py {runs}`)")
    print(f"machine load average (1 min): {load:.2f} on {os.cpu_count()} cores: wall time inflates under load, CPU time less")
    print(f"{'function':<32}{'wall ms':>10}{'cpu ms':>10}  target <= 300 ms (wall)")
    worst = 0.0
    for name, wall, cpu in sorted(rows, key=lambda r: -r[1]):
        worst = max(worst, wall)
        print(f"{name:<32}{wall:>10.0f}{cpu:>10.0f}  {'ok' if wall <= 300 else 'OVER'}")
    print(f"slowest median: {worst:.0f} ms over {len(rows)} handlers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
