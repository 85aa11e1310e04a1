"""What-if speed (issue #4 bar: a slider move on a 100,000-borrower book reruns the fragment
in under 300 ms): the work one move does, on a synthetic 100,000 x 23 book, and a real
slider move of the what-if page through AppTest on the bundled sample book.

Run: python benchmarks/bench_whatif.py [--borrowers 100000] [--moves 20]
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

from riskcore import entropy_weights, grey_relational  # noqa: E402
from riskcore.indicators import DEFAULT_INDICATORS  # noqa: E402
from riskcore.whatif import RankBaseline, assign_bands, band_cutoffs, criterion_totals, scenario_weights  # noqa: E402
from riskview.whatif_view import band_figure, borrower_names, criterion_figure, movers_table, top_table  # noqa: E402


def synthetic_book(n: int, seed: int = 3) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    keys = [ind.key for ind in DEFAULT_INDICATORS]
    values = pd.DataFrame(rng.lognormal(0.0, 0.6, size=(n, len(keys))), columns=keys,
                          index=pd.Index([f"B{i:06d}" for i in range(n)], name="borrower_id"))
    directions = pd.Series({ind.key: ind.direction for ind in DEFAULT_INDICATORS})
    criteria = pd.Series({ind.key: ind.criterion for ind in DEFAULT_INDICATORS})
    borrowers = pd.DataFrame({"borrower_name": [f"企业{i}" for i in range(n)]}, index=values.index)
    return values, directions, criteria, borrowers


def one_move(grey, entropy_w, criteria, base_totals, rank_base, cutoffs, base_bands, names, points, top_n, parts):
    """The work of one slider move, as the page's fragment does it; ``parts`` collects the
    seconds of each step."""
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        parts.setdefault(name, []).append(now - clock)
        clock = now

    weights = scenario_weights(entropy_w, criteria, points)
    grades = grey.regrade(weights)
    lap("weights + regrade (xi @ w)")
    comparison = rank_base.compare(grades, top_n=top_n)
    lap("compare with baseline (ranks, Spearman, Kendall, movers)")
    bands = assign_bands(grades, cutoffs)
    top_table(grades, comparison, bands, names, top_n, "zh")
    movers_table(comparison, names, "zh")
    lap("bands + tables")
    criterion_figure(base_totals, criterion_totals(weights, criteria), "zh")
    band_figure(base_bands, bands, "zh")
    lap("two Plotly figures")
    return comparison


def page_move_seconds(moves: int) -> list[float]:
    """A real slider move on the what-if page (sample book, ~10k borrowers) via AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app_pages" / "whatif.py"), default_timeout=120)
    at.session_state["lang"] = "zh"
    at.run()
    seconds = []
    for k in range(moves):
        slider = at.slider(key="whatif_c_credit")
        start = time.perf_counter()
        slider.set_value(20.0 + (k % 10) * 5.0).run()
        seconds.append(time.perf_counter() - start)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=100_000)
    parser.add_argument("--moves", type=int, default=20)
    args = parser.parse_args(argv)
    values, directions, criteria, borrowers = synthetic_book(args.borrowers)
    start = time.perf_counter()
    entropy = entropy_weights(values, directions)
    grey = grey_relational(values, directions, entropy.weights)
    print(f"baseline (entropy + GRA, once per book/ρ): {time.perf_counter() - start:.3f} s "
          f"on {args.borrowers:,} x {values.shape[1]}")
    entropy_w = entropy.weights
    base_totals = criterion_totals(entropy_w, criteria)
    cutoffs = band_cutoffs(grey.grades)
    base_bands = assign_bands(grey.grades, cutoffs)
    names = borrower_names(borrowers)
    rank_base = RankBaseline(grey.grades)
    rng = np.random.default_rng(0)
    seconds: list[float] = []
    parts: dict[str, list[float]] = {}
    for _ in range(args.moves):
        points = {c: float(rng.uniform(1, 100)) for c in base_totals.index}
        start = time.perf_counter()
        one_move(grey, entropy_w, criteria, base_totals, rank_base, cutoffs, base_bands, names, points, 50, parts)
        seconds.append(time.perf_counter() - start)
    print(f"one slider move, riskcore + tables + figures: median {1000 * statistics.median(seconds):.0f} ms, "
          f"max {1000 * max(seconds):.0f} ms over {args.moves} moves   bar < 300 ms")
    for name, laps in parts.items():
        print(f"  {name:<58} median {1000 * statistics.median(laps):6.1f} ms")
    page = page_move_seconds(min(args.moves, 10))
    print(f"what-if page slider move via AppTest (sample book, whole script run): median "
          f"{1000 * statistics.median(page):.0f} ms, max {1000 * max(page):.0f} ms")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
