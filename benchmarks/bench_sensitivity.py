"""Weight-sensitivity speed (issue #6 item 3 bar: 1,000 Dirichlet weight draws on a
100,000 x 20 book with top-N membership probabilities in under 1 s on 2 cores).

The xi matrix is built once (grey_relational on random lognormal data, not timed); each
run is a whole ``weight_monte_carlo`` call (draws, thresholds, the streaming kernel, ranks,
rank intervals and the Spearman summary). The first call, which may compile or load the
numba kernel, is a warm-up and not counted.

Run: python benchmarks/bench_sensitivity.py [--borrowers 100000] [--indicators 20] [--draws 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from riskcore import grey_relational  # noqa: E402
from riskcore.sensitivity import tornado, weight_monte_carlo  # noqa: E402

BAR_SECONDS = 1.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=100_000)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--top-n", type=int, default=50)
    parser.add_argument("--concentration", type=float, default=200.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(3)
    start = time.perf_counter()
    values = pd.DataFrame(rng.lognormal(0.0, 0.6, size=(args.borrowers, args.indicators)),
                          columns=[f"x{j:02d}" for j in range(args.indicators)])
    grey = grey_relational(values, "benefit", "entropy")
    print(f"build xi (not timed): {time.perf_counter() - start:.3f} s on {args.borrowers:,} x {args.indicators}")

    start = time.perf_counter()
    weight_monte_carlo(grey, grey.weights, draws=args.draws, concentration=args.concentration,
                       top_n=args.top_n, seed=99)
    print(f"warm-up (numba compile or cache load): {time.perf_counter() - start:.3f} s")

    seconds = []
    for run in range(args.runs):
        start = time.perf_counter()
        res = weight_monte_carlo(grey, grey.weights, draws=args.draws, concentration=args.concentration,
                                 top_n=args.top_n, seed=run)
        seconds.append(time.perf_counter() - start)
    med = statistics.median(seconds)
    print(f"weight_monte_carlo, {args.draws:,} draws, top {args.top_n}: median {med:.3f} s over {args.runs} runs "
          f"(min {min(seconds):.3f}, max {max(seconds):.3f})   bar < {BAR_SECONDS:.1f} s: "
          f"{'PASS' if med < BAR_SECONDS else 'FAIL'}")
    print(f"  mean Spearman {res.mean_spearman:.4f}, base top-{res.top_n} retention {res.top_retention:.3f}, "
          f"borrowers ever in the top {res.top_n}: {int((res.top_probability > 0).sum())}, "
          f"rank depth {res.rank_depth}")

    start = time.perf_counter()
    tornado(grey, grey.weights, top_n=args.top_n)
    print(f"tornado (+-10 %, {2 * args.indicators} full re-rankings): {time.perf_counter() - start:.3f} s")
    print(f"load average: {os.getloadavg()[0]:.2f} (cpu count {os.cpu_count()})")


if __name__ == "__main__":
    main()
