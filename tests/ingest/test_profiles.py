"""A corrected mapping saved as a profile maps next month's file of the same layout."""

import pandas as pd

from riskcore.ingest.pipeline import check_ledger, import_ledger
from riskcore.store import LedgerStore, layout_key

HEADER = "数据日期,机构号,单据流水,客户号,客户名称,行业代码,贷款金额,贷款余额,发放日期,到期日期,担保方式,五级分类,逾期天数,内部备注"


def ledger(as_of: str, balance: int) -> bytes:
    row = f"{as_of},QD01,JJ001,C001,青岛甲,C,100000,{balance},2024-01-05,2025-01-05,信用,正常,0,无"
    return f"{HEADER}\n{row}\n".encode("gbk")


def test_unknown_header_is_reported_until_a_profile_maps_it(tmp_path):
    store = LedgerStore(tmp_path / "s.duckdb")
    report, records = import_ledger(store, ledger("2024-11-30", 90000), "QD01_2024-11.csv")
    assert records == [] and [(i.code, i.canonical) for i in report.issues] == [("missing_column", "loan_id")]
    assert "单据流水" in report.mapping.unmapped

    saved = store.save_profile(report.headers, {"单据流水": "loan_id", "内部备注": ""}, name="青岛分行核心系统")
    assert saved.layout == layout_key(HEADER.split(","))

    december, records = import_ledger(store, ledger("2024-12-31", 80000), "QD01_2024-12.csv")
    assert december.profile == "青岛分行核心系统" and not december.issues
    assert december.mapping.columns["单据流水"] == "loan_id" and "内部备注" in december.mapping.unmapped
    assert [(r.branch_id, r.as_of, r.rows) for r in records] == [("QD01", pd.Timestamp("2024-12-31"), 1)]
    assert store.loans(records[0].id)["loan_id"].tolist() == ["JJ001"]


def test_profile_applies_only_to_the_same_layout(tmp_path):
    store = LedgerStore(tmp_path / "s.duckdb")
    store.save_profile(HEADER.split(","), {"单据流水": "loan_id"}, name="v1")
    reordered = ",".join(reversed(HEADER.split(",")))
    assert store.find_profile(reordered.split(",")) is None
    assert check_ledger(ledger("2024-12-31", 1), "x.csv", profiles=store.find_profile).profile == "v1"
    # An explicit mapping wins over the saved one.
    explicit = check_ledger(ledger("2024-12-31", 1), "x.csv", profile={"单据流水": "contract_id"},
                            profiles=store.find_profile)
    assert explicit.profile is None and explicit.mapping.columns["单据流水"] == "contract_id"


def test_saving_again_replaces_the_profile(tmp_path):
    store = LedgerStore(tmp_path / "s.duckdb")
    store.save_profile(["a", "b"], {"a": "loan_id"}, name="old")
    store.save_profile(["a", "b"], {"a": "contract_id"}, name="new")
    found = store.find_profile(["a", "b"])
    assert found is not None and (found.name, found.mapping) == ("new", {"a": "contract_id"})
    assert store.counts()["mapping_profiles"] == 1 and store.profiles()["headers"].tolist() == [2]
