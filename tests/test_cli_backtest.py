"""python -m riskcore backtest: figures on a small generated borrower table against an
independent computation written here (entropy weights and GRA grades in plain numpy, AUC by
brute force over all pairs, KS over distinct values, quintile bands by sorting), and exit
status 2 with a message naming the column on bad arguments."""

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
DIRECTIONS = {"current_ratio": "benefit", "leverage": "cost", "overdue_count": "cost"}
SPEC = "current_ratio:benefit,leverage:cost,overdue_count:cost"


@pytest.fixture()
def table(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    rng = np.random.default_rng(42)
    n = 120
    cr = rng.gamma(2.0, 0.7, n).round(2)
    lev = rng.uniform(0.2, 0.9, n).round(3)
    overdue = rng.poisson(1.0, n)  # many ties
    logit = -1.5 + 1.5 * lev - 0.8 * cr + 0.5 * overdue
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"borrower_id": [f"B{i:03d}" for i in range(n)], "current_ratio": cr, "leverage": lev,
                          "overdue_count": overdue, "defaulted": y})
    path = tmp_path / "borrowers.csv"
    frame.to_csv(path, index=False)
    return path, frame


def independent_grade(frame: pd.DataFrame, weighting: str) -> np.ndarray:
    """Min-max normalise, entropy weights with 0·ln 0 = 0, Deng GRA (rho 0.5, ideal = 1)."""
    z = np.empty((len(frame), len(DIRECTIONS)))
    for j, (col, d) in enumerate(DIRECTIONS.items()):
        x = frame[col].to_numpy(float)
        z[:, j] = (x - x.min()) / (x.max() - x.min()) if d == "benefit" else (x.max() - x) / (x.max() - x.min())
    if weighting == "entropy":
        p = z / z.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(p > 0, p * np.log(p), 0.0)
        e = -plogp.sum(axis=0) / np.log(len(frame))
        w = (1 - e) / (1 - e).sum()
    else:
        w = np.full(z.shape[1], 1 / z.shape[1])
    delta = 1 - z
    xi = (delta.min() + 0.5 * delta.max()) / (delta + 0.5 * delta.max())
    return xi @ w


def pair_auc(risk: np.ndarray, y: np.ndarray) -> float:
    d, nd = risk[y == 1], risk[y == 0]
    total = 0.0
    for a in d:
        for b in nd:
            total += 1.0 if a > b else 0.5 if a == b else 0.0
    return total / (len(d) * len(nd))


def distinct_ks(risk: np.ndarray, y: np.ndarray) -> float:
    best = 0.0
    for t in np.unique(risk):
        best = max(best, abs(np.mean(risk[y == 1] <= t) - np.mean(risk[y == 0] <= t)))
    return best


