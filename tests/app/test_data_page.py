"""The data page driven through AppTest: uploads, statuses, import, mapping profiles,
problems and session isolation, checked against riskcore called directly."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from riskcore.ingest.pipeline import check_ledger
from riskcore.store import LedgerStore

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "data.py")
SAMPLES = ROOT / "sample_data"
GBK = "QD01_2024-12_贷款台账.csv"
ERRORS = "QD03_2024-12_loan_ledger_with_errors.csv"
CSV_MIME = "text/csv"


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "store.duckdb"
    monkeypatch.setenv("SME_RISK_STORE", str(path))
    return path


def _page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def _table(at: AppTest, first_column: str):
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def _upload(at: AppTest, *names: str) -> AppTest:
    files = [(name, (SAMPLES / name).read_bytes(), CSV_MIME) for name in names]
    return at.file_uploader(key="data_uploader").set_value(files).run()


def test_upload_keeps_every_file_and_imports_only_valid_books(store_path):
    at = _upload(_page(), GBK, ERRORS)
    assert not at.exception, [e.value for e in at.exception]
    files = _table(at, "File")
    assert files["Status"].tolist() == ["ready", "has errors"]
    assert files["Encoding"].tolist() == ["gb18030", "utf-8-sig"]
    expected = check_ledger((SAMPLES / GBK).read_bytes(), GBK)
    assert files["Rows"].iloc[0] == expected.rows
    store = LedgerStore(store_path)
    assert store.counts()["files"] == 2 and store.counts()["snapshots"] == 0  # bytes kept before any import

    at.button(key="data_import").click().run()
    assert not at.exception
    assert _table(at, "File")["Status"].tolist() == ["imported", "has errors"]
    snapshots = store.snapshots()
    assert snapshots[["branch_id", "status", "rows"]].values.tolist() == [["QD01", "active", expected.rows]]
    stored = _table(at, "Snapshot")
    assert stored["Branch"].tolist() == ["QD01"] and stored["Status"].tolist() == ["active"]


def test_problems_tab_lists_and_filters_every_issue(store_path):
    at = _upload(_page(), ERRORS)
    report = check_ledger((SAMPLES / ERRORS).read_bytes(), ERRORS)
    problems = _table(at, "Row")
    assert len(problems) == len(report.issues)
    counts = _table(at, "Problem")
    assert counts["Count"].sum() == len(report.issues)
    at.multiselect(key=f"data_f_problem_{_sha(ERRORS)}").set_value(["Not a number", "Negative amount"]).run()
    assert _table(at, "Row")["Row"].tolist() == ["9", "20"]
    at.multiselect(key=f"data_f_col_{_sha(ERRORS)}").set_value(["Outstanding balance"]).run()
    assert _table(at, "Row")["Column"].tolist() == ["Outstanding balance"] * 2
    assert [b.label for b in at.get("download_button")][:1] == [
        "Download annotated Excel (bad cells highlighted, problems sheet)"]


def test_corrected_mapping_saved_as_profile_maps_the_next_file(store_path):
    header = "数据日期,机构号,单据流水,客户号,客户名称,行业代码,贷款金额,贷款余额,发放日期,到期日期,担保方式,五级分类,逾期天数"
    row = "{d},QD01,JJ001,C001,青岛甲,C,100000,90000,2024-01-05,2025-01-05,信用,正常,0"
    november = f"{header}\n{row.format(d='2024-11-30')}\n".encode("gbk")
    december = f"{header}\n{row.format(d='2024-12-31')}\n".encode("gbk")
    at = _page()
    at.file_uploader(key="data_uploader").set_value([("nov.csv", november, CSV_MIME)]).run()
    assert _table(at, "File")["Status"].tolist() == ["has errors"]
    sha = _sha_bytes(november)
    table = at.data_editor(key=f"data_mapping_{sha}").value
    row = int(table.index[table["Original header"] == "单据流水"][0])
    at.session_state[f"data_mapping_{sha}"] = {
        "edited_rows": {row: {"Maps to": "loan_id · 借据号"}}, "added_rows": [], "deleted_rows": []}
    at.checkbox(key=f"data_save_{sha}").check().run()
    at.text_input(key=f"data_profile_name_{sha}").input("核心系统导出")
    at.button(key=f"data_apply_{sha}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _table(at, "File")["Status"].tolist() == ["ready"]
    profile = LedgerStore(store_path).find_profile(check_ledger(november, "nov.csv").headers)
    assert profile is not None and profile.name == "核心系统导出" and profile.mapping["单据流水"] == "loan_id"

    fresh = _page()  # another session, next month's file: mapped by the saved profile
    fresh.file_uploader(key="data_uploader").set_value([("dec.csv", december, CSV_MIME)]).run()
    assert _table(fresh, "File")["Status"].tolist() == ["ready"]
    assert any("核心系统导出" in c.value for c in fresh.caption)


def test_uploads_of_one_session_never_reach_another(store_path):
    first = _upload(_page(), ERRORS)
    assert _table(first, "File")["File"].tolist() == [ERRORS]
    second = _page()
    assert [i.value for i in second.info] == ["No file selected yet."]
    assert not any(d.value.columns[0] == "File" for d in second.dataframe)


def test_chinese_page_and_bundled_examples(store_path):
    at = _page("zh")
    at.pills(key="data_examples").set_value(["QD02_2024-11_贷款台账.xlsx"]).run()
    assert not at.exception, [e.value for e in at.exception]
    files = _table(at, "文件")
    assert files["格式"].tolist() == ["XLSX"] and files["状态"].tolist() == ["可导入"]
    assert files["数据日期"].tolist() == ["2024-11-30"]


def _sha(name: str) -> str:
    return _sha_bytes((SAMPLES / name).read_bytes())


def _sha_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_borrower_table_is_detected_and_imported_as_a_batch(store_path):
    at = _page()
    at.pills(key="data_examples").set_value(["QD01_2024_借款人财务报表.xlsx"]).run()
    assert not at.exception, [e.value for e in at.exception]
    files = _table(at, "File")
    assert files["Table"].tolist() == ["Borrower financials"] and files["Status"].tolist() == ["ready"]
    at.button(key="data_import").click().run()
    assert _table(at, "File")["Status"].tolist() == ["imported"]
    batches = LedgerStore(store_path).borrower_batches()
    assert batches["rows"].tolist() == [files["Rows"].iloc[0]]
    assert _table(at, "Batch")["Rows"].tolist() == [files["Rows"].iloc[0]]
