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


def restore_widget(key: str) -> None:
    """Give widget ``key`` back the value it had when last drawn. Streamlit drops the state
    of a widget that a run does not draw (e.g. while the user is on another page); call
    this before drawing it and :func:`keep_widget` after."""
    kept = f"_kept:{key}"
    if key not in st.session_state and kept in st.session_state:
        st.session_state[key] = st.session_state[kept]


def keep_widget(key: str) -> None:
    """Remember widget ``key``'s value for :func:`restore_widget`."""
    if key in st.session_state:
        st.session_state[f"_kept:{key}"] = st.session_state[key]


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


_Memo = tuple[Any, float]


class _ProcessMemo:
    """Process-wide results of :func:`over_snapshots` for the bundled sample: key →
    (result, seconds it took). Never user data; LRU-bounded. One lock per key, so two
    sessions asking for the same thing compute it once."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.lock = threading.Lock()
        self.results: OrderedDict[tuple[str, ...], _Memo] = OrderedDict()
        self.key_locks: dict[tuple[str, ...], threading.Lock] = {}

    def get(self, key: tuple[str, ...]) -> _Memo | None:
        with self.lock:
            hit = self.results.get(key)
            if hit is not None:
                self.results.move_to_end(key)
            return hit

    def put(self, key: tuple[str, ...], value: _Memo) -> None:
        with self.lock:
            self.results[key] = value
            self.results.move_to_end(key)
            while len(self.results) > self.max_entries:
                self.results.popitem(last=False)

    def key_lock(self, key: tuple[str, ...]) -> threading.Lock:
        with self.lock:
            return self.key_locks.setdefault(key, threading.Lock())


@st.cache_resource(show_spinner=False)
def _process_memo() -> _ProcessMemo:
    return _ProcessMemo(max_entries=32)


_SESSION_MEMO: Final = "_over_snapshots"  # st.session_state key: this session's results
_SESSION_MEMO_ENTRIES: Final = 4


def over_snapshots(
    key: str,
    branches: tuple[str, ...],
    what: str,
    compute: Callable[[SampleBook | LoanBook, Iterator[IndicatorMatrix]], Any],
    on_progress: Callable[[int, int, pd.Timestamp], None] | None = None,
) -> tuple[Any, float]:
    """``compute(book, matrices)`` over the indicator matrix of every snapshot of a book for
    some branches, and the seconds it took the first time.

    The matrices are built one at a time (``on_progress(i, n, date)`` before each, only
    when computing; a snapshot without a live loan in the branches is skipped) and only
    what ``compute`` returns is kept: for the bundled sample under the default system in
    one process-wide memo (read-only data, the same for everyone), for anything else in
    this session's ``st.session_state`` (the last few results). ``what`` names the
    computation in the memo key.
    """
    memo_key = (what, key, *branches)

    def run() -> tuple[Any, float]:
        book, system = book_data(key), book_system(key)
        dates = sorted(pd.to_datetime(book.loans["snapshot_date"].dropna().unique()))

        def matrices() -> Iterator[IndicatorMatrix]:
            for i, date in enumerate(dates):
                if on_progress is not None:
                    on_progress(i, len(dates), date)
                try:
                    yield build_indicator_matrix(book.loans, book.borrowers, date, branches=list(branches),
                                                 system=system)
                except ValueError:
                    continue  # no live loan in these branches at that snapshot

        started = time.perf_counter()
        result = compute(book, matrices())
        return result, time.perf_counter() - started

    if not is_sample(key):
        session: OrderedDict[tuple[str, ...], _Memo] = st.session_state.setdefault(_SESSION_MEMO, OrderedDict())
        if memo_key not in session:
            session[memo_key] = run()
            while len(session) > _SESSION_MEMO_ENTRIES:
                session.popitem(last=False)
        return session[memo_key]
    store = _process_memo()
    hit = store.get(memo_key)
    if hit is not None:
        return hit
    with store.key_lock(memo_key):
        hit = store.get(memo_key)  # another session may have finished it while we waited
        if hit is None:
            hit = run()
            store.put(memo_key, hit)
        return hit


def book_weights_over_time(
    key: str,
    branches: tuple[str, ...],
    on_progress: Callable[[int, int, pd.Timestamp], None] | None = None,
) -> tuple[EntropyOverTime, float]:
    """Entropy weights at every snapshot of a book for some branches, and the seconds the
    first computation took (see :func:`over_snapshots`)."""
    path, seconds = over_snapshots(key, branches, "entropy", lambda _book, matrices: entropy_over_time(matrices),
                                   on_progress)
    return path, seconds