def sorted_bands(risk: np.ndarray, y: np.ndarray) -> list[tuple[int, int]]:
    """(n, defaults) per quintile, safest first; no ties in the grade, so plain positions."""
    order = np.argsort(risk, kind="stable")
    return [(len(chunk), int(y[chunk].sum())) for chunk in np.array_split(order, 5)]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["backtest", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("weighting", ["entropy", "equal"])
def test_figures_match_an_independent_computation(table, capsys, weighting):
    path, frame = table
    doc = run_json(capsys, str(path), "--default", "defaulted", "--indicators", SPEC, "--weights", weighting)
    y = frame["defaulted"].to_numpy()
    assert doc["borrowers"] == 120 and doc["defaults"] == int(y.sum())
    grade = independent_grade(frame, weighting)
    scores = {s["score"]: s for s in doc["scores"]}
    assert list(scores) == ["grade", *DIRECTIONS]
    g = scores["grade"]
    assert g["auc"] == pytest.approx(pair_auc(-grade, y), abs=1e-12)
    assert g["gini"] == pytest.approx(2 * pair_auc(-grade, y) - 1, abs=1e-12)
    assert g["ks"] == pytest.approx(distinct_ks(-grade, y), abs=1e-12)
    assert g["auc_ci"][0] < g["auc"] < g["auc_ci"][1]
    assert [(b["n"], b["defaults"]) for b in g["bands"]] == sorted_bands(-grade, y)
    assert [b["band"] for b in g["bands"]] == ["A", "B", "C", "D", "E"]
    for col, direction in DIRECTIONS.items():
        x = frame[col].to_numpy(float)
        risk = x if direction == "cost" else -x
        assert scores[col]["auc"] == pytest.approx(pair_auc(risk, y), abs=1e-12)
        assert scores[col]["ks"] == pytest.approx(distinct_ks(risk, y), abs=1e-12)
        assert sum(b["n"] for b in scores[col]["bands"]) == 120


def test_text_output_names_the_figures(table, capsys):
    path, _ = table
    assert main(["backtest", str(path), "--default", "defaulted", "--indicators", SPEC]) == 0
    out = capsys.readouterr().out
    for word in ("grade (higher = safer)", "auc ", "auc_ci", "gini", "ks ", "default rate by band", "leverage (cost)"):
        assert word in out


def test_bootstrap_ci(table, capsys):
    path, _ = table
    doc = run_json(capsys, str(path), "--default", "defaulted", "--indicators", SPEC, "--ci", "bootstrap",
                   "--resamples", "200")
    assert doc["scores"][0]["auc_ci_method"] == "bootstrap"


@pytest.mark.parametrize("args, message", [
    (["--default", "nope", "--indicators", SPEC], "no column 'nope'"),
    (["--default", "defaulted", "--indicators", "missing:cost"], "no column 'missing'"),
    (["--default", "defaulted", "--indicators", "leverage:up"], "direction of column 'leverage'"),
    (["--default", "defaulted", "--indicators", "leverage"], "give the direction of column 'leverage'"),
    (["--default", "defaulted", "--indicators", "borrower_id:cost"], "column 'borrower_id' has 120 empty or non-numeric"),
    (["--default", "leverage", "--indicators", "current_ratio:benefit"], "column 'leverage' must hold 0/1"),
])
def test_bad_arguments_exit_2_naming_the_column(table, capsys, args, message):
    path, _ = table
    assert main(["backtest", str(path), *args]) == 2
    assert message in capsys.readouterr().err


def test_no_defaults_and_missing_cells_exit_2(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("id,a,d\n1,1.0,0\n2,2.0,0\n3,3.0,0\n")
    assert main(["backtest", str(path), "--default", "d", "--indicators", "a:cost"]) == 2
    assert "column 'd' has no defaults" in capsys.readouterr().err
    path.write_text("id,a,d\n1,1.0,0\n2,,1\n3,3.0,0\n")
    assert main(["backtest", str(path), "--default", "d", "--indicators", "a:cost"]) == 2
    assert "column 'a' has 1 empty or non-numeric cells (first at row 3" in capsys.readouterr().err
    path.write_text("id,a,d\n1,1.0,0\n2,2.0,1\n3,3.0,0\n")
    assert main(["backtest", str(path), "--default", "d"]) == 2
    assert "none of the columns is an indicator of the default system" in capsys.readouterr().err


def test_default_system_names_take_their_direction(tmp_path, capsys):
    rng = np.random.default_rng(1)
    n = 50
    frame = pd.DataFrame({"current_ratio": rng.uniform(0.5, 2, n), "asset_liability_ratio": rng.uniform(0.2, 0.9, n),
                          "d": (rng.uniform(size=n) < 0.3).astype(int)})
    frame.loc[0, "d"], frame.loc[1, "d"] = 1, 0
    path = tmp_path / "t.xlsx"
    frame.to_excel(path, index=False)
    doc = run_json(capsys, str(path), "--default", "d")
    assert {s["score"]: s["direction"] for s in doc["scores"][1:]} == {
        "current_ratio": "benefit", "asset_liability_ratio": "cost"}
    risk = frame["asset_liability_ratio"].to_numpy()
    assert doc["scores"][2]["auc"] == pytest.approx(pair_auc(risk, frame["d"].to_numpy()))


def test_module_entry_point(table):
    path, _ = table
    result = subprocess.run([sys.executable, "-m", "riskcore", "backtest", str(path), "--default", "x"],
                            check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "no column 'x'" in result.stderr
