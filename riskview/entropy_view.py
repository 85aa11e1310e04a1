"""Tables and texts of the entropy page: weights, entropies and their path over time as the
analyst reads them, in Chinese or English.

Pure pandas (no Streamlit): every table and sentence the page shows is unit-tested here.
Numbers stay numeric (the grid sorts them); headers and codes are translated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import pandas as pd

from riskcore.weights.entropy import EntropyOverTime, EntropyResult
from riskview.i18n import code_label, criterion_label, indicator_label, join_list, t

__all__ = [
    "ENTROPY_COLUMNS",
    "DRIFT_COLUMNS",
    "entropy_table",
    "zero_weight_notes",
    "highlighted",
    "constant_over_time_note",
    "drift_table",
    "snapshot_label",
    "top_indicator",
    "criterion_keys",
]

#: Columns of :func:`entropy_table`, in display order, with the message id of each header.
ENTROPY_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("rank", "entropy.col.rank"),
    ("indicator", "entropy.col.indicator"),
    ("criterion", "entropy.col.criterion"),
    ("direction", "entropy.col.direction"),
    ("weight", "entropy.col.weight"),
    ("entropy", "entropy.col.entropy"),
    ("divergence", "entropy.col.divergence"),
    ("imputed", "entropy.col.imputed"),
    ("policy", "entropy.col.policy"),
)
#: Columns of :func:`drift_table` (headers of the dated columns carry the date).
DRIFT_COLUMNS: Final[tuple[str, ...]] = (
    "indicator", "criterion", "start", "end", "change", "start_rank", "end_rank",
)


def snapshot_label(snapshot: object) -> str:
    """A snapshot date as the page shows it: ``2024-12-31``."""
    return str(pd.Timestamp(snapshot).strftime("%Y-%m-%d"))


def _criterion(criteria: pd.Series, key: object, lang: str) -> str:
    code = criteria.get(key)
    return criterion_label(str(code), lang) if isinstance(code, str) and code else "—"


def entropy_table(
    result: EntropyResult,
    criteria: pd.Series,
    directions: pd.Series,
    missing: pd.Series,
    policy: str | pd.Series,
    lang: str,
) -> pd.DataFrame:
    """One row per indicator: label, criterion, direction, weight, e, d, rank, imputed cells.

    Parameters
    ----------
    result
        ``entropy_weights`` of the matrix.
    criteria, directions, missing
        ``IndicatorMatrix.criteria``, ``.directions`` and ``.missing`` (indicator key →
        criterion, "benefit"/"cost", number of imputed borrowers).
    policy
        ``IndicatorMatrix.policies`` (indicator key → policy) or one policy for all: named
        in the policy column of indicators with missing values
        (``entropy.policy.<policy>``), "none missing" elsewhere.

    Returns
    -------
    DataFrame
        Heaviest first; rank 1 = heaviest (equal weights share the better rank).
        Weight in percent (so the grid shows 25.11 for every row alike), entropy and
        divergence as fractions, all unrounded; no NaN (a constant indicator has
        weight 0, entropy 1 and divergence 0 by definition).
    """
    keys = list(result.weights.index)
    weights = result.weights.astype("float64")
    rank = weights.rank(ascending=False, method="min").astype("int64")
    policies = policy if isinstance(policy, pd.Series) else pd.Series(policy, index=keys, dtype="str")
    imputed = missing.reindex(keys).fillna(0).astype("int64")
    columns = {
        "rank": rank.to_numpy(),
        "indicator": [indicator_label(str(k), lang) for k in keys],
        "criterion": [_criterion(criteria, k, lang) for k in keys],
        "direction": [
            t(f"entropy.dir.{directions.get(k)}", lang) if directions.get(k) in ("benefit", "cost") else "—"
            for k in keys
        ],
        "weight": weights.to_numpy() * 100.0,
        "entropy": result.entropy.astype("float64").to_numpy(),
        "divergence": result.divergence.astype("float64").to_numpy(),
        "imputed": imputed.to_numpy(),
        "policy": [code_label("entropy.policy", str(policies.get(k, "industry_median")), lang) if n > 0
                   else t("entropy.policy.none", lang) for k, n in zip(keys, imputed, strict=True)],
    }
    out = pd.DataFrame({t(message, lang): columns[column] for column, message in ENTROPY_COLUMNS})
    order = np.argsort(rank.to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def _format_value(value: float) -> str:
    return f"{value:,.4g}"


def zero_weight_notes(
    result: EntropyResult, values: pd.DataFrame, missing: pd.Series, lang: str
) -> list[str]:
    """Why each zero-weight indicator got weight 0, one sentence each, heaviest criterion order.

    An indicator is *empty* when no borrower had a value (all imputed, so the column is
    the fill value everywhere) and *constant* when every borrower has the same value.
    Either way e = 1, d = 0 and the weight is 0. Empty list when no indicator is constant.
    """
    n = int(result.n_rows)
    notes = []
    for key in result.constant_columns:
        name = indicator_label(str(key), lang)
        k_missing = int(missing.get(key, 0))
        column = values[key] if key in values.columns else pd.Series(dtype="float64")
        value = float(column.iloc[0]) if len(column) else 0.0
        if k_missing >= n:
            notes.append(t("entropy.zero.empty", lang, name=name, n=n, value=_format_value(value)))
        elif k_missing > 0:
            notes.append(
                t("entropy.zero.constant_imputed", lang, name=name, n=n, value=_format_value(value), k=k_missing)
            )
        else:
            notes.append(t("entropy.zero.constant", lang, name=name, n=n, value=_format_value(value)))
    return notes


def highlighted(path: EntropyOverTime, k: int, extra: Iterable[str] = ()) -> list[str]:
    """Indicators drawn in colour on the over-time chart: the ``k`` heaviest at the last
    snapshot (ties: indicator order), then ``extra`` in the order given, no repeats."""
    last = path.weights.iloc[-1]
    order = np.argsort(-last.to_numpy(), kind="stable")
    top = [str(last.index[i]) for i in order[: max(int(k), 0)]]
    more = [str(key) for key in extra if str(key) in set(map(str, path.weights.columns))]
    return list(dict.fromkeys(top + more))


def constant_over_time_note(path: EntropyOverTime, lang: str) -> str | None:
    """Which indicators were constant (weight 0) at some snapshots, with how many; None if none."""
    counts = path.constant.sum(axis=0)
    counts = counts[counts > 0]
    if counts.empty:
        return None
    total = len(path.constant)
    items = join_list(
        (t("entropy.time.constant_item", lang, name=indicator_label(str(key), lang), k=int(c), n=total)
         for key, c in counts.items()),
        lang,
    )
    return t("entropy.time.constant", lang, items=items)


def drift_table(
    path: EntropyOverTime, criteria: pd.Series, lang: str, *, top: int | None = 8
) -> pd.DataFrame:
    """The indicators whose weight moved most between the first and last snapshot.

    Columns: indicator, criterion, weight (%) at the first and at the last snapshot
    (headers carry the dates), change in percentage points, rank at each end. Sorted by the size
    of the change, largest first; ``top`` rows (None: all).
    """
    drift = path.drift()
    if top is not None:
        drift = drift.head(top)
    start, end = snapshot_label(path.weights.index[0]), snapshot_label(path.weights.index[-1])
    headers = {
        "indicator": t("entropy.col.indicator", lang),
        "criterion": t("entropy.col.criterion", lang),
        "start": t("entropy.col.weight_at", lang, date=start),
        "end": t("entropy.col.weight_at", lang, date=end),
        "change": t("entropy.col.change", lang),
        "start_rank": t("entropy.col.rank_at", lang, date=start),
        "end_rank": t("entropy.col.rank_at", lang, date=end),
    }
    keys = list(drift.index)
    columns = {
        "indicator": [indicator_label(str(k), lang) for k in keys],
        "criterion": [_criterion(criteria, k, lang) for k in keys],
        "start": drift["start"].to_numpy() * 100.0,
        "end": drift["end"].to_numpy() * 100.0,
        "change": drift["change"].to_numpy() * 100.0,
        "start_rank": drift["start_rank"].to_numpy(),
        "end_rank": drift["end_rank"].to_numpy(),
    }
    return pd.DataFrame({headers[c]: columns[c] for c in DRIFT_COLUMNS})


def top_indicator(result: EntropyResult) -> tuple[str, float]:
    """The heaviest indicator and its weight (first in indicator order on a tie)."""
    weights = result.weights.astype("float64")
    key = weights.index[int(np.argmax(weights.to_numpy()))]
    return str(key), float(weights[key])


def criterion_keys(criteria: pd.Series, columns: Sequence[object]) -> pd.Series:
    """Criterion per indicator for ``EntropyOverTime.totals``: unknown ones grouped as "—"."""
    return pd.Series([str(criteria.get(k, "—")) for k in columns], index=list(columns))
