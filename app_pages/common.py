"""What several pages share: the bundled sample book and its indicator matrices (cached),
and the Plotly chart arguments. Streamlit glue only; the numbers come from riskcore.

The sample book is bundled with the app and identical for every user, so process-wide
caches are safe here; they are keyed on the files' (name, size, mtime), never on a hashed
frame. The book itself (~220k loan rows) is a shared read-only resource: a cache_data copy
would cost a 100 MB pickle round trip per call. Nothing mutates it. Anything derived from
user uploads lives in ``st.session_state`` or a cache with ``scope="session"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pandas as pd
import streamlit as st

from riskcore.indicators import IndicatorMatrix, build_indicator_matrix
from riskcore.sample import SampleBook, load_sample

SAMPLE_DIR: Final = Path(__file__).resolve().parents[1] / "sample_data"
CHART_ARGS: Final[dict[str, Any]] = {
    "theme": None,  # keep the house template's fonts and colours
    "width": "stretch",
    "config": {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}},
}


def sample_fingerprint() -> str:
    """Identity of the bundled sample files: name, size and mtime of each parquet."""
    stats = ((p.name, p.stat()) for p in sorted(SAMPLE_DIR.glob("*.parquet")))
    return ";".join(f"{name}:{st_.st_size}:{st_.st_mtime_ns}" for name, st_ in stats)


@st.cache_resource(show_spinner=False, max_entries=1)
def sample_book(fingerprint: str) -> SampleBook:
    """The bundled sample book, loaded once per process."""
    return load_sample(SAMPLE_DIR)


@st.cache_data(show_spinner=False, max_entries=2)
def sample_choices(fingerprint: str) -> tuple[list[str], dict[str, str]]:
    """Month-end snapshot dates (latest first) and branch id → branch name."""
    loans = sample_book(fingerprint).loans
    dates = sorted({d.strftime("%Y-%m-%d") for d in pd.to_datetime(loans["snapshot_date"].unique())}, reverse=True)
    branches = loans[["branch_id", "branch_name"]].drop_duplicates("branch_id").sort_values("branch_id")
    return dates, dict(zip(branches["branch_id"].astype(str), branches["branch_name"].astype(str), strict=True))


@st.cache_data(show_spinner=False, max_entries=48)
def sample_matrix(fingerprint: str, as_of: str, branches: tuple[str, ...]) -> IndicatorMatrix:
    """The indicator matrix of the sample book at one snapshot for some branches."""
    book = sample_book(fingerprint)
    return build_indicator_matrix(book.loans, book.borrowers, pd.Timestamp(as_of), branches=list(branches))
