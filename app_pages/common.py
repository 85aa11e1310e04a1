"""What several pages share: the book being analysed (the bundled sample or the session's
own uploaded ledgers), its indicator matrices (cached), and the Plotly chart arguments.
Streamlit glue only; the numbers come from riskcore.

Every page names the book by a key from :func:`current_book_key`: ``sample|…`` for the
bundled sample under the default indicator system, ``session|…`` for anything of the
session's own (its uploaded book, or its own indicator system). Functions wrapped by
:func:`book_cache` keep ``sample|`` results in a process-wide cache and ``session|`` ones
in a cache of that browser session only (``scope="session"``).

The sample book is bundled with the app and identical for every user, so process-wide
caches are safe here; they are keyed on the files' (name, size, mtime), never on a hashed
frame. The book itself (~220k loan rows) is a shared read-only resource: a cache_data copy
would cost a 100 MB pickle round trip per call. Nothing mutates it. Anything derived from
user uploads lives in ``st.session_state`` or a cache with ``scope="session"``.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pandas as pd
import streamlit as st

from riskcore.book import LoanBook, book_choices as _book_choices
from riskcore.indicators import IndicatorMatrix, build_indicator_matrix
from riskcore.sample import SampleBook, load_sample
from riskcore.system import IndicatorSystem, default_system
from riskcore.system import to_json as system_to_json
from riskcore.weights.entropy import EntropyOverTime, entropy_over_time
from riskview.i18n import join_list, t

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


SAMPLE_SCOPE: Final = "sample"
SESSION_SCOPE: Final = "session"
WORKING_BOOK: Final = "working_book"  # st.session_state key of the session's LoanBook
BOOK_SOURCE: Final = "book_source"  # "mine" (the working book) or "sample"
SYSTEM: Final = "indicator_system"  # st.session_state key of the IndicatorSystem in use
DEFAULT_SYSTEM_ID: Final = "default"


@functools.lru_cache(maxsize=1)
def _default_system_json() -> str:
    return system_to_json(default_system())


def active_system() -> IndicatorSystem:
    """The indicator system this session uses: its own (indicator system page) or the default."""
    system: IndicatorSystem | None = st.session_state.get(SYSTEM)
    return system if system is not None else default_system()


def system_id(system: IndicatorSystem) -> str:
    """``default`` for the default system, else a hash of the system's JSON."""
    text = system_to_json(system)
    return DEFAULT_SYSTEM_ID if text == _default_system_json() else hashlib.sha256(text.encode()).hexdigest()[:12]


def current_book_key() -> str:
    """Key ``scope|book|system`` of what this session analyses: its uploaded book when it
    has one and has not switched back to the sample (else the bundled sample), under its
    indicator system. Only the sample under the default system is ``sample`` scope."""
    working: LoanBook | None = st.session_state.get(WORKING_BOOK)
    sys_id = system_id(active_system())
    if working is not None and st.session_state.get(BOOK_SOURCE, "mine") == "mine":
        return f"{SESSION_SCOPE}|{working.key}|{sys_id}"
    scope = SAMPLE_SCOPE if sys_id == DEFAULT_SYSTEM_ID else SESSION_SCOPE
    return f"{scope}|sample:{sample_fingerprint()}|{sys_id}"


def is_sample(key: str) -> bool:
    """True for the bundled sample under the default system (shared, process-wide caches)."""
    return key.startswith(SAMPLE_SCOPE + "|")


def widget_key(base: str, book_key: str) -> str:
    """A widget key per book: a session book's branches and dates differ from the sample's,
    so its selections must not inherit the sample's widget state (or the reverse)."""
    book_id = book_key.split("|")[1]
    return base if book_id.startswith("sample:") else f"{base}@{book_id}"


def book_source_caption(key: str, lang: str) -> str:
    """"Data: …" naming the book a page shows."""
    book = book_data(key)
    if isinstance(book, LoanBook):
        return t("book.source.mine", lang, files=join_list(book.sources, lang))
    return t("rank.source", lang)


def book_data(key: str) -> SampleBook | LoanBook:
    """The loans and borrowers behind a book key.

    Raises
    ------
    LookupError
        A session key that is not this session's current working book (it was replaced).
    """
    book_id = key.split("|")[1]
    if book_id.startswith("sample:"):
        return sample_book(book_id.split(":", 1)[1])
    working: LoanBook | None = st.session_state.get(WORKING_BOOK)
    if working is None or book_id != working.key:
        raise LookupError(f"book {key} is not this session's book")
    return working


def book_system(key: str) -> IndicatorSystem | None:
    """The indicator system behind a book key: None for the default (the built-in path).

    Raises
    ------
    LookupError
        The key names a system that is not this session's current one.
    """
    sys_id = key.rsplit("|", 1)[1]
    if sys_id == DEFAULT_SYSTEM_ID:
        return None
    system = active_system()
    if system_id(system) != sys_id:
        raise LookupError(f"indicator system {sys_id} is not this session's system")
    return system


