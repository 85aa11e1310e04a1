"""python -m riskcore portfolio: figures of the bundled ledger against an independent pandas
computation (raw CSV read here, not through riskcore), groups, rule sets, files with errors,
undefined ratios, and the stored snapshots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcore.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CSV = ROOT / "sample_data" / "QD01_2024-12_贷款台账.csv"
BAD_CSV = ROOT / "sample_data" / "QD03_2024-12_loan_ledger_with_errors.csv"
CLASS_CODES = {"正常": 1, "关注": 2, "次级": 3, "可疑": 4, "损失": 5}
LADDERS = {"2023": (1, 91, 271, 361), "pre2023": (1, 91, 181, 361), "card": (1, 91, 121, 181)}


def independent(rules: str = "2023", group: str | None = None) -> pd.DataFrame:
    """The figures straight from the CSV with pandas: GB18030, title on line 1, 合计 row dropped,
    final class = max(reported, DPD floor) with the ladder written out here."""
    raw = pd.read_csv(SAMPLE_CSV, encoding="gb18030", skiprows=1, dtype=str)
    raw = raw.loc[raw["数据日期"] != "合计"]
    balance = raw["贷款余额"].astype(float)
    dpd = raw["逾期天数"].astype(float).fillna(0)
    reported = raw["五级分类"].map(CLASS_CODES)
    floor = 1 + sum((dpd >= t).astype(int) for t in LADDERS[rules])
    final = np.maximum(reported.fillna(0), floor)
    frame = pd.DataFrame({
        "group": raw["行业代码"] if group == "industry" else "all",
        "balance": balance,
        "npl": balance.where(final >= 3, 0.0),
        "sm": balance.where(final == 2, 0.0),
        "provision": raw["贷款损失准备"].astype(float).fillna(0.0),
        "exception": reported.notna() & (reported < floor),
    })
    sums = frame.groupby("group").sum()
    sums["npl_ratio"] = sums["npl"] / sums["balance"]
    sums["special_mention_ratio"] = sums["sm"] / sums["balance"]
    sums["provision_coverage"] = sums["provision"] / sums["npl"].where(sums["npl"] > 0)
    sums["loan_provision_ratio"] = sums["provision"] / sums["balance"]
    sums["loans"] = frame.groupby("group").size()
    return sums


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["portfolio", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def _check(d: dict, want: pd.Series) -> None:
    assert d["loans"] == want["loans"]
    assert d["balance"] == pytest.approx(want["balance"], abs=0.01)
    assert d["npl_balance"] == pytest.approx(want["npl"], abs=0.01)
    assert d["provisions"] == pytest.approx(want["provision"], abs=0.01)
    assert d["exceptions"] == want["exception"]
    for name in ("npl_ratio", "special_mention_ratio", "loan_provision_ratio"):
        assert d[name] == pytest.approx(want[name], rel=1e-9), name
    if want["npl"] > 0:
        assert d["provision_coverage"] == pytest.approx(want["provision_coverage"], rel=1e-9)
    else:
        assert d["provision_coverage"] is None and d["undefined"]["provision_coverage"] == "no_npl"


def test_bundled_ledger_json_equals_an_independent_pandas_computation(capsys) -> None:
    code, doc = run([str(SAMPLE_CSV)], capsys)
    assert code == 0
    assert (doc["source"], doc["rules"], doc["by"], doc["debtor_rule"]) == ("files", "2023", [], False)
    assert doc["files"] == [{"file": SAMPLE_CSV.name, "rows": 2898, "errors": 0, "warnings": 0, "issues": []}]
    [d] = doc["snapshots"]
    assert d["as_of"] == "2024-12-31" and "group" not in d
    assert list(d)[:10] == ["as_of", "loans", "balance", "npl_balance", "npl_ratio", "special_mention_ratio",
                            "provisions", "provision_coverage", "loan_provision_ratio", "exceptions"]
    want = independent().loc["all"]
    assert want["balance"] == pytest.approx(2_677_682_321.09)
    _check(d, want)
    assert d["undefined"] == {}
    # the identity holds on what the command prints
    assert d["loan_provision_ratio"] / d["provision_coverage"] == pytest.approx(d["npl_ratio"], rel=1e-12)


@pytest.mark.parametrize("rules", ["pre2023", "card"])
def test_rule_sets(capsys, rules: str) -> None:
    code, doc = run([str(SAMPLE_CSV), "--rules", rules], capsys)
    assert code == 0 and doc["rules"] == rules
    _check(doc["snapshots"][0], independent(rules).loc["all"])


def test_by_branch_and_industry(capsys) -> None:
    code, doc = run([str(SAMPLE_CSV), "--by", "branch,industry"], capsys)
    assert code == 0 and doc["by"] == ["branch_id", "industry_code"]
    want = independent(group="industry")
    got = {d["group"]["industry_code"]: d for d in doc["snapshots"]}
    assert {d["group"]["branch_id"] for d in doc["snapshots"]} == {"QD01"}
    assert sorted(got) == sorted(want.index)
    for industry, d in got.items():
        _check(d, want.loc[industry])


def test_a_file_with_errors_exits_one_and_is_left_out(capsys) -> None:
    code, doc = run([str(SAMPLE_CSV), str(BAD_CSV), "--lang", "en"], capsys)
    assert code == 1
    bad = doc["files"][1]
    assert bad["file"] == BAD_CSV.name and bad["errors"] > 0 and len(bad["issues"]) == bad["errors"]
    assert all(i["severity"] == "error" and i["message"].startswith(BAD_CSV.name) for i in bad["issues"])
    [d] = doc["snapshots"]  # QD01 alone: the QD03 file is not analysed
    _check(d, independent().loc["all"])


def test_unknown_group_column_is_a_usage_error(capsys) -> None:
    assert main(["portfolio", str(SAMPLE_CSV), "--by", "colour"]) == 2
    assert "--by: the loans have no column colour" in capsys.readouterr().err


HEADER = "数据日期,机构号,借据号,客户号,客户名称,行业代码,贷款金额,贷款余额,发放日期,到期日期,担保方式,五级分类,逾期天数"


def test_undefined_ratios_are_null_in_json_and_a_dash_with_the_reason_in_text(tmp_path, capsys) -> None:
    rows = ["2024-06-30,QD02,JJ1,001,甲,C,1000000,800000,2023/6/30,2025/6/30,信用,正常,0",
            "2024-06-30,QD02,JJ2,002,乙,F,500000,200000,2024/1/5,2025/1/5,抵押,关注,10"]
    path = tmp_path / "qd02.csv"
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("gbk"))
    code, doc = run([str(path)], capsys)
    [d] = doc["snapshots"]
    assert code == 0 and d["npl_ratio"] == 0.0 and d["special_mention_ratio"] == pytest.approx(0.2)
    assert d["provisions"] is None and d["provision_coverage"] is None and d["loan_provision_ratio"] is None
    assert d["undefined"] == {"provisions": "no_provision_column", "provision_coverage": "no_provision_column",
                              "loan_provision_ratio": "no_provision_column"}
    assert main(["portfolio", str(path)]) == 0
    out = capsys.readouterr().out
    assert "  provision_coverage      — (no_provision_column)" in out
    assert "  npl_ratio               0.00%" in out
    assert "nan" not in out.lower() and "inf" not in out.lower()


def test_without_files_it_reads_the_stored_snapshots(tmp_path, capsys, monkeypatch) -> None:
    store = tmp_path / "store.duckdb"
    monkeypatch.setenv("SME_RISK_STORE", str(store))
    assert main(["import", str(SAMPLE_CSV), "--json"]) == 0
    capsys.readouterr()
    code, doc = run([], capsys)
    assert code == 0 and doc["source"] == "store" and doc["files"] == []
    [d] = doc["snapshots"]
    _check(d, independent().loc["all"])
    code, other = run(["--store", str(tmp_path / "empty.duckdb")], capsys)
    assert code == 0 and other["snapshots"] == []


def test_module_entry_point_prints_text() -> None:
    out = subprocess.run([sys.executable, "-m", "riskcore", "portfolio", str(SAMPLE_CSV)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert "2024-12-31" in out.stdout and "npl_ratio" in out.stdout and "exceptions" in out.stdout
