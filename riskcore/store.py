"""The ledger store: every uploaded file kept by sha256, and loan snapshots, in one embedded
DuckDB file.

Raw bytes are stored *before* parsing, valid or not, so nothing uploaded is ever lost.
A valid book becomes a snapshot (branch, as-of date, source file). Re-uploading the same
file is recognised; a corrected file for the same branch and date supersedes the old
snapshot, which is kept. Each change runs in one transaction: a failure leaves every
earlier snapshot as it was.

Location: the ``SME_RISK_STORE`` environment variable (a file path), default
``data/store.duckdb`` in the repository (ignored by git).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import pandas as pd

from riskcore.ingest.schema import LOAN_FIELDS

__all__ = [
    "LedgerStore", "MappingProfile", "StoredFile", "SnapshotRecord", "default_store_path", "layout_key", "STORE_ENV",
]

STORE_ENV: Final[str] = "SME_RISK_STORE"
_DEFAULT: Final[Path] = Path(__file__).resolve().parents[1] / "data" / "store.duckdb"
_SQL_TYPE: Final[dict[str, str]] = {
    "text": "VARCHAR", "date": "DATE", "amount": "DOUBLE", "rate": "DOUBLE", "int": "BIGINT",
    "bool": "BOOLEAN", "class": "INTEGER", "guarantee": "VARCHAR", "size": "VARCHAR",
}
_LOAN_COLUMNS: Final[tuple[str, ...]] = tuple(f.name for f in LOAN_FIELDS)


def default_store_path() -> Path:
    """``$SME_RISK_STORE`` if set, else ``data/store.duckdb`` beside the code."""
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else _DEFAULT


def layout_key(headers: Sequence[str]) -> str:
    """A file layout's identity: the sha256 of its headers in order (exact text)."""
    return hashlib.sha256("\x1f".join(headers).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class MappingProfile:
    """A user's corrected mapping for one header layout (``mapping``: header -> canonical
    field, or "" for a header to ignore)."""

    layout: str
    kind: str
    name: str
    headers: tuple[str, ...]
    mapping: dict[str, str]


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A stored upload; ``is_new`` is False when the same bytes were stored before."""

    sha256: str
    name: str
    size: int
    is_new: bool


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    """A snapshot; ``recognised`` when this file already produced the active snapshot for
    the branch and date; ``superseded`` lists the ids it replaced."""

    id: int
    branch_id: str
    as_of: pd.Timestamp
    sha256: str
    rows: int
    recognised: bool
    superseded: tuple[int, ...]


class LedgerStore:
    """An embedded DuckDB store. Each call opens and closes its own connection (DuckDB's
    module-level default connection is process-wide and would be shared across sessions)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS files (sha256 VARCHAR PRIMARY KEY, name VARCHAR, size BIGINT, "
                "content BLOB, stored_at TIMESTAMP DEFAULT current_timestamp)"
            )
            con.execute(
                "CREATE TABLE IF NOT EXISTS uploads (sha256 VARCHAR, name VARCHAR, uploaded_by VARCHAR, "
                "uploaded_at TIMESTAMP DEFAULT current_timestamp)"
            )
            con.execute("CREATE SEQUENCE IF NOT EXISTS snapshot_ids START 1")
            con.execute(
                "CREATE TABLE IF NOT EXISTS snapshots (id INTEGER PRIMARY KEY, branch_id VARCHAR, as_of DATE, "
                "sha256 VARCHAR, rows BIGINT, balance DOUBLE, status VARCHAR, superseded_by INTEGER, "
                "created_at TIMESTAMP DEFAULT current_timestamp)"
            )
            cols = ", ".join(f"{f.name} {_SQL_TYPE[f.kind]}" for f in LOAN_FIELDS)
            con.execute(f"CREATE TABLE IF NOT EXISTS loans (snapshot_id INTEGER, {cols})")
            con.execute(
                "CREATE TABLE IF NOT EXISTS mapping_profiles (layout VARCHAR, kind VARCHAR, name VARCHAR, "
                "headers VARCHAR, mapping VARCHAR, saved_at TIMESTAMP DEFAULT current_timestamp, "
                "PRIMARY KEY (layout, kind))"
            )

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(str(self.path))
        try:
            yield con
        finally:
            con.close()

    def put_file(self, data: bytes, name: str, *, uploaded_by: str = "") -> StoredFile:
        """Store the raw bytes (once per content) and record the upload; call before parsing."""
        sha = hashlib.sha256(data).hexdigest()
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                exists = con.execute("SELECT count(*) FROM files WHERE sha256 = ?", [sha]).fetchone()
                is_new = not (exists and exists[0])
                if is_new:
                    con.execute("INSERT INTO files (sha256, name, size, content) VALUES (?, ?, ?, ?)",
                                [sha, name, len(data), data])
                con.execute("INSERT INTO uploads (sha256, name, uploaded_by) VALUES (?, ?, ?)", [sha, name, uploaded_by])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return StoredFile(sha256=sha, name=name, size=len(data), is_new=is_new)

    def file_bytes(self, sha256: str) -> bytes:
        """The stored bytes of a file, exactly as uploaded."""
        with self._connect() as con:
            row = con.execute("SELECT content FROM files WHERE sha256 = ?", [sha256]).fetchone()
        if row is None:
            raise KeyError(f"no stored file with sha256 {sha256}")
        return bytes(row[0])

    def add_snapshot(self, sha256: str, branch_id: str, as_of: Any, loans: pd.DataFrame) -> SnapshotRecord:
        """Store ``loans`` (canonical columns) as the active snapshot of ``branch_id`` at ``as_of``.

        The same file again for the same branch and date is recognised and changes nothing;
        a different file supersedes the active snapshot (kept, marked superseded). One
        transaction: on any failure nothing changes.

        Raises
        ------
        KeyError
            The file was not stored first (:meth:`put_file`).
        ValueError
            ``loans`` has columns outside the canonical schema.
        """
        when = pd.Timestamp(as_of).normalize()
        extra = sorted(set(loans.columns) - set(_LOAN_COLUMNS))
        if extra:
            raise ValueError(f"`loans` has columns outside the canonical schema: {extra}")
        with self._connect() as con:
            if not con.execute("SELECT count(*) FROM files WHERE sha256 = ?", [sha256]).fetchall()[0][0]:
                raise KeyError(f"store the file before its snapshot: no file with sha256 {sha256}")
            active = con.execute(
                "SELECT id, sha256, rows FROM snapshots WHERE branch_id = ? AND as_of = ? AND status = 'active'",
                [branch_id, when.date()],
            ).fetchall()
            same = [r for r in active if r[1] == sha256]
            if same:
                return SnapshotRecord(int(same[0][0]), branch_id, when, sha256, int(same[0][2]), True, ())
            con.execute("BEGIN TRANSACTION")
            try:
                new_id = int(con.execute("SELECT nextval('snapshot_ids')").fetchall()[0][0])
                incoming = loans.reindex(columns=list(_LOAN_COLUMNS))
                con.register("incoming", incoming)
                casts = ", ".join(
                    f"CAST({f.name} AS {_SQL_TYPE[f.kind]})" for f in LOAN_FIELDS
                )
                con.execute(f"INSERT INTO loans SELECT {new_id}, {casts} FROM incoming")
                con.unregister("incoming")
                balance = float(pd.to_numeric(loans.get("balance"), errors="coerce").sum()) if "balance" in loans else 0.0
                con.execute(
                    "INSERT INTO snapshots (id, branch_id, as_of, sha256, rows, balance, status) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'active')",
                    [new_id, branch_id, when.date(), sha256, len(loans), balance],
                )
                old = [int(r[0]) for r in active]
                if old:
                    con.execute(
                        f"UPDATE snapshots SET status = 'superseded', superseded_by = ? "
                        f"WHERE id IN ({', '.join('?' * len(old))})",
                        [new_id, *old],
                    )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return SnapshotRecord(new_id, branch_id, when, sha256, len(loans), False, tuple(old))

    def snapshots(self) -> pd.DataFrame:
        """Every snapshot with its status (active / superseded) and source file name."""
        with self._connect() as con:
            return con.execute(
                "SELECT s.id, s.branch_id, s.as_of, s.status, s.superseded_by, s.rows, s.balance, s.sha256, "
                "f.name AS file, s.created_at FROM snapshots s LEFT JOIN files f USING (sha256) ORDER BY s.id"
            ).df()

    def loans(self, snapshot_id: int | None = None) -> pd.DataFrame:
        """Loans of one snapshot, or of every active snapshot when ``snapshot_id`` is None."""
        with self._connect() as con:
            if snapshot_id is None:
                return con.execute(
                    "SELECT l.* FROM loans l JOIN snapshots s ON s.id = l.snapshot_id WHERE s.status = 'active' "
                    "ORDER BY l.snapshot_id"
                ).df()
            return con.execute("SELECT * FROM loans WHERE snapshot_id = ?", [snapshot_id]).df()

    def save_profile(
        self, headers: Sequence[str], mapping: Mapping[str, str], *, name: str = "", kind: str = "loans"
    ) -> MappingProfile:
        """Save a corrected mapping (original header -> canonical field, "" to ignore a header)
        for files whose headers are exactly ``headers`` in this order; replaces an earlier
        profile of the same layout. Next month's file of that layout is mapped with it."""
        profile = MappingProfile(layout_key(headers), kind, name, tuple(headers), dict(mapping))
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute("DELETE FROM mapping_profiles WHERE layout = ? AND kind = ?", [profile.layout, kind])
                con.execute(
                    "INSERT INTO mapping_profiles (layout, kind, name, headers, mapping) VALUES (?, ?, ?, ?, ?)",
                    [profile.layout, kind, name, json.dumps(list(headers), ensure_ascii=False),
                     json.dumps(profile.mapping, ensure_ascii=False)],
                )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return profile

    def find_profile(self, headers: Sequence[str], kind: str = "loans") -> MappingProfile | None:
        """The saved profile for exactly this header layout, if any."""
        with self._connect() as con:
            row = con.execute(
                "SELECT name, headers, mapping FROM mapping_profiles WHERE layout = ? AND kind = ?",
                [layout_key(headers), kind],
            ).fetchone()
        if row is None:
            return None
        return MappingProfile(layout_key(headers), kind, str(row[0]), tuple(json.loads(row[1])), json.loads(row[2]))

    def profiles(self) -> pd.DataFrame:
        """Every saved mapping profile (layout key, kind, name, number of headers, saved at)."""
        with self._connect() as con:
            return con.execute(
                "SELECT layout, kind, name, len(CAST(json(headers) AS VARCHAR[])) AS headers, saved_at "
                "FROM mapping_profiles ORDER BY saved_at"
            ).df()

    def counts(self) -> dict[str, int]:
        """Rows per table (files, uploads, snapshots, loans): for checks that nothing changed."""
        with self._connect() as con:
            return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
                    for t in ("files", "uploads", "snapshots", "loans", "mapping_profiles")}
