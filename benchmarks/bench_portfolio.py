"""Portfolio trends and migrations on a big book: DuckDB aggregates against pandas (issue #5 items 3, 4, 10).

Run: python benchmarks/bench_portfolio.py [--loans 300000] [--months 36] [--branches 40] [--store PATH]
Quick: python benchmarks/bench_portfolio.py --loans 30000 --months 24

Generates a synthetic book (vectorised numpy: loans originated over time, amortising,
some going delinquent with growing DPD, some curing, defaulted loans written off later;
reported class = the 2023 DPD floor with watch-list and better-than-floor exceptions),
``--months`` month-ends × about ``--loans`` live loans, and stores it month by month in a
DuckDB file through ``LedgerStore.add_snapshot`` (one head-office extract per month, the
loans carrying their own branch ids), which writes the per-snapshot aggregates in the same
transaction. Then, in the same run:

* NPL ratio by month × branch and by month × industry section from the aggregates
  (``store.aggregates()`` → ``npl_trend``), and the same from a pandas groupby over every
  loan-month (final class computed with ``riskcore.portfolio.final_class``);
* one migration matrix (a year apart, or first → last month) in DuckDB (on the store and on
  the in-memory frame) and in pandas (merge + crosstab);
* the aggregate build time (``aggregate_book`` over the whole frame) and the load average.

Times are wall-clock seconds on this machine, medians of ``--repeats`` runs for the
queries; the pandas and DuckDB figures are checked to agree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from riskcore.migration import FROM_STATES, TO_STATES, migration_matrix  # noqa: E402
from riskcore.portfolio import final_class  # noqa: E402
from riskcore.store import LedgerStore  # noqa: E402
from riskcore.trends import aggregate_book, npl_trend, yoy_growth  # noqa: E402

_SECTIONS = {  # section: (share of loans, default-rate multiplier, divisions)
    "A": (0.03, 1.1, (1, 2, 3, 5)), "C": (0.28, 1.0, (13, 17, 18, 26, 29, 33, 34, 38, 39)),
    "E": (0.09, 1.4, (47, 48, 50)), "F": (0.30, 1.1, (51, 52)), "G": (0.06, 0.9, (54, 58, 59)),
    "H": (0.07, 1.5, (61, 62)), "I": (0.05, 0.8, (64, 65)), "K": (0.02, 1.8, (70,)),
    "L": (0.06, 1.0, (71, 72)), "M": (0.02, 0.9, (74, 75)), "O": (0.02, 1.1, (80, 81)),
}
_GUARANTEES = (("credit", 0.22, 1.5), ("guarantee", 0.30, 1.1), ("mortgage", 0.33, 0.7), ("pledge", 0.07, 0.8),
               ("mixed", 0.08, 1.0))
_PRODUCTS = ("流动资金贷款", "经营性贷款", "税易贷", "抵押贷", "科创贷", "供应链贷款")


def _strings(values: list[str], index: np.ndarray) -> pd.Series:
    """A pandas ``str`` column of ``values[index]`` built in Arrow (no Python objects per row)."""
    array = pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.array(values)).cast(pa.string())
    return pd.Series(array, dtype="str")


def generate(n_live: int, months: int, n_branches: int, seed: int = 20241231) -> pd.DataFrame:
    """About ``n_live`` live loans at each of ``months`` month-ends ending 2024-12."""
    rng = np.random.default_rng(seed)
    life_lo, life_hi = 6, 48
    span = months + life_hi
    n = int(n_live * span / ((life_lo + life_hi) / 2))
    orig = rng.integers(-life_hi, months, n)  # month index of origination (0 = first month-end)
    life = rng.integers(life_lo, life_hi + 1, n)
    branch = rng.integers(0, n_branches, n)
    sec_names = list(_SECTIONS)
    sec = rng.choice(len(sec_names), n, p=[v[0] for v in _SECTIONS.values()])
    codes = [f"{s}{d:02d}{k}0" for s in sec_names for d in _SECTIONS[s][2] for k in (1, 2)]
    code_start = np.cumsum([0] + [2 * len(_SECTIONS[s][2]) for s in sec_names])
    code = code_start[sec] + (rng.random(n) * (code_start[sec + 1] - code_start[sec])).astype(np.int64)
    guar = rng.choice(len(_GUARANTEES), n, p=[g[1] for g in _GUARANTEES])
    product = rng.integers(0, len(_PRODUCTS), n)
    managers_per_branch = 15
    manager = branch * managers_per_branch + rng.integers(0, managers_per_branch, n)
    region = branch * 3 + rng.choice(3, n, p=[0.7, 0.2, 0.1])
    borrower = (np.arange(n) / 1.3).astype(np.int64)
    rng.shuffle(borrower)
    amount = np.round(np.exp(rng.normal(13.8, 0.8, n)), -4)
    rate = np.round(0.0345 + rng.gamma(2.0, 0.006, n), 4)

    # Delinquency: a monthly hazard by industry, guarantee and vintage; some cure.
    hazard = 0.0021 * np.array([v[1] for v in _SECTIONS.values()])[sec] * np.array([g[2] for g in _GUARANTEES])[guar]
    hazard *= 1 + 0.5 * np.sin((orig + 60) / 7.0)
    default_at = orig + rng.geometric(np.clip(hazard, 1e-5, 0.5))
    defaults = default_at < orig + life
    cured = defaults & (rng.random(n) < 0.45)
    cure_len = rng.integers(1, 4, n)
    write_off = default_at + rng.integers(4, 31, n)
    exit_ = np.where(defaults & ~cured, np.maximum(orig + life, write_off), orig + life)
    dpd_offset = rng.integers(1, 30, n)
    watch = rng.random(n) < 0.03

    first = np.maximum(orig, 0)
    last = np.minimum(exit_, months)
    counts = np.clip(last - first, 0, None)
    loan = np.repeat(np.arange(n), counts)
    t = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(first, counts)

    k = t - default_at[loan]
    late = defaults[loan] & (k >= 0) & (~cured[loan] | (k < cure_len[loan]))
    dpd = np.where(late, 30 * np.maximum(k, 0) + dpd_offset[loan], 0)
    noise = (~late) & (rng.random(loan.size) < 0.01)
    dpd = np.where(noise, rng.integers(1, 16, loan.size), dpd).astype(np.int64)
    floor = 1 + (dpd >= 1) + (dpd > 90) + (dpd > 270) + (dpd > 360)
    reported = np.where(watch[loan] & (floor == 1), 2, floor)
    better = rng.random(loan.size) < 0.01
    reported = np.where(better, np.maximum(reported - 1, 1), reported).astype(np.int64)
    frozen = defaults[loan] & ~cured[loan]
    age = np.where(frozen, np.minimum(t, default_at[loan]), t) - orig[loan]
    balance = np.round(amount[loan] * np.clip(1 - age / life[loan], 0.05, 1.0) ** 0.7, 2)

    month_ends = pd.date_range(end="2024-12-31", periods=months, freq="ME")
    first_month = np.datetime64("2024-12", "M") - (months - 1)
    day = rng.integers(0, 28, n).astype("timedelta64[D]")
    orig_dates = ((first_month + orig).astype("datetime64[D]") + day).astype("datetime64[us]")
    maturity = ((first_month + orig + life).astype("datetime64[D]") + day).astype("datetime64[us]")
    return pd.DataFrame({
        "snapshot_date": month_ends[t].astype("datetime64[us]"),
        "branch_id": _strings([f"B{i + 1:03d}" for i in range(n_branches)], branch[loan]),
        "loan_id": _strings([f"JJ{i:09d}" for i in range(n)], loan),
        "borrower_id": _strings([f"C{i:08d}" for i in range(int(borrower.max()) + 1)], borrower[loan]),
        "industry_code": _strings(codes, code[loan]),
        "region_code": _strings([f"37{2 + i // 60:02d}{(i % 60) + 1:02d}" for i in range(3 * n_branches)],
                                region[loan]),
        "product": _strings(list(_PRODUCTS), product[loan]),
        "loan_amount": amount[loan],
        "balance": balance,
        "origination_date": orig_dates[loan],
        "maturity_date": maturity[loan],
        "interest_rate": rate[loan],
        "guarantee_type": _strings([g[0] for g in _GUARANTEES], guar[loan]),
        "five_class": reported,
        "dpd": dpd,
        "account_manager": _strings([f"M{i:04d}" for i in range(n_branches * managers_per_branch)], manager[loan]),
    })


def timed(fn: Callable[[], Any], repeats: int = 1) -> tuple[Any, float]:
    """(result, median seconds over ``repeats``)."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return result, statistics.median(times)


