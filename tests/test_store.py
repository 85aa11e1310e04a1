import pandas as pd
import pytest

from riskcore.store import STORE_ENV, LedgerStore, default_store_path


def book(balance=(100.0, 50.0), ids=("001", "002")):
    return pd.DataFrame({
        "snapshot_date": pd.to_datetime(["2024-06-30"] * len(ids)),
        "branch_id": ["QD01"] * len(ids),
        "loan_id": [f"JJ{i}" for i in ids],
        "borrower_id": list(ids),
        "balance": list(balance),
        "five_class": pd.array([1, 3], dtype="Int64")[: len(ids)],
    })


@pytest.fixture
def store(tmp_path):
    return LedgerStore(tmp_path / "store.duckdb")


def test_raw_bytes_are_kept_before_parsing_even_when_invalid(store):
    junk = b"\x89PNG not a ledger"
    f = store.put_file(junk, "scan.xlsx")
    assert f.is_new and f.size == len(junk)
    assert store.file_bytes(f.sha256) == junk
    again = store.put_file(junk, "scan (1).xlsx")
    assert not again.is_new and again.sha256 == f.sha256
    assert store.counts() == {"files": 1, "uploads": 2, "snapshots": 0, "loans": 0, "mapping_profiles": 0}


def test_snapshot_round_trip_keeps_ids_as_text(store):
    f = store.put_file(b"ledger v1", "QD01_2024-06.csv")
    rec = store.add_snapshot(f.sha256, "QD01", "2024-06-30", book())
    assert (rec.rows, rec.recognised, rec.superseded) == (2, False, ())
    loans = store.loans(rec.id)
    assert loans["borrower_id"].tolist() == ["001", "002"]
    assert loans["balance"].sum() == 150.0
    snaps = store.snapshots()
    assert snaps[["branch_id", "status", "rows", "balance", "file"]].iloc[0].tolist() == ["QD01", "active", 2, 150.0, "QD01_2024-06.csv"]


def test_same_file_again_is_recognised_and_changes_nothing(store):
    f = store.put_file(b"ledger v1", "a.csv")
    first = store.add_snapshot(f.sha256, "QD01", "2024-06-30", book())
    before = store.counts()
    again = store.add_snapshot(f.sha256, "QD01", "2024-06-30", book())
    assert again.recognised and again.id == first.id
    assert store.counts() == before


def test_corrected_file_supersedes_without_deleting(store):
    v1 = store.put_file(b"ledger v1", "a.csv")
    old = store.add_snapshot(v1.sha256, "QD01", "2024-06-30", book())
    v2 = store.put_file(b"ledger v2 corrected", "a_fixed.csv")
    new = store.add_snapshot(v2.sha256, "QD01", "2024-06-30", book(balance=(100.0, 40.0)))
    assert new.superseded == (old.id,)
    snaps = store.snapshots().set_index("id")
    assert snaps.loc[old.id, "status"] == "superseded" and snaps.loc[old.id, "superseded_by"] == new.id
    assert snaps.loc[new.id, "status"] == "active"
    assert store.loans(old.id)["balance"].sum() == 150.0  # the old book is still there
    assert store.loans()["balance"].sum() == 140.0  # active books only


def test_failure_inside_the_transaction_leaves_earlier_snapshots_untouched(store):
    v1 = store.put_file(b"ledger v1", "a.csv")
    old = store.add_snapshot(v1.sha256, "QD01", "2024-06-30", book())
    before = store.counts()
    v2 = store.put_file(b"ledger v2", "b.csv")
    bad = book().astype({"balance": "object"})
    bad.loc[1, "balance"] = "not a number"  # fails the cast half-way through the insert
    with pytest.raises(Exception):
        store.add_snapshot(v2.sha256, "QD01", "2024-06-30", bad)
    after = store.counts()
    assert {k: after[k] for k in ("snapshots", "loans")} == {k: before[k] for k in ("snapshots", "loans")}
    snaps = store.snapshots()
    assert snaps["status"].tolist() == ["active"] and snaps["id"].tolist() == [old.id]


def test_errors(store):
    with pytest.raises(KeyError, match="store the file before its snapshot"):
        store.add_snapshot("0" * 64, "QD01", "2024-06-30", book())
    f = store.put_file(b"x", "x.csv")
    with pytest.raises(ValueError, match=r"columns outside the canonical schema: \['colour'\]"):
        store.add_snapshot(f.sha256, "QD01", "2024-06-30", book().assign(colour="red"))


def test_location_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "elsewhere.duckdb"))
    assert default_store_path() == tmp_path / "elsewhere.duckdb"
    LedgerStore()
    assert (tmp_path / "elsewhere.duckdb").exists()
