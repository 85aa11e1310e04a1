"""A loan book assembled from checked ledgers, for analysis.

The analysis pages work on a book: ``loans`` (canonical loan table, one row per loan per
snapshot, DOMAIN.md §2.1) and ``borrowers`` (annual financials, §2.2). The bundled sample
is one; :func:`assemble_book` makes another from the ledgers and borrower files an analyst
uploaded, so the same indicator, weighting and ranking code runs on both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from riskcore.ingest.borrowers import BORROWER_FIELDS

__all__ = ["BookOutline", "LedgerPart", "LoanBook", "assemble_book", "book_choices", "book_outline"]


@dataclass(frozen=True, slots=True)
class LedgerPart:
    """One checked file: its canonical frame (loan or borrower table), the file's sha256
    and name, and for a loan ledger the branch to use where the frame has none (the
    page's branch field)."""

    frame: pd.DataFrame
    sha256: str
    file: str
    branch: str | None = None


@dataclass(frozen=True, eq=False)
class LoanBook:
    """A book to analyse.

    Attributes
    ----------
    loans
        Canonical loan rows of every snapshot; ``branch_name`` is the branch id where the
        ledgers name none.
    borrowers
        Canonical borrower rows (may be empty, with the ``borrower_id`` and
        ``report_period`` columns, when no financials were uploaded: the financial
        indicators are then missing for everyone and carry no weight).
    key
        Identity of the content: the same files give the same key, whatever their order.
    sources
        The file names, in the order given.
    replaced
        (branch, snapshot date, file) of ledgers left out because a later file covered
        the same branch and date (a corrected re-export).
    """

    loans: pd.DataFrame
    borrowers: pd.DataFrame
    key: str
    sources: tuple[str, ...]
    replaced: tuple[tuple[str, pd.Timestamp, str], ...] = ()


def assemble_book(
    ledgers: Sequence[LedgerPart], borrower_tables: Sequence[LedgerPart] = ()
) -> LoanBook:
    """One book from checked ledgers and borrower tables.

    A later ledger for the same (branch, snapshot date) replaces an earlier one, as the
    store supersedes a snapshot; a later borrower row for the same (borrower, report
    period) replaces an earlier one likewise.

    Raises
    ------
    ValueError
        No ledger, a ledger without ``snapshot_date``, ``borrower_id`` or ``balance``, or
        a ledger with no branch (neither a ``branch_id`` column nor ``branch``).
    """
    if not ledgers:
        raise ValueError("no loan ledger to analyse")
    parts: dict[tuple[str, pd.Timestamp], tuple[pd.DataFrame, str]] = {}
    replaced: list[tuple[str, pd.Timestamp, str]] = []
    for part in ledgers:
        frame = part.frame
        for column in ("snapshot_date", "borrower_id", "balance"):
            if column not in frame.columns or frame[column].isna().all():
                raise ValueError(f"{part.file}: the ledger has no {column} column")
        if "branch_id" not in frame.columns or frame["branch_id"].isna().all():
            if not part.branch:
                raise ValueError(f"{part.file}: no branch: the ledger has no branch column and none was given")
            frame = frame.assign(branch_id=part.branch)
        for (branch, when), rows in frame.groupby(["branch_id", "snapshot_date"], sort=True):
            slot = (str(branch), pd.Timestamp(when))
            if slot in parts:
                replaced.append((slot[0], slot[1], parts[slot][1]))
            parts[slot] = (rows, part.file)
    loans = pd.concat([rows for rows, _ in parts.values()], ignore_index=True)
    loans["branch_id"] = loans["branch_id"].astype("str")
    if "branch_name" not in loans.columns:
        loans["branch_name"] = loans["branch_id"]
    else:
        loans["branch_name"] = loans["branch_name"].fillna(loans["branch_id"]).astype("str")
    loans = loans.sort_values(["snapshot_date", "branch_id"], kind="stable").reset_index(drop=True)

    if borrower_tables:
        borrowers = pd.concat([part.frame for part in borrower_tables], ignore_index=True)
        keys = [c for c in ("borrower_id", "report_period") if c in borrowers.columns]
        if keys:
            borrowers = borrowers.drop_duplicates(keys, keep="last").reset_index(drop=True)
    else:
        borrowers = pd.DataFrame({"borrower_id": pd.Series(dtype="str"),
                                  "report_period": pd.Series(dtype="Int64")})
    for column in ("borrower_id", "report_period"):
        if column not in borrowers.columns:
            borrowers[column] = pd.Series(pd.NA, index=borrowers.index,
                                          dtype="str" if column == "borrower_id" else "Int64")
    known = [f.name for f in BORROWER_FIELDS]
    borrowers = borrowers[[c for c in borrowers.columns if c in known]]

    digest = hashlib.sha256()
    for sha in sorted(part.sha256 for part in ledgers):
        digest.update(b"L" + sha.encode())
    for sha in sorted(part.sha256 for part in borrower_tables):
        digest.update(b"B" + sha.encode())
    for part in ledgers:  # a branch given on the page changes the book
        digest.update(b"b" + (part.branch or "").encode())
    return LoanBook(
        loans=loans, borrowers=borrowers, key=digest.hexdigest()[:16],
        sources=tuple(p.file for p in (*ledgers, *borrower_tables)),
        replaced=tuple(replaced),
    )


def book_choices(loans: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """Snapshot dates (latest first, ``YYYY-MM-DD``) and branch id → branch name of a book."""
    dates = sorted({d.strftime("%Y-%m-%d") for d in pd.to_datetime(loans["snapshot_date"].dropna().unique())},
                   reverse=True)
    named = loans[["branch_id", "branch_name"]] if "branch_name" in loans.columns else loans[["branch_id"]].assign(
        branch_name=loans["branch_id"])
    branches = named.drop_duplicates("branch_id").sort_values("branch_id")
    return dates, dict(zip(branches["branch_id"].astype(str), branches["branch_name"].astype(str), strict=True))


@dataclass(frozen=True, slots=True)
class BookOutline:
    """What a book holds, for a one-line description."""

    snapshots: int
    first: pd.Timestamp
    last: pd.Timestamp
    branches: int
    loans: int  # loan rows at the latest snapshot
    borrowers: int  # borrowers with financials
    files: int


def book_outline(book: LoanBook) -> BookOutline:
    """Counts and dates of a book: snapshots, branches, loans at the latest snapshot,
    borrowers with financial statements and source files."""
    dates = pd.to_datetime(book.loans["snapshot_date"].dropna())
    last = dates.max()
    borrowers = book.borrowers["borrower_id"].dropna().nunique() if len(book.borrowers) else 0
    return BookOutline(
        snapshots=int(dates.nunique()), first=dates.min(), last=last,
        branches=int(book.loans["branch_id"].nunique()), loans=int((dates == last).sum()),
        borrowers=int(borrowers), files=len(book.sources),
    )
