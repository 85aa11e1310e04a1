"""AUC with a DeLong CI and with a bootstrap CI on a big book (issue #6 item 10, AUC part).

Run: python benchmarks/bench_validation.py [--borrowers 100000] [--resamples 1000] [--default-rate 0.03]

Generates ``--borrowers`` borrowers with a 0/1 default flag and a grade-like score rounded to
4 decimals (so there are ties, as with real GRA grades), then times, as medians of
``--repeats`` runs:

* ``auc`` (Mann–Whitney midranks, O(n log n));
* ``auc_ci(method="delong")`` (fast DeLong, Sun & Xu 2014: three midrank passes);
* ``auc_ci(method="bootstrap", resamples=...)`` (stratified; one multinomial draw over the
  distinct score values per resample, no re-sorting);
  The bootstrap cost grows with the number of distinct grades (``--decimals 12``: no ties);
* a naive bootstrap for a few resamples (resample rows, re-rank), extrapolated to
  ``--resamples``, to show what the multinomial shortcut saves.

Prints wall-clock seconds and the 1/5/15-minute load average (2 shared cores: other jobs
running at the same time inflate the figures).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from riskcore.validation import _auc_mw, auc, auc_ci


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--borrowers", type=int, default=100_000)
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--default-rate", type=float, default=0.03)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--naive", type=int, default=20, help="naive bootstrap resamples to time")
    ap.add_argument("--decimals", type=int, default=4,
                    help="round the grade to this many decimals (more = fewer ties, slower bootstrap)")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    n = args.borrowers
    y = (rng.uniform(size=n) < args.default_rate).astype(np.int64)
    grade = np.round(0.6 - 0.05 * y + rng.normal(scale=0.08, size=n), args.decimals)  # higher = safer
    print(f"{n:,} borrowers, {int(y.sum()):,} defaults, {np.unique(grade).size:,} distinct grades; "
          f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    t_auc, a = timed(lambda: auc(grade, y, higher_is_riskier=False), args.repeats)
    print(f"  auc                          {t_auc:8.3f} s   AUC {a:.4f}")
    t_del, ci = timed(lambda: auc_ci(grade, y, higher_is_riskier=False), args.repeats)
    print(f"  auc_ci delong                {t_del:8.3f} s   [{ci.low:.4f}, {ci.high:.4f}] se {ci.std_error:.5f}")
    t_boot, cb = timed(lambda: auc_ci(grade, y, higher_is_riskier=False, method="bootstrap",
                                      resamples=args.resamples, seed=1), args.repeats)
    print(f"  auc_ci bootstrap ({args.resamples:,})    {t_boot:8.3f} s   [{cb.low:.4f}, {cb.high:.4f}] "
          f"sd {cb.std_error:.5f}")

    risk, flag = -grade.astype(np.float64), y.astype(bool)
    d, nd = np.flatnonzero(flag), np.flatnonzero(~flag)

    def naive() -> float:
        for _ in range(args.naive):
            idx = np.concatenate([rng.choice(d, d.size), rng.choice(nd, nd.size)])
            _auc_mw(risk[idx], flag[idx])
        return 0.0

    t_naive, _ = timed(naive, 1)
    print(f"  naive bootstrap (re-rank)    {t_naive / args.naive * args.resamples:8.3f} s   "
          f"(extrapolated from {args.naive} resamples)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
