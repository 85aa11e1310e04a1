"""python -m riskcore validate / import, end to end on files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from riskcore.__main__ import main
from riskcore.store import LedgerStore

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = ROOT / "sample_data" / "QD01_2024-12_贷款台账.csv"

HEADER = "数据日期,机构号,借据号,客户号,客户名称,行业代码,贷款金额,贷款余额（万元）,发放日期,到期日期,担保方式,五级分类,逾期天数"


def ledger(tmp_path: Path, name: str, rows: list[str], total: str | None = None) -> Path:
    lines = ["青岛市北支行贷款台账", HEADER, *rows] + ([total] if total else [])
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    return path


GOOD = [
    "2024-06-30,QD02,JJ1,001,甲,C,1000000,80,2023/6/30,2025/6/30,信用,正常,0",
    "2024-06-30,QD02,JJ2,002,乙,F,500000,50,2024/1/5,2025/1/5,抵押,关注,10",
]


def run_json(args: list[str], capsys) -> tuple[int, list[dict]]:
    code = main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_validate_bundled_ledger_json(capsys):
    code, [d] = run_json(["validate", str(SAMPLE_CSV)], capsys)
    assert code == 0
    assert (d["file"], d["encoding"], d["sheet"], d["header_row"], d["rows"]) == (SAMPLE_CSV.name, "gb18030", None, 2, 2898)
    assert d["dropped_rows"] == [{"row": 2901, "reason": "total_row", "label": "合计"}]
    assert d["issues"] == []
    assert {r["field"] for r in d["reconciliation"]} >= {"balance", "loan_amount"}
    assert all(r["matches"] for r in d["reconciliation"])
    assert d["sums"]["balance"] == pytest.approx(2_677_682_321.09)


def test_units_and_reconciliation_that_does_not_add_up(tmp_path, capsys):
    path = ledger(tmp_path, "qd02.csv", GOOD, total="合计,,,,,,1500000,131,,,,,")
    code, [d] = run_json(["validate", str(path)], capsys)
    assert code == 0 and d["sums"]["balance"] == 1_300_000.0  # 万元 -> yuan
    assert d["units"] == {"贷款余额（万元）": "万元"}
    rec = {r["field"]: r for r in d["reconciliation"]}
    assert rec["loan_amount"]["matches"]
    assert not rec["balance"]["matches"] and rec["balance"]["difference"] == -10_000.0


def test_errors_exit_one_and_name_row_and_column(tmp_path, capsys):
    path = ledger(tmp_path, "bad.csv", [GOOD[0], "2024-06-30,QD02,JJ1,003,丙,C,abc,5,2024/13/1,2025/1/1,信用,优,0"])
    code, [d] = run_json(["validate", str(path), "--lang", "en"], capsys)
    assert code == 1
    found = {(i["row"], i["column"], i["code"]) for i in d["issues"]}
    assert found == {(4, "借据号", "duplicate_loan_id"), (4, "贷款金额", "bad_number"),
                     (4, "发放日期", "bad_date"), (4, "五级分类", "unknown_class")}
    msg = next(i["message"] for i in d["issues"] if i["code"] == "bad_number")
    assert msg == "bad.csv, row 4, column '贷款金额': 'abc' is not a number"


@pytest.mark.parametrize(("content", "code"), [(b"", "empty_file"), (b"\x89PNG\r\n\x1a\n" + bytes(300), "binary_not_table"),
                                               (b"PK\x03\x04truncated", "damaged_xlsx")])
def test_unreadable_files_are_reported_not_crashes(tmp_path, capsys, content, code):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(content)
    exit_code, [d] = run_json(["validate", str(path)], capsys)
    assert exit_code == 1 and [i["code"] for i in d["issues"]] == [code]
    assert d["issues"][0]["message"].startswith("ledger.xlsx")


def test_import_stores_recognises_and_supersedes(tmp_path, capsys):
    store_path = tmp_path / "store.duckdb"
    v1 = ledger(tmp_path, "qd02_v1.csv", GOOD)
    code, [d] = run_json(["import", str(v1), "--store", str(store_path)], capsys)
    assert code == 0 and d["snapshots"][0]["rows"] == 2 and not d["snapshots"][0]["recognised"]
    code, [d] = run_json(["import", str(v1), "--store", str(store_path)], capsys)
    assert d["snapshots"][0]["recognised"]
    v2 = ledger(tmp_path, "qd02_v2.csv", [GOOD[0], GOOD[1].replace(",50,", ",45,")])
    code, [d] = run_json(["import", str(v2), "--store", str(store_path)], capsys)
    first_id = 1
    assert d["snapshots"][0]["superseded"] == [first_id]
    snaps = LedgerStore(store_path).snapshots()
    assert snaps["status"].tolist() == ["superseded", "active"]


def test_import_of_a_bad_file_keeps_the_bytes_and_changes_no_snapshot(tmp_path, capsys):
    store_path = tmp_path / "store.duckdb"
    run_json(["import", str(ledger(tmp_path, "ok.csv", GOOD)), "--store", str(store_path)], capsys)
    before = LedgerStore(store_path).counts()
    bad = ledger(tmp_path, "bad.csv", [GOOD[0].replace(",0\n", ",x\n").replace("信用", "不知道")])
    code, [d] = run_json(["import", str(bad), "--store", str(store_path)], capsys)
    assert code == 1 and d["snapshots"] == []
    after = LedgerStore(store_path).counts()
    assert (after["snapshots"], after["loans"]) == (before["snapshots"], before["loans"])
    assert (after["files"], after["uploads"]) == (before["files"] + 1, before["uploads"] + 1)


def test_module_entry_point_runs(tmp_path):
    out = subprocess.run([sys.executable, "-m", "riskcore", "validate", str(SAMPLE_CSV)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "2898 rows loaded" in out.stdout and "matches" in out.stdout