def pandas_npl(book: pd.DataFrame, by: str) -> pd.DataFrame:
    """NPL balance and ratio by month × ``by`` straight from the loan-months."""
    fin = final_class(book["five_class"], book["dpd"]).to_numpy()
    key = book["industry_code"].str[0] if by == "industry" else book[by]
    frame = pd.DataFrame({"as_of": book["snapshot_date"], "group": key, "balance": book["balance"].to_numpy(),
                          "npl_balance": np.where(fin >= 3, book["balance"].to_numpy(), 0.0)})
    out = frame.groupby(["as_of", "group"], sort=True).sum().reset_index()
    out["npl_ratio"] = out["npl_balance"] / out["balance"]
    return out


def pandas_migration(book: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Loan counts by final class at ``start`` × at ``end`` (new / left), in pandas."""
    cols = ["loan_id", "five_class", "dpd", "balance"]
    a = book.loc[book["snapshot_date"] == start, cols]
    b = book.loc[book["snapshot_date"] == end, cols]
    a = pd.DataFrame({"loan_id": a["loan_id"], "from": final_class(a["five_class"], a["dpd"]).astype("str")})
    b = pd.DataFrame({"loan_id": b["loan_id"], "to": final_class(b["five_class"], b["dpd"]).astype("str")})
    both = a.merge(b, on="loan_id", how="outer")
    both["from"] = both["from"].fillna("new")
    both["to"] = both["to"].fillna("left")
    table = pd.crosstab(both["from"], both["to"])
    return table.reindex(index=list(FROM_STATES), columns=list(TO_STATES), fill_value=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=300_000, help="live loans per month-end (about)")
    parser.add_argument("--months", type=int, default=36, help="month-ends, ending 2024-12")
    parser.add_argument("--branches", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5, help="runs per query timing (median)")
    parser.add_argument("--store", type=Path, default=None, help="DuckDB file (default: a temporary one)")
    args = parser.parse_args(argv)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (cores: {os.cpu_count()})")

    book, seconds = timed(lambda: generate(args.loans, args.months, args.branches))
    per_month = book.groupby("snapshot_date").size()
    print(f"generated {len(book):,} loan-months ({args.months} month-ends × {per_month.mean():,.0f} loans, "
          f"{book['loan_id'].nunique():,} loans, {args.branches} branches) in {seconds:.1f} s; "
          f"{book.memory_usage(deep=True).sum() / 2**30:.2f} GiB in pandas")

    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or Path(tmp) / "bench.duckdb"
        if path.exists():
            path.unlink()
        store = LedgerStore(path)
        started = time.perf_counter()
        import_times = []
        for when, part in book.groupby("snapshot_date", sort=True):
            f = store.put_file(f"synthetic head-office extract {when:%Y-%m}".encode(), f"HQ_{when:%Y-%m}.csv")
            t0 = time.perf_counter()
            store.add_snapshot(f.sha256, "HQ", when, part.reset_index(drop=True))
            import_times.append(time.perf_counter() - t0)
        total_import = time.perf_counter() - started
        print(f"\nstore import (add_snapshot: loans + aggregates, one transaction per month): {total_import:.1f} s "
              f"({statistics.median(import_times):.2f} s per month of {per_month.mean():,.0f} loans); "
              f"file {path.stat().st_size / 2**20:,.0f} MiB")

        agg, read_s = timed(store.aggregates, args.repeats)
        print(f"store.aggregates(): {len(agg.frame):,} aggregate rows read in {read_s * 1000:.0f} ms")
        _, build_s = timed(lambda: aggregate_book(book))
        print(f"aggregate build, in-memory (aggregate_book over all {len(book):,} loan-months): {build_s:.2f} s")

        print("\n== NPL ratio by month × branch and by month × industry section")
        for by in ("branch_id", "industry"):
            duck, duck_s = timed(lambda by=by: npl_trend(agg, by), args.repeats)
            pand, pand_s = timed(lambda by=by: pandas_npl(book, by))
            merged = duck.merge(pand, on=["as_of", "group"], suffixes=("", "_pd"))
            assert len(merged) == len(duck) == len(pand), (len(duck), len(pand))
            diff = float(np.max(np.abs(merged["npl_ratio"].to_numpy(dtype=float) - merged["npl_ratio_pd"])))
            print(f"{by}: aggregates → npl_trend {duck_s * 1000:.0f} ms ({len(duck):,} rows); "
                  f"pandas groupby over the loan-months {pand_s:.2f} s; "
                  f"speed-up ×{pand_s / duck_s:,.0f}; max |ratio difference| {diff:.1e}")
            pivot = duck.pivot(index="as_of", columns="group", values="npl_ratio").astype("float64")
            shown = pivot.iloc[-4:, :8] * 100
            shown.index = shown.index.strftime("%Y-%m")
            print(shown.round(2).to_string(), "\n")
        _, book_s = timed(lambda: npl_trend(agg), args.repeats)
        yoy, yoy_s = timed(lambda: yoy_growth(agg), args.repeats)
        last = yoy.iloc[-1]
        print(f"book NPL trend {book_s * 1000:.0f} ms; yoy_growth {yoy_s * 1000:.0f} ms "
              f"(latest: loans {last['loan_growth']:+.2%}, NPL {last['npl_growth']:+.2%})")

        dates = sorted(book["snapshot_date"].unique())
        start, end = pd.Timestamp(dates[-13] if len(dates) > 12 else dates[0]), pd.Timestamp(dates[-1])
        print(f"\n== migration {start:%Y-%m} → {end:%Y-%m} (loans)")
        on_store, store_s = timed(lambda: store.migration(start, end), args.repeats)
        in_memory, memory_s = timed(lambda: migration_matrix(book, start, end), args.repeats)
        pand, pand_s = timed(lambda: pandas_migration(book, start, end))
        assert (on_store.counts.to_numpy() == pand.to_numpy()).all()
        assert (in_memory.counts.to_numpy() == pand.to_numpy()).all()
        print(f"DuckDB on the store {store_s:.2f} s; DuckDB on the frame {memory_s:.2f} s "
              f"(two snapshots of {per_month.loc[start]:,} and {per_month.loc[end]:,} loans); "
              f"pandas merge + crosstab {pand_s:.2f} s; the three agree")
        print(on_store.counts.to_string())
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
