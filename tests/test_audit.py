"""The audit trail: who, when and the input hash of every save (issue #6 item 7)."""

import hashlib
import json

import duckdb
import pandas as pd
import pytest

from riskcore.audit import AuditEntry, canonical_json, payload_sha256
from riskcore.store import LedgerStore
from riskcore.system import default_system, to_json
from riskcore.warning import default_rules
from riskcore.warning import to_json as rules_to_json


def book(balance=(100.0, 50.0)):
    return pd.DataFrame({
        "snapshot_date": pd.to_datetime(["2024-06-30"] * 2),
        "branch_id": ["QD01"] * 2,
        "loan_id": ["JJ001", "JJ002"],
        "borrower_id": ["001", "002"],
        "balance": list(balance),
        "five_class": pd.array([1, 3], dtype="Int64"),
    })


@pytest.fixture
def store(tmp_path):
    return LedgerStore(tmp_path / "store.duckdb")


def test_payload_hash_and_canonical_json():
    assert payload_sha256("abc") == hashlib.sha256(b"abc").hexdigest() == payload_sha256(b"abc")
    assert canonical_json({"b": 1, "a": [1, "中"]}) == '{"a":[1,"中"],"b":1}'
    with pytest.raises(TypeError):
        payload_sha256(123)  # type: ignore[arg-type]


def test_saving_a_system_twice_records_one_entry_with_the_hash_of_the_saved_json(store):
    system = default_system("committee")
    first = store.save_system(system, author="王敏", comment="Q2 committee")
    again = store.save_system(system, author="李雷")
    assert again.unchanged
    log = store.audit_log()
    assert len(log) == 1
    row = log.iloc[0]
    assert (row["who"], row["action"], row["subject"]) == ("王敏", "save_system", f"committee v{first.version}")
    assert row["input_sha256"] == hashlib.sha256(to_json(system).encode("utf-8")).hexdigest()
    assert json.loads(row["detail"]) == {"version": 1, "comment": "Q2 committee"}
    assert row["at"] == first.created_at and str(row["at"].tz) == "UTC"


def test_rules_profiles_snapshots_and_exports_are_recorded_newest_first(store):
    rules = default_rules("rs")
    store.save_rules(rules, author="a")
    store.save_rules(rules, author="a")  # unchanged: nothing recorded
    store.save_profile(["借款人", "余额"], {"借款人": "borrower_id", "余额": "balance"}, name="QD01 layout", who="b")
    f = store.put_file(b"ledger v1", "a.csv")
    store.add_snapshot(f.sha256, "QD01", "2024-06-30", book(), who="c")
    store.add_snapshot(f.sha256, "QD01", "2024-06-30", book(), who="c")  # recognised: nothing recorded
    f2 = store.put_file(b"ledger v2", "b.csv")
    second = store.add_snapshot(f2.sha256, "QD01", "2024-06-30", book((1.0, 2.0)))  # old signature still works
    entry = store.record_audit("export", who="d", subject="watchlist 2024-06-30", payload=b"csv,bytes",
                               detail={"rows": 2})
    assert isinstance(entry, AuditEntry) and entry.input_sha256 == hashlib.sha256(b"csv,bytes").hexdigest()
    log = store.audit_log()
    assert log["action"].tolist() == ["export", "import_snapshot", "import_snapshot", "save_profile", "save_rules"]
    assert log["who"].tolist() == ["d", "", "c", "b", "a"]
    assert log.loc[1, "input_sha256"] == f2.sha256 and log.loc[2, "input_sha256"] == f.sha256
    assert log.loc[1, "subject"] == "QD01 2024-06-30"
    assert json.loads(log.loc[1, "detail"])["superseded"] == [second.superseded[0]]
    assert log.loc[4, "input_sha256"] == payload_sha256(rules_to_json(rules))
    assert store.audit_log(limit=2)["action"].tolist() == ["export", "import_snapshot"]
    assert store.counts() == {"files": 2, "uploads": 2, "snapshots": 2, "loans": 4, "mapping_profiles": 1}


def test_a_failed_add_snapshot_records_nothing(store, monkeypatch):
    with pytest.raises(KeyError):
        store.add_snapshot("0" * 64, "QD01", "2024-06-30", book(), who="x")
    f = store.put_file(b"x", "x.csv")
    with pytest.raises(ValueError):
        store.add_snapshot(f.sha256, "QD01", "2024-06-30", book().assign(colour="red"), who="x")
    bad = book().astype({"balance": "object"})
    bad.loc[1, "balance"] = "not a number"  # fails inside the transaction
    with pytest.raises(duckdb.Error):
        store.add_snapshot(f.sha256, "QD01", "2024-06-30", bad, who="x")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(LedgerStore, "_write_aggregates", staticmethod(boom))
    with pytest.raises(RuntimeError):
        store.add_snapshot(f.sha256, "QD01", "2024-06-30", book(), who="x")
    assert store.audit_log().empty
    assert store.counts()["snapshots"] == 0


def test_record_audit_rejects_a_blank_action(store):
    with pytest.raises(ValueError):
        store.record_audit(" ", who="a", subject="s", payload="p")
    assert store.audit_log().empty
