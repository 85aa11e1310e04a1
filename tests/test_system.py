"""Tests of the indicator system as a configuration: formulas, validation, JSON, and the
matrix built from a system (per-indicator direction, bounds and missing-value policy)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcore.formula import FORMULA_FIELDS, LOAN_FORMULA_FIELDS, FormulaError, parse_formula
from riskcore.indicators import CRITERIA, DEFAULT_INDICATORS, applicable_financials, build_indicator_matrix
from riskcore.ingest.borrowers import BORROWER_FIELDS
from riskcore.ingest.schema import LOAN_FIELDS
from riskcore.sample import load_sample
from riskcore.system import (
    IndicatorSetting,
    IndicatorSystem,
    affected_borrowers,
    default_system,
    from_json,
    to_json,
)

AS_OF = pd.Timestamp("2024-12-31")


# ---------------------------------------------------------------- a hand-made 4-borrower book


@pytest.fixture()
def loans() -> pd.DataFrame:
    def loan(lid: str, bid: str, industry: str, balance: float, overdue: float, dpd: int) -> dict[str, object]:
        return {"snapshot_date": AS_OF, "branch_id": "QD01", "loan_id": lid, "borrower_id": bid,
                "borrower_name": f"firm-{bid}", "industry_code": industry, "balance": balance, "dpd": dpd,
                "five_class": 1, "guarantee_type": "credit", "collateral_value": 0.0,
                "overdue_principal": overdue}
    rows = [
        loan("L1", "B1", "C", 100.0, 0.0, 0),
        loan("L2", "B1", "C", 50.0, 10.0, 35),
        loan("L3", "B2", "C", 80.0, np.nan, 0),   # overdue_principal not reported
        loan("L4", "B3", "F", 60.0, 0.0, 0),
        loan("L5", "B4", "F", 40.0, 0.0, 5),
    ]
    frame = pd.DataFrame(rows)
    frame["snapshot_date"] = frame["snapshot_date"].astype("datetime64[us]")
    return frame


@pytest.fixture()
def borrowers() -> pd.DataFrame:
    def fin(bid: str, **kw: object) -> dict[str, object]:
        base: dict[str, object] = {"borrower_id": bid, "report_period": 2023, "total_assets": 1000.0,
                                   "total_liabilities": 500.0, "revenue": 500.0, "net_profit": 50.0,
                                   "tax_credit_rating": "A", "top_customer_share": 0.2}
        base.update(kw)
        return base
    return pd.DataFrame([
        fin("B1"),                                                        # roa 0.05, tax 5, share 0.2
        fin("B2", net_profit=20.0, tax_credit_rating=None, top_customer_share=0.6),  # roa 0.02, tax missing
        fin("B3", net_profit=-10.0, tax_credit_rating="C", top_customer_share=np.nan),  # roa -0.01, share missing
        fin("B4", total_assets=0.0, revenue=0.0, net_profit=30.0, tax_credit_rating="B",
            top_customer_share=0.4),                                      # roa undefined (TA = 0), tax 4
    ])


def small_system(**policies: str) -> IndicatorSystem:
    """tax_credit_score (benefit), customer_concentration (cost), roa (benefit), each with
    the given policy (default industry_median)."""
    base = default_system("small")
    settings = [
        s if s.key not in policies else IndicatorSetting(**{**_fields(s), "missing": policies[s.key]})
        for s in base.indicators if s.key in ("tax_credit_score", "customer_concentration", "roa")
    ]
    return IndicatorSystem("small", CRITERIA, tuple(settings))


def _fields(s: IndicatorSetting) -> dict[str, object]:
    return {f: getattr(s, f) for f in ("key", "criterion", "direction", "enabled", "missing", "unit", "source",
                                       "formula", "bounds")}


# ---------------------------------------------------------------- formulas


def test_formula_fields_are_the_canonical_numeric_columns() -> None:
    numeric = {f.name for f in BORROWER_FIELDS if f.kind in ("amount", "int", "share", "number")}
    loan_amounts = {f.name for f in LOAN_FIELDS if f.kind == "amount"}
    assert set(FORMULA_FIELDS) == numeric | set(LOAN_FORMULA_FIELDS)
    assert set(LOAN_FORMULA_FIELDS) == loan_amounts | {"loan_count", "max_dpd"}


def test_parse_formula_fields_and_evaluation() -> None:
    f = parse_formula("max(net_profit / revenue, log(revenue) - 10) + abs(-min(balance, 2))")
    assert f.fields == ("net_profit", "revenue", "balance")
    values = {"net_profit": np.array([1.0, 2.0, np.nan, 3.0, 5.0]),
              "revenue": np.array([10.0, 0.0, 5.0, -1.0, np.exp(11.0)]),
              "balance": np.array([1.0, 1.0, 1.0, 1.0, 3.0])}
    out = f.evaluate(values, 5)
    # row 0: max(0.1, log 10 − 10) + 1; row 1: 2/0 undefined; row 2: field missing;
    # row 3: log(−1) undefined → max(...) missing; row 4: max(5/e^11, 1) + 2.
    np.testing.assert_allclose(out, [1.1, np.nan, np.nan, np.nan, 3.0])


def test_formula_non_finite_results_are_missing() -> None:
    f = parse_formula("revenue * 1e308 * 10")
    assert np.isnan(f.evaluate({"revenue": np.array([1.0])}, 1)).all()


def test_formula_accepts_line_breaks_and_full_width_input() -> None:
    assert parse_formula("（net_profit）／\nrevenue").fields == ("net_profit", "revenue")
    assert parse_formula("  revenue").text == "  revenue"


@pytest.mark.parametrize(("text", "message", "column"), [
    ("__import__('os')", "unknown function '__import__' at column 1", 1),
    ("revenue.real", "attribute access '.real' at column 8 is not allowed", 8),
    ("revenue ** 2", "operator '**' is not allowed (use + - * /): '**' at column 9", 9),
    ("revenue // 2", "operator '//' is not allowed (use + - * /): '//' at column 9", 9),
    ("revenue % 2", "operator '%' is not allowed (use + - * /): '%' at column 9", 9),
    ("net_profit / revnue", "unknown field 'revnue' at column 14; did you mean 'revenue'?", 14),
    ("revenue < 1", "comparisons are not allowed: '<' at column 9", 9),
    ("revenue['x']", "indexing with [ ] is not allowed: '[' at column 8", 8),
    ("(revenue", "'(' at column 1 is never closed", 1),
    ("revenue)", "')' at column 8 has no matching '('", 8),
    ("revenue +", "the formula ends unexpectedly after '+'", 9),
    ("revenue revenue", "cannot read the formula at column 9 near 'revenue'", 9),
    ("2revenue", "'2revenue' at column 1 is not a number or a field name (write e.g. 2 * revenue)", 1),
    ("log", "'log' at column 1 is a function: write log(...)", 1),
    ("  abs(revenue, 1)", "abs() at column 3 takes 1 argument, got 2", 3),
    ("min(revenue)", "min() at column 1 takes 2 or more arguments, got 1", 1),
    ("revenue(2)", "'revenue' at column 1 cannot be called; functions: abs, min, max, log", 1),
    ("revenue, 1", "'revenue, 1' at column 1: ',' separates function arguments only", 1),
    ("1 + 2", "the formula reads no field: a constant says nothing about borrowers", 0),
    ("净利润 / revenue", "unknown field '净利润' at column 1", 1),
    ("", "the formula is empty", 0),
])
def test_parse_formula_rejects_with_token_and_column(text: str, message: str, column: int) -> None:
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    assert str(info.value) == message
    assert info.value.column == column
    assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------- settings and systems


def test_default_system_is_domain_3_2() -> None:
    s = default_system()
    assert s.criteria == CRITERIA
    assert [(i.key, i.criterion, i.direction, i.unit, i.source) for i in s.indicators] == [
        (i.key, i.criterion, i.direction, i.unit, i.source) for i in DEFAULT_INDICATORS]
    assert all(i.enabled and i.missing == "industry_median" and i.formula is None for i in s.indicators)
    assert len(s.enabled) == 23
    assert s.setting("roa").effective_bounds == (-1.0, 1.0)


def test_with_setting_returns_a_new_validated_system() -> None:
    s = default_system()
    t = s.with_setting("roa", direction="cost", criterion="owner", enabled=False)
    assert s.setting("roa").direction == "benefit"  # unchanged
    assert (t.setting("roa").direction, t.setting("roa").criterion, t.setting("roa").enabled) == ("cost", "owner", False)
    assert len(t.enabled) == 22 and "roa" not in [i.key for i in t.enabled]
    with pytest.raises(KeyError, match="no indicator 'nope' in system 'default'"):
        s.with_setting("nope", enabled=False)
    with pytest.raises(ValueError, match=r"indicator 'roa', direction: 'up' is not benefit or cost"):
        s.with_setting("roa", direction="up")


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(key="roa", criterion="financial", direction="up"), "indicator 'roa', direction: 'up' is not benefit or cost"),
    (dict(key="roa", criterion="financial", direction="cost", missing="drop"),
     "indicator 'roa', missing: 'drop' is not one of industry_median, exclude, worst"),
    (dict(key="1roa", criterion="financial", direction="cost", formula="revenue"),
     "indicator '1roa', key: '1roa' is not a valid identifier (letters, digits and _, not starting with a digit)"),
    (dict(key="margin", criterion="financial", direction="benefit"),
     "indicator 'margin', formula: None, but 'margin' is not a built-in indicator; give a formula"),
    (dict(key="roa", criterion="financial", direction="benefit", formula="net_profit / total_assets"),
     "indicator 'roa', formula: 'roa' is a built-in indicator; give the formula indicator another key"),
    (dict(key="margin", criterion="financial", direction="benefit", formula="net_profit ** 2"),
     "indicator 'margin', formula: operator '**' is not allowed (use + - * /): '**' at column 12"),
    (dict(key="roa", criterion="financial", direction="benefit", bounds=(1.0, 1.0)),
     "indicator 'roa', bounds: lower bound 1.0 is not below upper bound 1.0"),
    (dict(key="roa", criterion="financial", direction="benefit", enabled="yes"),
     "indicator 'roa', enabled: expected true or false, got 'yes'"),
])
def test_setting_validation_names_key_and_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        IndicatorSetting(**kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_system_validation() -> None:
    roa = IndicatorSetting("roa", "financial", "benefit")
    with pytest.raises(ValueError, match=r"^indicator 'roa', key: 'roa' repeats indicators\[0\]$"):
        IndicatorSystem("x", ("financial",), (roa, roa))
    with pytest.raises(ValueError, match=r"^indicator 'roa', criterion: 'financial' is not one of the criteria \(owner\)$"):
        IndicatorSystem("x", ("owner",), (roa,))
    with pytest.raises(ValueError, match=r"^indicators: no indicator is enabled; at least one is needed to rank"):
        IndicatorSystem("x", ("financial",), (IndicatorSetting("roa", "financial", "benefit", enabled=False),))
    with pytest.raises(ValueError, match=r"^criteria\[1\]: 'financial' repeats criteria\[0\]$"):
        IndicatorSystem("x", ("financial", "financial"), (roa,))
    with pytest.raises(ValueError, match=r"^name: must not be empty$"):
        IndicatorSystem(" ", ("financial",), (roa,))
    one = IndicatorSystem("x", ["financial"], [roa])  # lists become tuples
    assert one.criteria == ("financial",) and one.indicators == (roa,)
    with pytest.raises(ValueError, match="no indicator is enabled"):
        one.with_setting("roa", enabled=False)


def test_bounds_are_normalised_to_floats() -> None:
    a = IndicatorSetting("roa", "financial", "benefit", bounds=(0, 1))
    assert a.bounds == (0.0, 1.0) and isinstance(a.bounds[0], float)
    assert a == IndicatorSetting("roa", "financial", "benefit", bounds=(0.0, 1.0))
    custom = IndicatorSetting("margin", "financial", "benefit", formula="net_profit / revenue")
    assert custom.effective_bounds == (-math.inf, math.inf)
    assert custom.parsed is not None and custom.parsed.fields == ("net_profit", "revenue")


# ---------------------------------------------------------------- JSON


def custom_system() -> IndicatorSystem:
    s = default_system("青岛分行 2025").with_setting("roa", direction="cost", missing="worst", bounds=(-0.5, math.inf))
    s = s.with_setting("tax_credit_score", missing="exclude", enabled=False)
    return s.with_indicator(IndicatorSetting(
        "overdue_share", "credit", "cost", missing="worst", unit="ratio", source="逾期本金 / 贷款余额",
        formula="overdue_principal / balance", bounds=(0.0, 1.0)))


def test_json_round_trip_is_exact() -> None:
    s = custom_system()
    text = to_json(s)
    back = from_json(text)
    assert back == s
    assert to_json(back) == text
    assert "青岛分行" in text  # ensure_ascii=False
    doc = json.loads(text)
    assert list(doc) == ["format", "version", "name", "criteria", "indicators"]
    assert doc["format"] == "sme-risk-indicator-system" and doc["version"] == 1
    roa = doc["indicators"][4]
    assert list(roa) == ["key", "criterion", "direction", "enabled", "missing", "unit", "source", "formula", "bounds"]
    assert roa["bounds"] == [-0.5, None]  # +inf written as null
    assert back.setting("roa").bounds == (-0.5, math.inf)
    assert to_json(default_system()) == to_json(from_json(to_json(default_system())))


def _doc() -> dict[str, object]:
    return json.loads(to_json(custom_system()))


def _mutated(change) -> str:  # type: ignore[no-untyped-def]
    doc = _doc()
    change(doc)
    return json.dumps(doc, ensure_ascii=False)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["indicators"][3].update(direction="up"), "indicators[3].direction: 'up' is not benefit or cost"),
    (lambda d: d["indicators"][0].pop("unit"), "indicators[0].unit: missing"),
    (lambda d: d["indicators"][0].update(colour="red"), "indicators[0].colour: unknown field"),
    (lambda d: d["indicators"][2].update(missing="drop"),
     "indicators[2].missing: 'drop' is not one of industry_median, exclude, worst"),
    (lambda d: d["indicators"][5].update(key="roa"), "indicators[5].key: 'roa' repeats indicators[4]"),
    (lambda d: d["indicators"][1].update(criterion="legal"),
     "indicators[1].criterion: 'legal' is not one of the criteria "
     "(financial, operational, market, credit, guarantee, compliance, owner)"),
    (lambda d: d["indicators"][23].update(formula="overdue_principal / balanse"),
     "indicators[23].formula: unknown field 'balanse' at column 21; did you mean 'balance'?"),
    (lambda d: d["indicators"][0].update(enabled="yes"), "indicators[0].enabled: expected true or false, got 'yes'"),
    (lambda d: d["indicators"][0].update(bounds=[0, "x"]), "indicators[0].bounds[1]: expected a number or null, got 'x'"),
    (lambda d: d["indicators"][0].update(bounds=[5, 0]), "indicators[0].bounds: lower bound 5.0 is not below upper bound 0.0"),
    (lambda d: d["indicators"][0].update(key="a b"),
     "indicators[0].key: 'a b' is not a valid identifier (letters, digits and _, not starting with a digit)"),
    (lambda d: [i.update(enabled=False) for i in d["indicators"]],  # type: ignore[union-attr]
     "indicators: no indicator is enabled; at least one is needed to rank borrowers"),
    (lambda d: d.update(format="other"), "format: 'other' is not 'sme-risk-indicator-system'"),
    (lambda d: d.pop("format"), "format: missing"),
    (lambda d: d.update(version=2), "version: 2 is not supported (this code reads version 1)"),
    (lambda d: d.pop("criteria"), "criteria: missing"),
    (lambda d: d.update(indicators={}), "indicators: expected a list, got {}"),
    (lambda d: d["indicators"].__setitem__(2, "roa"), "indicators[2]: expected a JSON object, got str"),  # type: ignore[union-attr]
    (lambda d: d.update(name=""), "name: must not be empty"),
])
def test_from_json_errors_name_the_path(change, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError) as info:
        from_json(_mutated(change))
    assert str(info.value) == message


def test_from_json_rejects_non_json() -> None:
    with pytest.raises(ValueError, match=r"^not valid JSON: Expecting value at line 1 column 1$"):
        from_json("indicators: []")
    with pytest.raises(ValueError, match=r"^\(document\): expected a JSON object, got list$"):
        from_json("[]")


# ---------------------------------------------------------------- matrices from a system


def test_default_system_matrix_equals_the_legacy_build(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    old = build_indicator_matrix(loans, borrowers)
    new = build_indicator_matrix(loans, borrowers, system=default_system())
    pd.testing.assert_frame_equal(old.values, new.values)
    pd.testing.assert_frame_equal(old.imputed, new.imputed)
    pd.testing.assert_series_equal(old.missing, new.missing)
    assert new.policy == old.policy == "industry_median"
    assert new.system == default_system() and old.system is None
    assert new.indicators == old.indicators


def test_industry_median_policy(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    m = build_indicator_matrix(loans, borrowers, system=small_system())
    assert list(m.values.columns) == ["roa", "customer_concentration", "tax_credit_score"]  # system order
    # B2's tax rating: median of industry C among rated borrowers = B1's 5; B3's share: industry F → B4's 0.4;
    # B4's ROA (assets 0): industry F → B3's −0.01.
    assert m.values.loc["B2", "tax_credit_score"] == 5.0
    assert m.values.loc["B3", "customer_concentration"] == 0.4
    assert m.values.loc["B4", "roa"] == pytest.approx(-0.01)
    assert m.missing.to_dict() == {"customer_concentration": 1, "tax_credit_score": 1, "roa": 1}
    assert m.excluded.to_dict() == {"customer_concentration": 0, "tax_credit_score": 0, "roa": 0}
    assert m.excluded_ids == () and m.policy == "industry_median"


def test_exclude_then_worst(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    m = build_indicator_matrix(loans, borrowers,
                               system=small_system(tax_credit_score="exclude", customer_concentration="worst"))
    # B2 (no tax rating) is left out everywhere.
    assert list(m.values.index) == ["B1", "B3", "B4"]
    assert list(m.borrowers.index) == ["B1", "B3", "B4"] and list(m.imputed.index) == ["B1", "B3", "B4"]
    assert m.excluded_ids == ("B2",)
    # Cost indicator: worst = max among the rated borrowers (B2's 0.6 no longer counts) = B4's 0.4.
    assert m.values.loc["B3", "customer_concentration"] == 0.4
    assert m.imputed.loc["B3", "customer_concentration"] and m.imputed.to_numpy().sum() == 2  # + B4's ROA
    assert m.values["tax_credit_score"].tolist() == [5.0, 2.0, 4.0]
    assert m.missing.to_dict() == {"customer_concentration": 1, "tax_credit_score": 1, "roa": 1}
    assert m.excluded.to_dict() == {"customer_concentration": 0, "tax_credit_score": 1, "roa": 0}
    assert m.policies.to_dict() == {"customer_concentration": "worst", "tax_credit_score": "exclude",
                                    "roa": "industry_median"}
    assert m.policy == "mixed"


def test_worst_benefit_takes_the_minimum_after_exclusion(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    m = build_indicator_matrix(loans, borrowers,
                               system=small_system(tax_credit_score="worst", customer_concentration="exclude",
                                                   roa="worst"))
    assert m.excluded_ids == ("B3",)
    # Benefit: worst = min of the rated (B1 5, B4 4; B3's 2 is excluded) = 4.
    assert m.values.loc["B2", "tax_credit_score"] == 4.0
    # ROA of B4 (undefined): min of B1 0.05, B2 0.02 = 0.02.
    assert m.values.loc["B4", "roa"] == pytest.approx(0.02)


def test_direction_flip_changes_directions_and_worst(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    system = small_system(tax_credit_score="worst").with_setting("tax_credit_score", direction="cost",
                                                                 criterion="owner")
    m = build_indicator_matrix(loans, borrowers, system=system)
    assert m.directions["tax_credit_score"] == "cost"
    assert m.criteria["tax_credit_score"] == "owner"
    assert next(i for i in m.indicators if i.key == "tax_credit_score").direction == "cost"
    assert m.values.loc["B2", "tax_credit_score"] == 5.0  # worst of a cost indicator is the max


def test_disabled_indicators_are_not_columns(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    m = build_indicator_matrix(loans, borrowers, system=small_system().with_setting("roa", enabled=False))
    assert list(m.values.columns) == ["customer_concentration", "tax_credit_score"]


def test_too_few_borrowers_left_names_the_indicators(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    system = small_system(tax_credit_score="exclude", customer_concentration="exclude").with_indicator(
        IndicatorSetting("margin", "financial", "benefit", missing="exclude", formula="net_profit / revenue"))
    with pytest.raises(ValueError) as info:
        build_indicator_matrix(loans, borrowers, system=system)
    assert str(info.value) == (
        "excluding the borrowers with a missing value leaves 1 of 4 borrowers; at least 2 are needed to rank. "
        "Indicators with policy 'exclude': 'customer_concentration' (1 missing), 'tax_credit_score' (1 missing), "
        "'margin' (1 missing); choose another missing-value policy for them")
    table = affected_borrowers(loans, borrowers, AS_OF, system)
    assert table.loc[["customer_concentration", "tax_credit_score", "margin"], "excluded"].tolist() == [1, 1, 1]
    assert table.loc["roa", ["missing", "action", "excluded"]].tolist() == [1, "imputed", 0]
    assert table.attrs == {"borrowers": 4, "excluded_total": 3}


def test_affected_table_from_a_matrix(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    system = small_system(tax_credit_score="exclude", customer_concentration="worst")
    m = build_indicator_matrix(loans, borrowers, system=system)
    table = m.affected()
    assert table.index.name == "key"
    assert table.to_dict("index") == {
        "customer_concentration": {"criterion": "operational", "policy": "worst", "borrowers": 4, "missing": 1,
                                   "action": "set_to_worst", "excluded": 0},
        "tax_credit_score": {"criterion": "credit", "policy": "exclude", "borrowers": 4, "missing": 1,
                             "action": "excluded", "excluded": 1},
        "roa": {"criterion": "financial", "policy": "industry_median", "borrowers": 4, "missing": 1,
                "action": "imputed", "excluded": 0},
    }
    pd.testing.assert_frame_equal(table, affected_borrowers(loans, borrowers, AS_OF, system, ["QD01"]))


def test_formula_indicators_on_loan_aggregates(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    system = IndicatorSystem("f", ("credit",), (
        IndicatorSetting("overdue_share", "credit", "cost", formula="overdue_principal / balance"),
        IndicatorSetting("dpd_per_loan", "credit", "cost", formula="max_dpd / loan_count"),
        IndicatorSetting("log_margin", "credit", "benefit", missing="worst", formula="log(net_profit) - log(revenue)"),
    ))
    m = build_indicator_matrix(loans, borrowers, system=system)
    # B1: 10 / (100 + 50); B2: overdue_principal missing → industry C median = B1's; B3, B4: 0.
    assert m.values["overdue_share"].tolist() == pytest.approx([10 / 150, 10 / 150, 0.0, 0.0])
    assert m.imputed["overdue_share"].tolist() == [False, True, False, False]
    assert m.values["dpd_per_loan"].tolist() == [17.5, 0.0, 0.0, 5.0]
    # log of a negative profit (B3) and of zero revenue (B4) are missing → worst (min) = log(0.04) of B2.
    expected = [math.log(0.1), math.log(0.04), math.log(0.04), math.log(0.04)]
    assert m.values["log_margin"].tolist() == pytest.approx(expected)
    assert m.missing.to_dict() == {"overdue_share": 1, "dpd_per_loan": 0, "log_margin": 2}
    assert m.indicators[0].source == "overdue_principal / balance"


def test_formula_bounds_winsorise_before_the_policy(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    system = IndicatorSystem("f", ("credit",), (
        IndicatorSetting("overdue_share", "credit", "cost", formula="overdue_principal / balance * 100",
                         bounds=(0.0, 5.0)),))
    m = build_indicator_matrix(loans, borrowers, system=system)
    assert m.values["overdue_share"].tolist() == [5.0, 5.0, 0.0, 0.0]  # 6.67 capped, then the median


def test_system_and_indicators_are_exclusive(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="give either `indicators` or `system`, not both"):
        build_indicator_matrix(loans, borrowers, indicators=DEFAULT_INDICATORS[:2], system=default_system())


def test_loan_fields_absent_from_the_ledger_are_missing(loans: pd.DataFrame, borrowers: pd.DataFrame) -> None:
    system = IndicatorSystem("f", ("credit",), (
        IndicatorSetting("provision_share", "credit", "cost", formula="provision / balance"),))
    m = build_indicator_matrix(loans, borrowers, system=system)
    assert m.missing["provision_share"] == 4 and (m.values["provision_share"] == 0.0).all()


# ---------------------------------------------------------------- the bundled sample


@pytest.fixture(scope="module")
def sample():  # type: ignore[no-untyped-def]
    return load_sample(Path("sample_data"))


def test_formula_equals_builtin_net_margin_on_the_sample(sample) -> None:  # type: ignore[no-untyped-def]
    system = (default_system()
              .with_setting("net_margin", bounds=(-math.inf, math.inf))
              .with_indicator(IndicatorSetting("my_margin", "financial", "benefit",
                                               formula="net_profit / revenue")))
    m = build_indicator_matrix(sample.loans, sample.borrowers, "2024-06-30", branches=["QD01"], system=system)
    assert len(m.values) > 1000
    pd.testing.assert_series_equal(m.values["my_margin"], m.values["net_margin"], check_names=False)
    assert m.missing["my_margin"] == m.missing["net_margin"] == 0
    # And both are the hand computation from last year's statements (2023 at mid-2024).
    fin = applicable_financials(sample.borrowers, "2024-06-30").reindex(m.values.index)
    assert (fin["report_period"] == 2023).all()
    np.testing.assert_allclose(m.values["my_margin"], fin["net_profit"] / fin["revenue"], rtol=0, atol=0)


def test_sample_collateral_formula_and_policies(sample) -> None:  # type: ignore[no-untyped-def]
    system = (default_system()
              .with_setting("collateral_coverage", bounds=(-math.inf, math.inf))
              .with_setting("customer_concentration", missing="exclude")
              .with_setting("tax_credit_score", missing="worst")
              .with_indicator(IndicatorSetting("my_coverage", "guarantee", "benefit",
                                               formula="collateral_value / balance")))
    base = build_indicator_matrix(sample.loans, sample.borrowers, branches=["QD01"])
    m = build_indicator_matrix(sample.loans, sample.borrowers, branches=["QD01"], system=system)
    pd.testing.assert_series_equal(m.values["my_coverage"], m.values["collateral_coverage"], check_names=False)
    # Exclusion removes exactly the borrowers without a customer-concentration figure.
    assert m.excluded["customer_concentration"] == base.missing["customer_concentration"] > 0
    assert set(m.excluded_ids) == set(base.imputed.index[base.imputed["customer_concentration"]])
    assert len(m.values) == len(base.values) - len(m.excluded_ids)
    assert not m.imputed["customer_concentration"].any()
    # Worst tax score (benefit) = the lowest observed score among the rated borrowers.
    filled = m.values.loc[m.imputed["tax_credit_score"], "tax_credit_score"]
    assert len(filled) > 0
    assert (filled == m.values.loc[~m.imputed["tax_credit_score"], "tax_credit_score"].min()).all()
    assert np.isfinite(m.values.to_numpy()).all()
