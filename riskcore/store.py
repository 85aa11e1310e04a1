"""The ledger store: every uploaded file kept by sha256, and loan snapshots, in one embedded
DuckDB file.

Raw bytes are stored *before* parsing, valid or not, so nothing uploaded is ever lost.
A valid book becomes a snapshot (branch, as-of date, source file). Re-uploading the same
file is recognised; a corrected file for the same branch and date supersedes the old
snapshot, which is kept. Each change runs in one transaction: a failure leaves every
earlier snapshot as it was.

Indicator systems (:class:`riskcore.system.IndicatorSystem`) are kept as numbered versions
per name, with author, time and comment, so a ranking can name the system version behind
it and an earlier version can be restored.

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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

import duckdb
import pandas as pd

from riskcore.audit import AuditEntry, canonical_json, payload_sha256
from riskcore.ingest.borrowers import BORROWER_FIELDS
from riskcore.ingest.schema import LOAN_FIELDS
from riskcore.migration import MigrationMatrix, migration_sql_source, run_migration
from riskcore.system import IndicatorSystem, from_json, to_json
from riskcore.warning import RuleSet
from riskcore.trends import AGGREGATE_COLUMNS, SnapshotAggregates, build_aggregates

__all__ = [
    "LedgerStore", "MappingProfile", "StoredFile", "SnapshotRecord", "default_store_path", "layout_key", "STORE_ENV",
    "BorrowerBatchRecord", "SystemVersion", "AuditEntry",
]

STORE_ENV: Final[str] = "SME_RISK_STORE"
_DEFAULT: Final[Path] = Path(__file__).resolve().parents[1] / "data" / "store.duckdb"
_SQL_TYPE: Final[dict[str, str]] = {
    "text": "VARCHAR", "date": "DATE", "amount": "DOUBLE", "rate": "DOUBLE", "int": "BIGINT",
    "bool": "BOOLEAN", "class": "INTEGER", "guarantee": "VARCHAR", "size": "VARCHAR",
    "period": "BIGINT", "tax_rating": "VARCHAR", "share": "DOUBLE", "number": "DOUBLE",
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
class SystemVersion:
    """One saved version of an indicator system. ``created_at`` is UTC; ``unchanged`` when
    the save found the same system as the latest version of the name and stored nothing."""

    name: str
    version: int
    author: str
    created_at: pd.Timestamp
    comment: str
    unchanged: bool = False


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


@dataclass(frozen=True, slots=True)
class _VersionedKind:
    """A kind of versioned configuration: its table, the column counting what is switched
    on, its audit action and its name in messages."""

    table: str
    enabled_column: str
    action: str
    noun: str


_SYSTEMS: Final = _VersionedKind("indicator_systems", "indicators_enabled", "save_system", "indicator system")
_RULE_SETS: Final = _VersionedKind("warning_rules", "rules_enabled", "save_rules", "warning rule set")


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
            # Per-snapshot aggregates (riskcore.trends), written with each snapshot in the
            # same transaction; trend queries read these, never the loans.
            con.execute(
                "CREATE TABLE IF NOT EXISTS snapshot_aggregates (snapshot_id INTEGER, as_of DATE, branch_id VARCHAR, "
                "dimension VARCHAR, value VARCHAR, final_class INTEGER, n_loans BIGINT, balance DOUBLE, "
                + ", ".join(f"{c} BIGINT" for c in AGGREGATE_COLUMNS if c.startswith("n_dpd_")) + ", "
                + ", ".join(f"{c} DOUBLE" for c in AGGREGATE_COLUMNS if c.startswith("balance_dpd_")) + ")"
            )
            self._backfill_aggregates(con)
            con.execute(
                "CREATE TABLE IF NOT EXISTS mapping_profiles (layout VARCHAR, kind VARCHAR, name VARCHAR, "
                "headers VARCHAR, mapping VARCHAR, saved_at TIMESTAMP DEFAULT current_timestamp, "
                "PRIMARY KEY (layout, kind))"
            )
            # Borrower financials: one batch per stored file; a row is current until a later
            # batch brings the same (borrower_id, report_period) and sets superseded_by.
            con.execute("CREATE SEQUENCE IF NOT EXISTS borrower_batch_ids START 1")
            con.execute(
                "CREATE TABLE IF NOT EXISTS borrower_batches (id INTEGER PRIMARY KEY, sha256 VARCHAR, rows BIGINT, "
                "created_at TIMESTAMP DEFAULT current_timestamp)"
            )
            borrower_cols = ", ".join(f"{f.name} {_SQL_TYPE[f.kind]}" for f in BORROWER_FIELDS)
            con.execute(
                f"CREATE TABLE IF NOT EXISTS borrowers (batch_id INTEGER, superseded_by INTEGER, {borrower_cols})"
            )
            # Indicator systems: the JSON document (riskcore.system.to_json) per (name, version);
            # created_at is UTC, written by Python (DuckDB's current_timestamp is local time).
            con.execute(
                "CREATE TABLE IF NOT EXISTS indicator_systems (name VARCHAR, version INTEGER, author VARCHAR, "
                "created_at TIMESTAMP, comment VARCHAR, indicators_enabled INTEGER, body VARCHAR, "
                "PRIMARY KEY (name, version))"
            )
            # Early-warning rule sets: the JSON document (riskcore.warning.to_json) per (name, version).
            con.execute(
                "CREATE TABLE IF NOT EXISTS warning_rules (name VARCHAR, version INTEGER, author VARCHAR, "
                "created_at TIMESTAMP, comment VARCHAR, rules_enabled INTEGER, body VARCHAR, "
                "PRIMARY KEY (name, version))"
            )
            # Audit trail (riskcore.audit): who, when (UTC, written by Python), what, and the
            # sha256 of the exact inputs saved; written in the saving transaction.
            con.execute("CREATE SEQUENCE IF NOT EXISTS audit_ids START 1")
            con.execute(
                "CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY, \"at\" TIMESTAMP, who VARCHAR, "
                "action VARCHAR, subject VARCHAR, input_sha256 VARCHAR, detail VARCHAR)"
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

    def add_snapshot(
        self, sha256: str, branch_id: str, as_of: Any, loans: pd.DataFrame, *, who: str = ""
    ) -> SnapshotRecord:
        """Store ``loans`` (canonical columns) as the active snapshot of ``branch_id`` at ``as_of``.

        The same file again for the same branch and date is recognised and changes nothing;
        a different file supersedes the active snapshot (kept, marked superseded). One
        transaction: on any failure nothing changes. A new snapshot is recorded in the audit
        log (``import_snapshot``, ``who``, input hash = the file's sha256) in that transaction.

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
                self._write_aggregates(con, new_id, when, branch_id)
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
                self._audit(con, "import_snapshot", who=who, subject=f"{branch_id} {when.date().isoformat()}",
                            digest=sha256, detail={"snapshot_id": new_id, "rows": len(loans), "superseded": old})
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

    # ------------------------------------------------------------------ trends and migration

    @staticmethod
    def _write_aggregates(con: duckdb.DuckDBPyConnection, snapshot_id: int, as_of: pd.Timestamp,
                          branch_id: str) -> None:
        """Aggregate rows of one stored snapshot (inside the caller's transaction). A loan
        row without a branch id takes the snapshot's branch."""
        source = (
            "(SELECT CAST($as_of AS DATE) AS as_of, coalesce(nullif(trim(branch_id), ''), $branch) AS branch_id, "
            "industry_code, product, guarantee_type, region_code, account_manager, balance, five_class, dpd "
            "FROM loans WHERE snapshot_id = $sid)"
        )
        result = build_aggregates(con, source, {"sid": snapshot_id, "as_of": pd.Timestamp(as_of).date(),
                                                "branch": str(branch_id)})
        cols = ", ".join(AGGREGATE_COLUMNS)
        con.execute(f"INSERT INTO snapshot_aggregates (snapshot_id, {cols}) SELECT ?, {cols} FROM {result}",
                    [snapshot_id])
        con.execute(f"DROP TABLE {result}")

    def _backfill_aggregates(self, con: duckdb.DuckDBPyConnection) -> None:
        """Aggregates for snapshots stored before the aggregate table existed (one transaction)."""
        todo = con.execute(
            "SELECT s.id, s.as_of, s.branch_id FROM snapshots s WHERE s.rows > 0 AND NOT EXISTS "
            "(SELECT 1 FROM snapshot_aggregates a WHERE a.snapshot_id = s.id) ORDER BY s.id"
        ).fetchall()
        if not todo:
            return
        con.execute("BEGIN TRANSACTION")
        try:
            for snapshot_id, as_of, branch_id in todo:
                self._write_aggregates(con, int(snapshot_id), pd.Timestamp(as_of), str(branch_id))
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise

    def aggregates(self, *, include_superseded: bool = False) -> SnapshotAggregates:
        """Per-snapshot aggregates (:class:`riskcore.trends.SnapshotAggregates`) of the
        active snapshots, summed over the snapshots of the same date (superseded ones
        excluded unless ``include_superseded``, for audits)."""
        keys = "a.as_of, a.branch_id, a.dimension, a.value, a.final_class"
        sums = ", ".join(f"CAST(sum(a.{c}) AS {'BIGINT' if c.startswith('n_') else 'DOUBLE'}) AS {c}"
                         for c in AGGREGATE_COLUMNS[5:])
        rows = "FROM snapshot_aggregates a JOIN snapshots s ON s.id = a.snapshot_id" + (
            "" if include_superseded else " WHERE s.status = 'active'")
        with self._connect() as con:
            # Two snapshots share aggregate keys only if they hold loans of the same branch
            # and date (seen on the small 'book' rows); otherwise no re-summing is needed.
            shared = con.execute(
                f"SELECT count(*) FROM (SELECT a.as_of, a.branch_id {rows} {'AND' if 'WHERE' in rows else 'WHERE'} "
                "a.dimension = 'book' GROUP BY ALL HAVING count(DISTINCT a.snapshot_id) > 1)"
            ).fetchall()[0][0]
            if shared:
                frame = con.execute(f"SELECT {keys}, {sums} {rows} GROUP BY ALL").df()
            else:
                frame = con.execute(f"SELECT {', '.join('a.' + c for c in AGGREGATE_COLUMNS)} {rows}").df()
        return SnapshotAggregates(frame)

    def migration(self, start: Any, end: Any, *, branches: Sequence[str] | None = None) -> MigrationMatrix:
        """Final-class migration between two dates over the active snapshots
        (:func:`riskcore.migration.migration_matrix`, same rules), in DuckDB on the store."""
        relation = (
            "(SELECT s.as_of AS snapshot_date, l.loan_id, coalesce(nullif(trim(l.branch_id), ''), s.branch_id) "
            "AS branch_id, l.balance, l.five_class, l.dpd FROM loans l JOIN snapshots s ON s.id = l.snapshot_id "
            "WHERE s.status = 'active')"
        )
        with self._connect() as con:
            return run_migration(con, migration_sql_source(relation), start, end, branches=branches)

    def save_profile(
        self, headers: Sequence[str], mapping: Mapping[str, str], *, name: str = "", kind: str = "loans",
        who: str = "",
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
                self._audit(con, "save_profile", who=who, subject=f"{kind} {name or profile.layout[:12]}",
                            payload=canonical_json({"kind": kind, "name": name, "headers": list(headers),
                                                    "mapping": profile.mapping}),
                            detail={"layout": profile.layout, "headers": len(headers)})
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

    def add_borrower_snapshot(self, sha256: str, frame: pd.DataFrame) -> BorrowerBatchRecord:
        """Store borrower financials (canonical borrower columns) from one file as a batch.

        Each row becomes the current version of its (borrower_id, report_period); a current
        row of an earlier batch with the same key is kept and marked superseded (a corrected
        statement replaces the old one, which stays for audit). The same file again, while
        all its rows are still current, is recognised and changes nothing. One transaction:
        on any failure nothing changes.

        Raises
        ------
        KeyError
            The file was not stored first (:meth:`put_file`).
        ValueError
            ``frame`` has columns outside the borrower schema, lacks a key column, has an
            empty key or repeats a (borrower_id, report_period).
        """
        columns = [f.name for f in BORROWER_FIELDS]
        extra = sorted(set(frame.columns) - set(columns))
        if extra:
            raise ValueError(f"`frame` has columns outside the borrower schema: {extra}")
        keys = ["borrower_id", "report_period"]
        if not set(keys) <= set(frame.columns) or frame[keys].isna().any(axis=None):
            raise ValueError("every row needs a borrower_id and a report_period")
        if frame.duplicated(subset=keys).any():
            raise ValueError("`frame` repeats a (borrower_id, report_period)")
        with self._connect() as con:
            if not con.execute("SELECT count(*) FROM files WHERE sha256 = ?", [sha256]).fetchall()[0][0]:
                raise KeyError(f"store the file before its borrower rows: no file with sha256 {sha256}")
            same = con.execute(
                "SELECT b.id, b.rows FROM borrower_batches b WHERE b.sha256 = ? AND NOT EXISTS "
                "(SELECT 1 FROM borrowers r WHERE r.batch_id = b.id AND r.superseded_by IS NOT NULL) "
                "ORDER BY b.id DESC LIMIT 1",
                [sha256],
            ).fetchall()
            if same:
                return BorrowerBatchRecord(int(same[0][0]), sha256, int(same[0][1]), True, (), 0)
            con.execute("BEGIN TRANSACTION")
            try:
                new_id = int(con.execute("SELECT nextval('borrower_batch_ids')").fetchall()[0][0])
                incoming = frame.reindex(columns=columns)
                con.register("incoming", incoming)
                casts = ", ".join(f"CAST({f.name} AS {_SQL_TYPE[f.kind]})" for f in BORROWER_FIELDS)
                con.execute(f"INSERT INTO borrowers SELECT {new_id}, NULL, {casts} FROM incoming")
                con.unregister("incoming")
                # Earlier current rows of the keys this batch brings: listed, then marked.
                replaced = (
                    "o.superseded_by IS NULL AND o.batch_id <> ? AND EXISTS (SELECT 1 FROM borrowers n "
                    "WHERE n.batch_id = ? AND n.borrower_id = o.borrower_id AND n.report_period = o.report_period)"
                )
                old = con.execute(f"SELECT o.batch_id, count(*) FROM borrowers o WHERE {replaced} "
                                  "GROUP BY o.batch_id ORDER BY o.batch_id", [new_id, new_id]).fetchall()
                con.execute(f"UPDATE borrowers AS o SET superseded_by = ? WHERE {replaced}", [new_id, new_id, new_id])
                con.execute("INSERT INTO borrower_batches (id, sha256, rows) VALUES (?, ?, ?)",
                            [new_id, sha256, len(frame)])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return BorrowerBatchRecord(new_id, sha256, len(frame), False, tuple(int(r[0]) for r in old),
                                   sum(int(r[1]) for r in old))

    def borrowers(self, batch_id: int | None = None, *, include_superseded: bool = False) -> pd.DataFrame:
        """Borrower financials in canonical columns (plus ``batch_id``), by borrower and period.

        Default: the current version of every (borrower_id, report_period), i.e. the row of
        the latest batch that brought it. ``include_superseded`` adds the replaced versions
        (and a ``superseded_by`` column); ``batch_id`` gives the rows of one batch as stored.
        """
        cols = ", ".join(f.name for f in BORROWER_FIELDS)
        with self._connect() as con:
            if batch_id is not None:
                return con.execute(f"SELECT batch_id, superseded_by, {cols} FROM borrowers WHERE batch_id = ? "
                                   "ORDER BY borrower_id, report_period", [batch_id]).df()
            if include_superseded:
                return con.execute(f"SELECT batch_id, superseded_by, {cols} FROM borrowers "
                                   "ORDER BY borrower_id, report_period, batch_id").df()
            return con.execute(f"SELECT batch_id, {cols} FROM borrowers WHERE superseded_by IS NULL "
                               "ORDER BY borrower_id, report_period").df()

    def borrower_batches(self) -> pd.DataFrame:
        """Every borrower batch: source file, rows stored, rows still current, periods covered."""
        with self._connect() as con:
            return con.execute(
                "SELECT b.id, b.sha256, f.name AS file, b.rows, "
                "count(r.batch_id) FILTER (WHERE r.superseded_by IS NULL) AS current_rows, "
                "min(r.report_period) AS first_period, max(r.report_period) AS last_period, b.created_at "
                "FROM borrower_batches b LEFT JOIN files f USING (sha256) LEFT JOIN borrowers r ON r.batch_id = b.id "
                "GROUP BY ALL ORDER BY b.id"
            ).df()

    def borrower_counts(self) -> dict[str, int]:
        """Rows of the borrower tables (batches, borrower rows): for checks that nothing changed."""
        with self._connect() as con:
            return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
                    for t in ("borrower_batches", "borrowers")}

    # ------------------------------------------------------------------ indicator systems

    def save_system(self, system: IndicatorSystem, *, author: str, comment: str = "") -> SystemVersion:
        """Save ``system`` as the next version of ``system.name``.

        The version is 1 + the latest version of that name. Saving the same system as the
        latest version (same JSON text) stores nothing and returns that version with
        ``unchanged=True``, so pressing "save" twice does not make history noise; going
        back to an older state does make a new version (history only grows). One
        transaction.

        Raises
        ------
        ValueError
            ``author`` is blank: a version nobody owns cannot be audited.
        """
        return self._save_version(_SYSTEMS, system.name, to_json(system), len(system.enabled),
                                  author=author, comment=comment)

    def systems(self) -> pd.DataFrame:
        """Every saved version of every system, newest first: ``name``, ``version``,
        ``author``, ``created_at`` (UTC), ``comment``, ``indicators_enabled``."""
        return self._versions(_SYSTEMS)

    def load_system(self, name: str, version: int | None = None) -> IndicatorSystem:
        """Version ``version`` of system ``name`` (None → the latest).

        Raises
        ------
        KeyError
            No system of that name, or no such version (the message lists the versions).
        """
        return from_json(self._load_body(_SYSTEMS, name, version))

    # ------------------------------------------------------------------ early-warning rule sets

    def save_rules(self, rules: RuleSet, *, author: str, comment: str = "") -> SystemVersion:
        """Save ``rules`` (:class:`riskcore.warning.RuleSet`) as the next version of ``rules.name``.

        Versioned like :meth:`save_system`: 1 + the latest version of the name; the same
        JSON text as the latest version stores nothing and returns it with
        ``unchanged=True``. One transaction.

        Raises
        ------
        ValueError
            ``author`` is blank.
        """
        from riskcore.warning import to_json as rules_to_json

        return self._save_version(_RULE_SETS, rules.name, rules_to_json(rules), len(rules.enabled),
                                  author=author, comment=comment)

    def rule_sets(self) -> pd.DataFrame:
        """Every saved version of every rule set, newest first: ``name``, ``version``,
        ``author``, ``created_at`` (UTC), ``comment``, ``rules_enabled``."""
        return self._versions(_RULE_SETS)

    def load_rules(self, name: str, version: int | None = None) -> RuleSet:
        """Version ``version`` of rule set ``name`` (None → the latest).

        Raises
        ------
        KeyError
            No rule set of that name, or no such version (the message lists the versions).
        """
        from riskcore.warning import from_json as rules_from_json

        return rules_from_json(self._load_body(_RULE_SETS, name, version))

    # ------------------------------------------------------------------ versioned configurations

    def _save_version(self, kind: _VersionedKind, name: str, body: str, enabled: int, *, author: str,
                      comment: str) -> SystemVersion:
        """The next version of configuration ``name`` of ``kind``, unless ``body`` equals the
        latest version's (then that one, ``unchanged=True``); with its audit row, in one
        transaction."""
        if not isinstance(author, str) or not author.strip():
            raise ValueError(f"author: who saves the {kind.noun} must be given")
        now = pd.Timestamp(datetime.now(timezone.utc).replace(tzinfo=None))
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                latest = con.execute(
                    f"SELECT version, author, created_at, comment, body FROM {kind.table} WHERE name = ? "
                    "ORDER BY version DESC LIMIT 1",
                    [name],
                ).fetchone()
                if latest is not None and latest[4] == body:
                    con.execute("COMMIT")
                    return SystemVersion(name, int(latest[0]), str(latest[1]), _utc(latest[2]), str(latest[3]),
                                         unchanged=True)
                version = 1 if latest is None else int(latest[0]) + 1
                con.execute(
                    f"INSERT INTO {kind.table} (name, version, author, created_at, comment, {kind.enabled_column}, "
                    "body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [name, version, author, now.to_pydatetime(), comment, enabled, body],
                )
                self._audit(con, kind.action, who=author, subject=f"{name} v{version}", payload=body,
                            detail={"version": version, "comment": comment}, at=now)
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return SystemVersion(name, version, author, _utc(now), comment)

    def _versions(self, kind: _VersionedKind) -> pd.DataFrame:
        with self._connect() as con:
            frame = con.execute(
                f"SELECT name, version, author, created_at, comment, {kind.enabled_column} FROM {kind.table} "
                "ORDER BY created_at DESC, name, version DESC"
            ).df()
        frame["created_at"] = pd.to_datetime(frame["created_at"]).dt.tz_localize("UTC")
        return frame

    def _load_body(self, kind: _VersionedKind, name: str, version: int | None) -> str:
        with self._connect() as con:
            versions = [int(r[0]) for r in con.execute(
                f"SELECT version FROM {kind.table} WHERE name = ? ORDER BY version", [name]).fetchall()]
            if not versions:
                raise KeyError(f"no {kind.noun} named {name!r} in the store")
            wanted = versions[-1] if version is None else int(version)
            if wanted not in versions:
                raise KeyError(f"{kind.noun} {name!r} has no version {wanted} "
                               f"(versions: {', '.join(map(str, versions))})")
            row = con.execute(f"SELECT body FROM {kind.table} WHERE name = ? AND version = ?",
                              [name, wanted]).fetchone()
        assert row is not None
        return str(row[0])

    # ------------------------------------------------------------------ audit trail

    @staticmethod
    def _audit(
        con: duckdb.DuckDBPyConnection, action: str, *, who: str, subject: str,
        payload: bytes | str | None = None, digest: str | None = None,
        detail: Mapping[str, Any] | None = None, at: pd.Timestamp | None = None,
    ) -> AuditEntry:
        """Insert one audit row inside the caller's transaction. ``digest`` is an input hash
        already known (a stored file's sha256); otherwise ``payload`` is hashed."""
        sha = digest if digest is not None else payload_sha256(payload if payload is not None else b"")
        when = at if at is not None else pd.Timestamp(datetime.now(timezone.utc).replace(tzinfo=None))
        info = dict(detail or {})
        entry_id = int(con.execute("SELECT nextval('audit_ids')").fetchall()[0][0])
        con.execute(
            "INSERT INTO audit_log (id, \"at\", who, action, subject, input_sha256, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [entry_id, when.to_pydatetime(), who or "", action, subject, sha, canonical_json(info)],
        )
        return AuditEntry(entry_id, _utc(when), who or "", action, subject, sha, info)

    def record_audit(
        self, action: str, *, who: str, subject: str, payload: bytes | str, detail: dict[str, Any] | None = None
    ) -> AuditEntry:
        """Record ``action`` on ``subject`` by ``who`` with the sha256 of ``payload`` (the exact
        bytes or text saved or handed out, e.g. an export) and ``detail`` (JSON-able)."""
        if not isinstance(action, str) or not action.strip():
            raise ValueError("action must be a non-blank string")
        digest = payload_sha256(payload)  # type-checks before any write
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                entry = self._audit(con, action, who=who, subject=subject, digest=digest, detail=detail)
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return entry

    def audit_log(self, limit: int | None = None) -> pd.DataFrame:
        """The audit log, newest first: ``id``, ``at`` (tz-aware UTC), ``who``, ``action``,
        ``subject``, ``input_sha256``, ``detail`` (JSON text)."""
        sql = ('SELECT id, "at", who, action, subject, input_sha256, detail FROM audit_log '
               'ORDER BY "at" DESC, id DESC')
        params: list[Any] = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(int(limit), 0))
        with self._connect() as con:
            frame = con.execute(sql, params).df()
        frame["at"] = pd.to_datetime(frame["at"]).dt.tz_localize("UTC")
        return frame


def _utc(value: Any) -> pd.Timestamp:
    """A naive UTC timestamp from the store as a tz-aware one."""
    return pd.Timestamp(value).tz_localize("UTC")


@dataclass(frozen=True, slots=True)
class BorrowerBatchRecord:
    """One stored borrower table. ``recognised`` when the same file's rows are all still
    current (nothing was stored again); ``superseded`` lists earlier batches whose rows it
    replaced, ``superseded_rows`` how many rows in all."""

    id: int
    sha256: str
    rows: int
    recognised: bool
    superseded: tuple[int, ...]
    superseded_rows: int
