"""Speed of the core methods against a baseline pass over the same data (issue #2 bars).

Run: python benchmarks/bench_core.py [--rows 1000000] [--cols 20] [--repeats 7]

B is one ``X.sum(axis=0)`` pass over the same 1,000,000 x 20 float64 matrix, timed in the
same run, so the ratios travel between machines better than seconds do. Figures are
medians over the repeats; the first (compiling / warming) call is not counted and the
cold start cost of numba is measured separately in fresh processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import riskcore  # noqa: E402
from riskcore import _kernels  # noqa: E402


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def random_reciprocal_stack(k: int, n: int, rng: np.random.Generator) -> np.ndarray:
    iu = np.triu_indices(n, 1)
    stack = np.ones((k, n, n))
    upper = np.exp(rng.normal(scale=0.7, size=(k, iu[0].size)))
    stack[:, iu[0], iu[1]] = upper
    stack[:, iu[1], iu[0]] = 1.0 / upper
    return stack


def cold_start_seconds(cache_dir: str) -> float:
    code = (
        "import time, numpy as np; t=time.perf_counter(); import riskcore; from riskcore import _kernels;"
        "_kernels.KERNEL_MIN_CELLS=0; riskcore.grey_relational(np.random.rand(100, 3), 'benefit', 'entropy');"
        "print(time.perf_counter()-t)"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(2026)
    x = rng.lognormal(size=(args.rows, args.cols))
    directions = ["benefit" if j % 3 else "cost" for j in range(args.cols)]
    weights = rng.dirichlet(np.ones(args.cols))

    base = median_seconds(lambda: x.sum(axis=0), args.repeats)
    print(f"matrix {args.rows:,} x {args.cols} float64; numba kernels: {_kernels.available()}; "
          f"threads: {_kernels._pool()._max_workers}; load average {os.getloadavg()[0]:.2f} "  # noqa: SLF001
          "(other work on the cores slows the two-thread kernels more than the one-thread B)")
    print(f"{'B = X.sum(axis=0)':<52} {base * 1e3:9.1f} ms   1.00 B")

    def row(label: str, seconds: float, bar: str = "") -> None:
        print(f"{label:<52} {seconds * 1e3:9.1f} ms {seconds / base:6.2f} B   {bar}")

    def separate() -> object:
        ew = riskcore.entropy_weights(x, directions)
        return riskcore.grey_relational(x, directions, ew.weights)

    row("entropy + GRA, two calls", median_seconds(separate, args.repeats), "bar <= 8 B")
    fused = median_seconds(lambda: riskcore.grey_relational(x, directions, "entropy"), args.repeats)
    row("entropy + GRA, fused (weights='entropy')", fused, "bar <= 8 B")
    result = riskcore.grey_relational(x, directions, "entropy")
    row("what-if re-grade (coefficients reused)", median_seconds(lambda: result.regrade(weights), args.repeats),
        "bar <= 0.5 B")

    threshold = _kernels.KERNEL_MIN_CELLS
    _kernels.KERNEL_MIN_CELLS = sys.maxsize
    try:
        row("entropy + GRA, numpy only (no kernels)", median_seconds(separate, max(3, args.repeats // 2)))
    finally:
        _kernels.KERNEL_MIN_CELLS = threshold

    stack = random_reciprocal_stack(10_000, 9, rng)
    ahp = median_seconds(lambda: riskcore.ahp_weights(stack), args.repeats)
    print(f"{'10,000 AHP 9x9 matrices, one batch (eigen)':<52} {ahp * 1e3:9.1f} ms {'':8}   bar < 100 ms")
    eig = median_seconds(lambda: np.linalg.eig(stack), 3)
    print(f"{'  for comparison: numpy.linalg.eig on the stack':<52} {eig * 1e3:9.1f} ms")

    if _kernels.available():
        with tempfile.TemporaryDirectory() as cache:
            cold = cold_start_seconds(cache)
            warm = cold_start_seconds(cache)
        print(f"{'numba start-up: import + compile, empty cache':<52} {cold:9.2f} s")
        print(f"{'numba start-up: import + load from on-disk cache':<52} {warm:9.2f} s")


if __name__ == "__main__":
    main()