def book_cache(max_entries: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``st.cache_data`` for functions whose first argument is a book key: results for the
    bundled sample are shared by every session, results for a session's own book stay in
    that session (``scope="session"``), so no upload reaches another browser session."""

    def wrap(function: Callable[..., Any]) -> Callable[..., Any]:
        shared = st.cache_data(show_spinner=False, max_entries=max_entries)(function)
        private = st.cache_data(show_spinner=False, max_entries=max_entries, scope="session")(function)

        @functools.wraps(function)
        def call(key: str, *args: Any, **kwargs: Any) -> Any:
            return (shared if is_sample(key) else private)(key, *args, **kwargs)

        return call

    return wrap


@book_cache(max_entries=4)
def book_choices(key: str) -> tuple[list[str], dict[str, str]]:
    """Snapshot dates (latest first) and branch id → branch name of a book."""
    return _book_choices(book_data(key).loans)


@book_cache(max_entries=48)
def book_matrix(key: str, as_of: str, branches: tuple[str, ...]) -> IndicatorMatrix:
    """The indicator matrix of a book at one snapshot for some branches."""
    book = book_data(key)
    return build_indicator_matrix(book.loans, book.borrowers, pd.Timestamp(as_of), branches=list(branches),
                                  system=book_system(key))


class _OverTimeStore:
    """Process-wide results of ``sample_weights_over_time``: (fingerprint, branches) →
    (weights over time, seconds it took). Bundled sample only, never user data; LRU-bounded.
    One lock per key, so two sessions asking for the same branches compute it once."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.lock = threading.Lock()
        self.results: OrderedDict[tuple[str, tuple[str, ...]], tuple[EntropyOverTime, float]] = OrderedDict()
        self.key_locks: dict[tuple[str, tuple[str, ...]], threading.Lock] = {}

    def get(self, key: tuple[str, tuple[str, ...]]) -> tuple[EntropyOverTime, float] | None:
        with self.lock:
            hit = self.results.get(key)
            if hit is not None:
                self.results.move_to_end(key)
            return hit

    def put(self, key: tuple[str, tuple[str, ...]], value: tuple[EntropyOverTime, float]) -> None:
        with self.lock:
            self.results[key] = value
            self.results.move_to_end(key)
            while len(self.results) > self.max_entries:
                self.results.popitem(last=False)

    def key_lock(self, key: tuple[str, tuple[str, ...]]) -> threading.Lock:
        with self.lock:
            return self.key_locks.setdefault(key, threading.Lock())


@st.cache_resource(show_spinner=False)
def _over_time_store() -> _OverTimeStore:
    return _OverTimeStore(max_entries=16)


def book_weights_over_time(
    key: str,
    branches: tuple[str, ...],
    on_progress: Callable[[int, int, pd.Timestamp], None] | None = None,
) -> tuple[EntropyOverTime, float]:
    """Entropy weights at every snapshot of a book for some branches, and the seconds the
    first computation took: process-wide for the bundled sample
    (:func:`sample_weights_over_time`), in ``st.session_state`` for a session's own book."""
    if is_sample(key):
        return sample_weights_over_time(key.split("|")[1].split(":", 1)[1], branches, on_progress)
    memo: dict[tuple[str, tuple[str, ...]], tuple[EntropyOverTime, float]] = st.session_state.setdefault(
        "_weights_over_time", {})
    if (key, branches) not in memo:
        book, system = book_data(key), book_system(key)
        dates = sorted(pd.to_datetime(book.loans["snapshot_date"].dropna().unique()))

        def matrices() -> Iterator[IndicatorMatrix]:
            for i, date in enumerate(dates):
                if on_progress is not None:
                    on_progress(i, len(dates), date)
                yield build_indicator_matrix(book.loans, book.borrowers, date, branches=list(branches),
                                             system=system)

        started = time.perf_counter()
        memo.clear()  # one book's path at a time per session
        memo[(key, branches)] = (entropy_over_time(matrices()), time.perf_counter() - started)
    return memo[(key, branches)]


def sample_weights_over_time(
    fingerprint: str,
    branches: tuple[str, ...],
    on_progress: Callable[[int, int, pd.Timestamp], None] | None = None,
) -> tuple[EntropyOverTime, float]:
    """Entropy weights at every month-end of the sample book for some branches, and the
    seconds the first computation took.

    Computed once per (fingerprint, branches) per process: a matrix per month-end is
    built one at a time (``on_progress(i, n, date)`` is called before each, only on a
    miss) and only the weights are kept. Shared by every session because the sample is
    bundled and read-only; an uploaded book must not come through here.
    """
    store = _over_time_store()
    key = (fingerprint, tuple(branches))
    hit = store.get(key)
    if hit is not None:
        return hit
    with store.key_lock(key):
        hit = store.get(key)  # another session may have finished it while we waited
        if hit is not None:
            return hit
        book = sample_book(fingerprint)
        dates = sorted(pd.to_datetime(book.loans["snapshot_date"].unique()))

        def matrices() -> Iterator[IndicatorMatrix]:
            for i, date in enumerate(dates):
                if on_progress is not None:
                    on_progress(i, len(dates), date)
                yield build_indicator_matrix(book.loans, book.borrowers, date, branches=list(branches))

        started = time.perf_counter()
        path = entropy_over_time(matrices())
        result = (path, time.perf_counter() - started)
        store.put(key, result)
        return result
