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


# ---------------------------------------------------------------- indicator systems

def test_system_versions_increment_and_identical_save_is_unchanged(store):
    from riskcore.system import default_system

    s1 = default_system("committee")
    v1 = store.save_system(s1, author="王经理", comment="first draft")
    assert (v1.name, v1.version, v1.author, v1.comment, v1.unchanged) == ("committee", 1, "王经理", "first draft", False)
    assert str(v1.created_at.tz) == "UTC"
    again = store.save_system(s1, author="someone else", comment="pressed save twice")
    assert (again.version, again.author, again.comment, again.unchanged) == (1, "王经理", "first draft", True)
    assert again.created_at == v1.created_at
    s2 = s1.with_setting("roa", direction="cost")
    v2 = store.save_system(s2, author="李", comment="ROA as cost")
    assert (v2.version, v2.unchanged) == (2, False)
    v3 = store.save_system(s1, author="李", comment="back to the draft")  # history only grows
    assert v3.version == 3
    other = store.save_system(default_system("other").with_setting("roa", enabled=False), author="赵")
    assert other.version == 1

    assert store.load_system("committee") == s1
    assert store.load_system("committee", 2) == s2
    assert store.load_system("committee", 1) == s1

    table = store.systems()
    assert list(table.columns) == ["name", "version", "author", "created_at", "comment", "indicators_enabled"]
    assert table[["name", "version"]].values.tolist() == [["other", 1], ["committee", 3], ["committee", 2],
                                                          ["committee", 1]]
    assert table["indicators_enabled"].tolist() == [22, 23, 23, 23]
    assert str(table["created_at"].dt.tz) == "UTC"
    assert table["created_at"].is_monotonic_decreasing


def test_load_system_errors(store):
    from riskcore.system import default_system

    with pytest.raises(KeyError, match="no indicator system named 'nope' in the store"):
        store.load_system("nope")
    store.save_system(default_system("committee"), author="王")
    with pytest.raises(KeyError, match=r"indicator system 'committee' has no version 4 \(versions: 1\)"):
        store.load_system("committee", 4)
    with pytest.raises(ValueError, match="author"):
        store.save_system(default_system("committee"), author="  ")
    assert store.systems().empty is False and len(store.systems()) == 1


def test_old_store_file_gets_the_systems_table(tmp_path):
    import duckdb

    from riskcore.system import default_system

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))  # a store written before indicator systems existed
    con.execute("CREATE TABLE files (sha256 VARCHAR PRIMARY KEY, name VARCHAR, size BIGINT, content BLOB, "
                "stored_at TIMESTAMP DEFAULT current_timestamp)")
    con.execute("INSERT INTO files (sha256, name, size, content) VALUES ('abc', 'old.csv', 1, 'x')")
    con.close()
    store = LedgerStore(path)
    assert store.systems().empty
    assert store.file_bytes("abc") == b"x"
    rec = store.save_system(default_system(), author="王")
    assert rec.version == 1 and store.load_system("default") == default_system()
    assert LedgerStore(path).load_system("default") == default_system()  # reopening keeps it
