"""Entropy weights per snapshot (dynamic evaluation): riskcore.entropy_over_time."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from riskcore import EntropyOverTime, entropy_over_time, entropy_weights

LN2, LN3 = math.log(2), math.log(3)
DIRECTIONS = {"a": "benefit", "b": "benefit"}


@dataclass(frozen=True)
class Snapshot:
    """Stands in for riskcore.indicators.IndicatorMatrix (values, directions, as_of)."""

    values: pd.DataFrame
    directions: pd.Series
    as_of: pd.Timestamp


def toy_book() -> dict[pd.Timestamp, pd.DataFrame]:
    """Three month-ends whose weights are worked out by hand in ``hand_weights``."""
    return {
        # a: z = [0, 0, 1] -> p = [0, 0, 1] -> e = 0.
        # b: z = [0, 1, 1] -> p = [0, 1/2, 1/2] -> e = ln 2 / ln 3.
        pd.Timestamp("2024-01-31"): pd.DataFrame({"a": [0.0, 0.0, 1.0], "b": [0.0, 1.0, 1.0]}, index=["x", "y", "z"]),
        # a constant -> e = 1, w = 0; b: p = [0, 1/3, 2/3] -> the only weight, 1.
        pd.Timestamp("2024-02-29"): pd.DataFrame({"a": [5.0, 5.0, 5.0], "b": [0.0, 1.0, 2.0]}, index=["x", "y", "z"]),
        # four borrowers; a and b give the same z = [1, 1/2, 0, 0] -> equal weights 1/2.
        pd.Timestamp("2024-03-31"): pd.DataFrame(
            {"a": [1.0, 2.0, 3.0, 3.0], "b": [3.0, 2.0, 1.0, 1.0]}, index=["x", "y", "z", "w"]
        ),
    }


def toy_directions() -> dict[pd.Timestamp, dict[str, str]]:
    book = toy_book()
    dates = sorted(book)
    return {dates[0]: DIRECTIONS, dates[1]: DIRECTIONS, dates[2]: {"a": "cost", "b": "benefit"}}


def hand_weights() -> pd.DataFrame:
    d_jan = np.array([1.0, 1.0 - LN2 / LN3])
    return pd.DataFrame(
        [d_jan / d_jan.sum(), [0.0, 1.0], [0.5, 0.5]],
        index=pd.Index(sorted(toy_book()), name="snapshot"),
        columns=pd.Index(["a", "b"], name="indicator"),
    )


def toy_snapshots() -> list[Snapshot]:
    dirs = toy_directions()
    # Indicator directions must agree across snapshots: keep a as benefit in March by
    # negating it (cost on x == benefit on -x gives the same z).
    out = []
    for date, frame in toy_book().items():
        values = frame.copy()
        if dirs[date]["a"] == "cost":
            values["a"] = -values["a"]
        out.append(Snapshot(values, pd.Series(DIRECTIONS), date))
    return out


def test_weights_by_snapshot_equal_the_hand_computation() -> None:
    path = entropy_over_time(toy_snapshots())
    assert isinstance(path, EntropyOverTime)
    pd.testing.assert_frame_equal(path.weights, hand_weights(), check_exact=False, atol=1e-15, rtol=0)
    # Entropies by hand: Jan (0, ln2/ln3), Feb (1 constant, H(1/3, 2/3)/ln 3), Mar equal.
    h = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / LN3
    assert path.entropy.iloc[0].tolist() == pytest.approx([0.0, LN2 / LN3], abs=1e-15)
    assert path.entropy.iloc[1].tolist() == pytest.approx([1.0, h], abs=1e-15)
    assert path.entropy.iloc[2, 0] == pytest.approx(path.entropy.iloc[2, 1], abs=1e-15)
    assert (path.divergence == 1.0 - path.entropy).all().all()
    assert path.constant.to_numpy().tolist() == [[False, False], [True, False], [False, False]]
    assert path.n_rows.tolist() == [3, 3, 4]
    assert path.method == "minmax"


def test_each_snapshot_sums_to_one_and_nothing_is_nan() -> None:
    path = entropy_over_time(toy_snapshots())
    assert path.weights.sum(axis=1).to_numpy() == pytest.approx([1.0, 1.0, 1.0], abs=1e-15)
    for frame in (path.weights, path.entropy, path.divergence):
        assert np.isfinite(frame.to_numpy()).all()
        assert (frame.to_numpy() >= 0).all()


def test_mapping_of_frames_with_fixed_directions_equals_entropy_weights() -> None:
    book = toy_book()
    path = entropy_over_time(book, DIRECTIONS)
    for date, frame in book.items():
        expected = entropy_weights(frame, DIRECTIONS).weights
        assert path.weights.loc[date].tolist() == pytest.approx(expected.tolist(), abs=1e-15)


def test_snapshots_come_out_sorted_whatever_the_input_order() -> None:
    forward = entropy_over_time(toy_snapshots())
    backward = entropy_over_time(list(reversed(toy_snapshots())))
    pd.testing.assert_frame_equal(forward.weights, backward.weights)
    assert list(forward.weights.index) == sorted(toy_book())


def test_row_order_and_column_order_do_not_change_the_weights() -> None:
    rng = np.random.default_rng(7)
    shuffled = [
        Snapshot(s.values.iloc[rng.permutation(len(s.values))][["b", "a"]], s.directions, s.as_of)
        for s in toy_snapshots()
    ]
    original = entropy_over_time(toy_snapshots())
    permuted = entropy_over_time(shuffled)
    # Columns follow the first snapshot's order; reorder to compare.
    pd.testing.assert_frame_equal(
        permuted.weights[["a", "b"]], original.weights, check_exact=False, atol=1e-15, rtol=0
    )


def test_drift_between_first_and_last_snapshot() -> None:
    path = entropy_over_time(toy_snapshots())
    drift = path.drift()
    w = hand_weights()
    assert list(drift.columns) == ["start", "end", "change", "start_rank", "end_rank"]
    assert drift.loc["a", "change"] == pytest.approx(0.5 - w.iloc[0, 0], abs=1e-15)
    assert drift.loc["b", "change"] == pytest.approx(0.5 - w.iloc[0, 1], abs=1e-15)
    # |change| is the same for both (weights sum to 1): indicator order breaks the tie.
    assert list(drift.index) == ["a", "b"]
    assert drift["start_rank"].tolist() == [1, 2]
    assert drift["end_rank"].tolist() == [1, 1]  # a tie shares rank 1
    feb = path.drift(end=pd.Timestamp("2024-02-29"))
    assert list(feb.index) == ["a", "b"] and feb.loc["a", "end"] == 0.0 and feb.loc["a", "end_rank"] == 2
    with pytest.raises(KeyError, match="is not a snapshot"):
        path.drift(start=pd.Timestamp("2023-12-31"))


def test_totals_by_criterion() -> None:
    snaps = [
        Snapshot(pd.DataFrame({"a": [0.0, 1.0, 3.0], "b": [1.0, 0.0, 0.0], "c": [2.0, 2.0, 0.0]}),
                 pd.Series({"a": "benefit", "b": "cost", "c": "benefit"}), pd.Timestamp("2024-01-31")),
        Snapshot(pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 1.0, 0.0], "c": [2.0, 0.0, 0.0]}),
                 pd.Series({"a": "benefit", "b": "cost", "c": "benefit"}), pd.Timestamp("2024-02-29")),
    ]
    path = entropy_over_time(snaps)
    totals = path.totals({"a": "credit", "b": "financial", "c": "credit"})
    assert list(totals.columns) == ["credit", "financial"]
    assert totals["credit"].tolist() == pytest.approx((path.weights["a"] + path.weights["c"]).tolist(), abs=1e-15)
    assert totals.sum(axis=1).to_numpy() == pytest.approx([1.0, 1.0], abs=1e-15)
    with pytest.raises(ValueError, match=r"no group for the indicators \['c'\]"):
        path.totals({"a": "credit", "b": "financial"})


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="is empty"):
        entropy_over_time([])
    book = toy_book()
    with pytest.raises(ValueError, match="give `directions`"):
        entropy_over_time(book)
    odd = dict(book)
    odd[pd.Timestamp("2024-04-30")] = pd.DataFrame({"a": [1.0, 2.0], "c": [1.0, 3.0]})
    with pytest.raises(ValueError, match=r"other indicators than the first snapshot; missing: \['b'\], extra: \['c'\]"):
        entropy_over_time(odd, DIRECTIONS)
    flat = {pd.Timestamp("2024-05-31"): pd.DataFrame({"a": [1.0, 1.0], "b": [2.0, 2.0]})}
    with pytest.raises(ValueError, match=r"snapshot Timestamp\('2024-05-31 00:00:00'\): every column"):
        entropy_over_time(flat, DIRECTIONS)
    snaps = toy_snapshots()
    flipped = Snapshot(snaps[1].values, pd.Series({"a": "cost", "b": "benefit"}), snaps[1].as_of)
    with pytest.raises(ValueError, match=r"other directions than the earlier snapshots for \['a'\]"):
        entropy_over_time([snaps[0], flipped])
    with pytest.raises(ValueError, match="appears twice"):
        entropy_over_time([snaps[0], snaps[0]])


def test_a_generator_is_consumed_once() -> None:
    consumed = []

    def stream():
        for snap in toy_snapshots():
            consumed.append(snap.as_of)
            yield snap

    path = entropy_over_time(stream())
    assert consumed == sorted(toy_book()) and len(path.weights) == 3
