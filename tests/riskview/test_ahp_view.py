"""riskview.ahp_view: pair rows, words, evaluation through riskcore, tables, figures, file format."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcore.indicators import CRITERIA, DEFAULT_INDICATORS
from riskcore.weights.ahp import (
    AHPResult,
    ahp_hierarchy,
    ahp_matrix_from_pairs,
    ahp_panel,
    ahp_revision,
    ahp_weights,
)
from riskview.ahp_view import (
    CRITERIA_MATRIX,
    INTENSITIES,
    NOT_JUDGED,
    SIDES,
    Expert,
    Judgment,
    JudgmentFileError,
    JudgmentSet,
    MatrixSpec,
    PanelAdvice,
    apply_edits,
    blank_judgments,
    default_judgment_set,
    evaluate,
    experts_phrase,
    experts_status_notes,
    experts_table,
    file_error_text,
    format_value,
    from_json,
    global_table,
    hierarchy_failures,
    hierarchy_failures_text,
    hierarchy_specs,
    intensity_label,
    intensity_options,
    judgment_sentence,
    local_weight_bar,
    matrix_table,
    new_expert_name,
    pair_columns,
    pairs_frame,
    pairwise_matrix,
    panel_advice,
    panel_advice_text,
    panel_cr_table,
    panel_source_lines,
    panel_weight_chart,
    panel_weights_table,
    parse_intensity,
    parse_side,
    revision_text,
    set_judgment,
    side_label,
    to_json,
    unconnected,
)
from riskview.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
SPECS = hierarchy_specs()
BY_KEY = {s.key: s for s in SPECS}


@pytest.fixture(scope="module")
def drinks() -> dict:
    return json.loads((ROOT / "tests/data/published_examples.json").read_text(encoding="utf-8"))["cases"][
        "ahp_saaty2008_drinks"]


def _rows_of(matrix: list[list[float]], labels: list[str]) -> dict[tuple[str, str], Judgment]:
    """The published matrix as one judgment per pair (upper triangle)."""
    return {(labels[i], labels[j]): Judgment.from_value(matrix[i][j])
            for i in range(len(labels)) for j in range(i + 1, len(labels))}


# --------------------------------------------------------------------------- pair rows and words


def test_saaty2008_drinks_reproduced_through_pair_rows(drinks: dict) -> None:
    labels, published = drinks["labels"], drinks["published"]
    spec = MatrixSpec("drinks", tuple(labels))
    rows = _rows_of(drinks["matrix"], labels)
    assert len(rows) == 21 == len(spec.pairs)
    matrix = pairwise_matrix(spec, rows)
    np.testing.assert_allclose(matrix.to_numpy(), np.array(drinks["matrix"]), rtol=1e-12)
    result = ahp_weights(matrix, ri_table=published["ri_table"])
    assert isinstance(result, AHPResult)
    assert np.round(result.weights.to_numpy(), published["decimals"]).tolist() == published["weights"]
    assert round(result.cr, published["cr_decimals"]) == published["cr"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_drinks_survive_the_editor_table_both_ways(drinks: dict, lang: str) -> None:
    """Rows shown in the editor, typed into a blank editor, give back the same judgments."""
    labels = drinks["labels"]
    spec = MatrixSpec("drinks", tuple(labels))
    rows = _rows_of(drinks["matrix"], labels)
    frame = pairs_frame(spec, rows, lang)
    cols = pair_columns(lang)
    assert list(frame.columns) == list(cols.values()) and len(frame) == 21
    assert frame[cols["value"]].tolist()[:6] == ["9", "5", "2", "1", "1", "1/2"]  # coffee row of the paper
    edits = {i: {cols["more"]: r[cols["more"]], cols["intensity"]: r[cols["intensity"]]}
             for i, r in frame.iterrows()}
    typed = apply_edits(spec, {p: NOT_JUDGED for p in spec.pairs}, edits, lang)
    assert {p: j.value for p, j in typed.items()} == pytest.approx({p: j.value for p, j in rows.items()})
    assert ahp_weights(pairwise_matrix(spec, typed), ri_table="saaty2005").weights.round(3).tolist() == \
        drinks["published"]["weights"]


def test_reciprocal_matrix_is_built_from_rows() -> None:
    spec = MatrixSpec("m", ("x", "y", "z"))
    rows = {("x", "y"): Judgment("a", 3), ("x", "z"): Judgment("b", 5), ("y", "z"): NOT_JUDGED}
    m = pairwise_matrix(spec, rows)
    assert m.loc["x", "y"] == 3 and m.loc["y", "x"] == pytest.approx(1 / 3)
    assert m.loc["x", "z"] == pytest.approx(1 / 5) and m.loc["z", "x"] == 5
    assert math.isnan(m.loc["y", "z"]) and math.isnan(m.loc["z", "y"])
    assert np.diag(m.to_numpy()).tolist() == [1.0, 1.0, 1.0]
    assert m.equals(ahp_matrix_from_pairs(["x", "y", "z"], [("x", "y", 3.0), ("x", "z", 0.2)]))


def test_judgment_values() -> None:
    assert Judgment("a", 5).value == 5.0
    assert Judgment("b", 5).value == pytest.approx(0.2)
    assert Judgment("equal", 1).value == 1.0
    assert Judgment("equal", None).value == 1.0  # equal needs no intensity
    assert Judgment("a", 1).value == 1.0
    assert Judgment("a", None).value is None and not Judgment("a", None).judged
    assert Judgment(None, 7).value is None and NOT_JUDGED.value is None
    assert Judgment.from_value(1 / 7) == Judgment("b", 7)
    assert Judgment.from_value(0.3333) == Judgment("b", 3)
    assert Judgment.from_value(1.0) == Judgment("equal", 1)
    with pytest.raises(ValueError, match="not on the Saaty scale"):
        Judgment.from_value(2.5)
    with pytest.raises(ValueError, match=r"`intensity` must be an integer 1\.\.9"):
        Judgment("a", 10)
    with pytest.raises(ValueError, match="`more` must be one of"):
        Judgment("c", 3)  # type: ignore[arg-type]


def test_words_and_values_in_both_languages() -> None:
    assert [intensity_label(k, "zh") for k in (1, 3, 5, 7, 9)] == [
        "1 · 同等重要", "3 · 稍微重要", "5 · 明显重要", "7 · 强烈重要", "9 · 极端重要"]
    assert intensity_label(4, "zh") == "4 · 介于稍微与明显重要之间"
    assert [intensity_label(k, "en") for k in (1, 3, 5, 7, 9)] == [
        "1 · equal", "3 · moderate", "5 · strong", "7 · very strong", "9 · extreme"]
    assert intensity_label(None, "zh") == "— 未判断" and intensity_label(None, "en") == "— not judged"
    for lang in ("zh", "en"):
        assert intensity_options(lang)[-1] == intensity_label(None, lang) and len(intensity_options(lang)) == 10
        for k in (*INTENSITIES, None):
            assert parse_intensity(intensity_label(k, lang), lang) == k
        for side in (*SIDES, None):
            assert parse_side(side_label(side, lang), lang) == side
    assert side_label(None, "zh") == "— 未选择"
    assert parse_intensity("5 · strong", "zh") == 5  # a label of the other language still reads
    assert parse_side(None, "zh") is None and parse_intensity(None, "en") is None
    with pytest.raises(ValueError):
        parse_intensity("11 · huge", "en")
    assert [format_value(v) for v in (9.0, 1 / 9, 1.0, 0.5, 2.345, None, float("nan"))] == [
        "9", "1/9", "1", "1/2", "2.35", "—", "—"]
    assert judgment_sentence("信用风险", "财务风险", 5, "zh") == "「信用风险」比「财务风险」明显重要（5）"
    assert judgment_sentence("信用风险", "财务风险", 1 / 4, "zh") == "「财务风险」比「信用风险」介于稍微与明显重要之间（4）"
    assert judgment_sentence("Credit", "Financial", 1, "en") == "'Credit' and 'Financial': equal importance (1)"
    assert judgment_sentence("Credit", "Financial", 9, "en") == "'Credit' over 'Financial': extreme importance (9)"


def test_every_code_the_view_builds_has_a_catalogue_entry() -> None:
    """Ids built with f-strings escape the literal-id scan of test_i18n."""
    keys = [f"ahp.intensity.{k}" for k in INTENSITIES] + ["ahp.intensity.none"]
    keys += [f"ahp.word.{k}" for k in INTENSITIES] + [f"ahp.more.{s}" for s in (*SIDES, "none")]
    keys += [f"ahp.ri.{n}" for n in ("saaty1980", "saaty2005", "cn_textbook")]
    keys += [f"ahp.add_from.{k}" for k in ("blank", "copy")]
    keys += [f"ahp.err.{c}" for c in ("not_text", "not_json", "wrong_format", "bad_ri", "no_experts", "structure",
                                      "bad_name", "duplicate_expert", "bad_weight", "unknown_matrix",
                                      "unknown_element", "same_element", "duplicate_pair", "bad_judgment")]
    assert [k for k in keys if k not in CATALOGUE] == []


# --------------------------------------------------------------------------- editing rules


def _edit(spec: MatrixSpec, before: Judgment, lang: str = "zh", **cells: object) -> Judgment:
    cols = pair_columns(lang)
    rows = {spec.pairs[0]: before}
    return apply_edits(spec, rows, {0: {cols[k]: v for k, v in cells.items()}}, lang)[spec.pairs[0]]


@pytest.mark.parametrize(
    ("before", "cells", "after"),
    [
        (NOT_JUDGED, {"more": "B 更重要"}, Judgment("b", None)),  # side first, strength still open
        (Judgment("b", None), {"intensity": "7 · 强烈重要"}, Judgment("b", 7)),
        (Judgment("a", 5), {"more": "同样重要"}, Judgment("equal", 1)),  # equal forces 1
        (Judgment("equal", 1), {"more": "A 更重要"}, Judgment("a", None)),  # 1 is not "A more important"
        (Judgment("a", 5), {"intensity": "1 · 同等重要"}, Judgment("equal", 1)),
        (Judgment("equal", 1), {"intensity": "5 · 明显重要"}, Judgment(None, 5)),  # which side? still open
        (Judgment("a", 5), {"intensity": "— 未判断"}, NOT_JUDGED),
        (Judgment("a", 5), {"more": None}, Judgment(None, 5)),  # cleared cell
        (Judgment("a", 5), {"more": "— 未选择"}, Judgment(None, 5)),
        (NOT_JUDGED, {"more": "B 更重要", "intensity": "5 · 明显重要"}, Judgment("b", 5)),
        (Judgment("a", 5), {"more": "garbage"}, Judgment("a", 5)),  # not an option: ignored
        (Judgment("a", 5), {"value": "9"}, Judgment("a", 5)),  # read-only column: ignored
    ],
)
def test_apply_edits_keeps_each_row_coherent(before: Judgment, cells: dict, after: Judgment) -> None:
    assert _edit(MatrixSpec("m", ("x", "y", "z")), before, **cells) == after


def test_pairs_frame_of_open_rows_has_no_empty_cell() -> None:
    spec = MatrixSpec("criteria", ("credit", "financial", "market"))
    rows = {("credit", "financial"): NOT_JUDGED, ("credit", "market"): Judgment("b", None),
            ("financial", "market"): Judgment("a", 6)}
    frame = pairs_frame(spec, rows, "zh")
    assert not frame.isna().any().any()
    assert frame.values.tolist() == [
        ["信用风险", "财务风险", "— 未选择", "— 未判断", "—"],
        ["信用风险", "市场（行业）风险", "B 更重要", "— 未判断", "—"],
        ["财务风险", "市场（行业）风险", "A 更重要", "6 · 介于明显与强烈重要之间", "6"],
    ]


def test_apply_edits_accepts_string_row_ids_and_ignores_rows_out_of_range() -> None:
    spec = MatrixSpec("m", ("x", "y", "z"))
    cols = pair_columns("en")
    start = {p: Judgment("a", 3) for p in spec.pairs}
    out = apply_edits(spec, start, {"2": {cols["more"]: "B is more important"}, 7: {cols["more"]: "Equally important"}},
                      "en")
    assert out[("y", "z")] == Judgment("b", 3)
    assert out[("x", "y")] == out[("x", "z")] == Judgment("a", 3)


# --------------------------------------------------------------------------- defaults and evaluation


def test_hierarchy_specs_follow_the_indicator_system() -> None:
    assert [s.key for s in SPECS] == [CRITERIA_MATRIX, *CRITERIA]
    assert BY_KEY[CRITERIA_MATRIX].elements == CRITERIA
    assert sum(s.n for s in SPECS[1:]) == len(DEFAULT_INDICATORS) == 23
    assert {s.key: len(s.pairs) for s in SPECS} == {
        "criteria": 21, "financial": 28, "operational": 3, "market": 0, "credit": 10, "guarantee": 3,
        "compliance": 1, "owner": 0}


def test_default_expert_is_consistent_and_puts_credit_and_financial_first() -> None:
    js = default_judgment_set(SPECS, "zh")
    assert [e.name for e in js.experts] == ["专家 1"] and js.ri_table == "saaty1980"
    assert default_judgment_set(SPECS, "en").experts[0].name == "Expert 1"
    ev = evaluate(js, SPECS)
    for spec in SPECS:
        result = ev.experts[0][spec.key].result
        assert result is not None and result.cr <= 0.02 and not result.filled, spec.key
    assert ev.hierarchy is not None and ev.hierarchy.consistent and ev.hierarchy.total_cr < 0.01
    top = ev.hierarchy.criteria.weights.sort_values(ascending=False)
    assert set(top.index[:2]) == {"credit", "financial"}
    assert ev.hierarchy.global_weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert list(ev.hierarchy.global_weights.index) == [i.key for i in DEFAULT_INDICATORS]


def _matrices(expert: Expert) -> dict[str, pd.DataFrame]:
    """The expert's matrices built straight with riskcore from the pair values."""
    out = {}
    for spec in SPECS:
        pairs = [(a, b, j.value) for (a, b), j in expert.judgments[spec.key].items() if j.value is not None]
        out[spec.key] = ahp_matrix_from_pairs(spec.elements, pairs)
    return out


def test_single_expert_global_weights_equal_riskcore_hierarchy() -> None:
    js = default_judgment_set(SPECS, "en")
    js = set_judgment(js, 0, "credit", ("max_dpd_12m", "tax_credit_score"), Judgment("a", 9))
    ev = evaluate(js, SPECS)
    m = _matrices(js.experts[0])
    expected = ahp_hierarchy(m["criteria"], {c: m[c] for c in CRITERIA})
    assert ev.source == "expert" and ev.hierarchy is not None
    pd.testing.assert_series_equal(ev.hierarchy.global_weights, expected.global_weights)
    assert ev.hierarchy.total_cr == expected.total_cr


def _three_experts() -> JudgmentSet:
    base = default_judgment_set(SPECS, "zh")
    second = set_judgment(base, 0, CRITERIA_MATRIX, ("financial", "credit"), Judgment("b", 3)).experts[0]
    third = set_judgment(base, 0, CRITERIA_MATRIX, ("market", "owner"), Judgment("a", 5)).experts[0]
    third = set_judgment(JudgmentSet((third,)), 0, "financial", ("roa", "net_margin"), NOT_JUDGED).experts[0]
    return JudgmentSet((base.experts[0], Expert("李四", 2.0, second.judgments), Expert("王五", 0.5, third.judgments)))


def test_panel_equals_riskcore_ahp_panel_and_feeds_the_hierarchy() -> None:
    js = _three_experts()
    ev = evaluate(js, SPECS)
    assert ev.source == "panel"
    mats = {e.name: _matrices(e) for e in js.experts}
    weights = {e.name: e.weight for e in js.experts}
    aggregates = {}
    for spec in SPECS:
        expected = ahp_panel({n: mats[n][spec.key] for n in mats}, weights)
        got = ev.panels[spec.key].panel
        assert got is not None and ev.panels[spec.key].included == ("专家 1", "李四", "王五")
        pd.testing.assert_series_equal(got.aggregate.weights, expected.aggregate.weights)
        assert got.aggregate.cr == expected.aggregate.cr
        aggregates[spec.key] = expected.aggregate_matrix
    hierarchy = ahp_hierarchy(aggregates["criteria"], {c: aggregates[c] for c in CRITERIA})
    assert ev.hierarchy is not None
    pd.testing.assert_series_equal(ev.hierarchy.global_weights, hierarchy.global_weights)
    table = panel_weights_table(ev.panels[CRITERIA_MATRIX], "zh")
    assert list(table.columns) == ["要素", "专家 1", "李四", "王五", "专家组（AIJ）"]
    assert table["专家组（AIJ）"].tolist() == ev.panels[CRITERIA_MATRIX].panel.aggregate.weights.tolist()  # type: ignore[union-attr]
    assert not table.isna().any().any()
    cr = panel_cr_table(js, ev, CRITERIA_MATRIX, "en")
    assert cr["Expert"].tolist() == ["专家 1", "李四", "王五", "Panel (AIJ)"]
    assert cr["Weight share"].tolist()[:3] == pytest.approx([1 / 3.5, 2 / 3.5, 0.5 / 3.5])
    chart = panel_weight_chart(ev.panels[CRITERIA_MATRIX], "en", title="T").to_dict()
    assert [tr["name"] for tr in chart["data"]] == ["Panel (AIJ)", "专家 1", "李四", "王五"]
    aggregate = ev.panels[CRITERIA_MATRIX].panel.aggregate.weights  # type: ignore[union-attr]
    assert sorted(chart["data"][0]["x"]) == sorted(aggregate.tolist())


def test_blank_and_zero_weight_experts_are_left_out_of_the_panel() -> None:
    base = default_judgment_set(SPECS, "zh")
    js = JudgmentSet((base.experts[0], Expert("空白", 1.0, blank_judgments(SPECS)),
                      Expert("零权重", 0.0, base.experts[0].judgments)))
    ev = evaluate(js, SPECS)
    assert ev.experts[1][CRITERIA_MATRIX].result is None
    assert ev.experts[1][CRITERIA_MATRIX].unconnected == CRITERIA[1:]
    assert ev.experts[1]["market"].result is not None  # one indicator: nothing to judge
    panel = ev.panels[CRITERIA_MATRIX]
    assert panel.included == ("专家 1",) and panel.excluded == ("空白", "零权重")
    assert ev.hierarchy is not None
    table = experts_table(js, ev, "zh")
    assert table["一致性"].tolist() == ["全部通过", "6 个判断不足", "全部通过"]
    assert table.loc[1, "准则层"] == "判断不足"
    assert not table.isna().any().any()
    cr = panel_cr_table(js, ev, CRITERIA_MATRIX, "zh")
    assert cr["一致性"].tolist() == ["通过", "判断不足", "权重为 0，未计入", "通过"]
    assert not cr.isna().any().any()


def test_blank_single_expert_blocks_global_weights() -> None:
    js = JudgmentSet((Expert("E", 1.0, blank_judgments(SPECS)),))
    ev = evaluate(js, SPECS)
    assert ev.hierarchy is None
    assert ev.blocking == ("criteria", "financial", "operational", "credit", "guarantee", "compliance")


def test_unconnected_names_the_elements_not_linked_to_the_first() -> None:
    spec = MatrixSpec("m", ("w", "x", "y", "z"))
    rows = {p: NOT_JUDGED for p in spec.pairs}
    rows[("w", "x")] = Judgment("a", 2)
    rows[("y", "z")] = Judgment("b", 2)
    assert unconnected(spec, rows) == ("y", "z")
    rows[("x", "z")] = Judgment("equal", 1)
    assert unconnected(spec, rows) == ()


# --------------------------------------------------------------------------- tables and figures


def test_matrix_table_marks_completed_pairs_and_has_no_nan() -> None:
    js = default_judgment_set(SPECS, "zh")
    js = set_judgment(js, 0, "guarantee", ("guarantee_score", "collateral_coverage"), NOT_JUDGED)
    ev = evaluate(js, SPECS)
    out = ev.experts[0]["guarantee"]
    assert out.result is not None and out.result.filled == (("guarantee_score", "collateral_coverage"),)
    table = matrix_table(out, "zh")
    assert list(table.columns) == ["要素", "担保方式评分", "抵质押覆盖率", "对外担保比率", "权重 w"]
    filled = out.result.matrix.loc["guarantee_score", "collateral_coverage"]
    assert table.loc[0, "抵质押覆盖率"] == f"{filled:.2f}*"
    assert table.loc[1, "担保方式评分"] == f"{1 / filled:.2f}*"
    assert table["权重 w"].tolist() == out.result.weights.tolist()
    assert not table.isna().any().any()

    blank = evaluate(JudgmentSet((Expert("E", 1.0, blank_judgments(SPECS)),)), SPECS).experts[0]["guarantee"]
    empty = matrix_table(blank, "en")
    assert "Weight w" not in empty.columns
    assert empty.iloc[0, 1:].tolist() == ["1", "—", "—"]


def test_global_table_and_chart() -> None:
    ev = evaluate(default_judgment_set(SPECS, "en"), SPECS)
    assert ev.hierarchy is not None
    table = global_table(ev.hierarchy, "en")
    assert list(table.columns) == ["Criterion", "Criterion weight", "Indicator", "Local weight", "Global weight"]
    assert table["Global weight"].tolist() == ev.hierarchy.global_weights.tolist()
    assert table["Indicator"].iloc[0] == "Asset-liability ratio" and len(table) == 23
    assert table["Global weight"].sum() == pytest.approx(1.0)
    spec = BY_KEY[CRITERIA_MATRIX]
    fig = local_weight_bar(spec, ev.experts[0][spec.key].result.weights, "zh", title="准则层 · 专家 1 的权重").to_dict()  # type: ignore[union-attr]
    assert fig["layout"]["title"]["text"] == "准则层 · 专家 1 的权重"
    assert fig["data"][0]["y"][0] == "信用风险"  # heaviest listed first
    assert sorted(fig["data"][0]["x"]) == sorted(ev.hierarchy.criteria.weights.tolist())
    assert fig["layout"]["xaxis"]["title"]["text"] == "权重"


def test_revision_text_names_the_pair_and_the_suggested_words() -> None:
    js = default_judgment_set(SPECS, "zh")
    js = set_judgment(js, 0, CRITERIA_MATRIX, ("market", "credit"), Judgment("a", 9))
    out = evaluate(js, SPECS).experts[0][CRITERIA_MATRIX]
    assert out.result is not None and not out.result.consistent
    revision = ahp_revision(out.matrix)
    assert (revision.row, revision.column) == ("market", "credit")
    text = revision_text(revision, CRITERIA_MATRIX, "zh")
    assert text.startswith("建议先修改「市场（行业）风险」与「信用风险」这一对。当前：「市场（行业）风险」比「信用风险」极端重要（9）；建议改为：")
    assert f"CR 可由 {revision.cr_before:.4f} 降至 {revision.cr_after_scale:.4f}" in text
    assert judgment_sentence("市场（行业）风险", "信用风险", revision.suggested_scale, "zh") in text


def test_new_expert_names_do_not_repeat() -> None:
    assert new_expert_name(["专家 1", "专家 2"], "zh") == "专家 3"
    assert new_expert_name(["专家 2"], "zh") == "专家 1"
    assert new_expert_name([], "en") == "Expert 1"


# --------------------------------------------------------------------------- file format


def test_json_round_trip_is_exact() -> None:
    js = _three_experts()
    js = JudgmentSet(js.experts, "cn_textbook")
    js = set_judgment(js, 1, "credit", ("max_dpd_12m", "relationship_years"), Judgment(None, 6))  # partial row kept
    text = to_json(js, SPECS, saved_at="2025-01-31T09:00:00+08:00")
    assert "专家 1" in text  # Chinese kept readable
    back = from_json(text.encode("utf-8"), SPECS)
    assert back == js
    assert to_json(back, SPECS, saved_at="2025-01-31T09:00:00+08:00") == text
    doc = json.loads(text)
    assert doc["format"] == "sme-risk-dashboard/ahp-judgments" and doc["version"] == 1
    assert doc["experts"][0]["matrices"]["criteria"][0] == {"a": "financial", "b": "operational", "more": "a",
                                                            "intensity": 3}


def test_json_reads_swapped_pairs_and_leaves_out_nothing() -> None:
    doc = {"format": "sme-risk-dashboard/ahp-judgments", "version": 1, "ri_table": "saaty2005",
           "experts": [{"name": "A", "weight": 2, "matrices": {
               "compliance": [{"a": "admin_penalties", "b": "litigation_count", "more": "a", "intensity": 3}]}}]}
    js = from_json(json.dumps(doc), SPECS)
    assert js.ri_table == "saaty2005" and js.experts[0].weight == 2.0
    assert js.experts[0].judgments["compliance"] == {("litigation_count", "admin_penalties"): Judgment("b", 3)}
    assert all(j == NOT_JUDGED for j in js.experts[0].judgments["criteria"].values())
    assert set(js.experts[0].judgments) == {s.key for s in SPECS}


def _doc(**changes: object) -> str:
    doc = json.loads(to_json(default_judgment_set(SPECS, "zh"), SPECS))
    expert = doc["experts"][0]
    for path, value in changes.items():
        if path == "top":
            doc = value  # type: ignore[assignment]
        elif path.startswith("x_"):
            expert[path[2:]] = value
        elif path == "row":
            expert["matrices"]["criteria"][0] = value
        elif path == "extra_row":
            expert["matrices"]["criteria"].append(value)
        else:
            doc[path] = value
    return json.dumps(doc, ensure_ascii=False)


@pytest.mark.parametrize(
    ("data", "code", "params"),
    [
        (b"\xff\xfe\x00garbage", "not_text", {}),
        (b'{"format": "sme-risk-dashboard/ahp-judgments", "version": 1,\n "experts": [', "not_json",
         {"line": 2, "column": 14}),
        (b"[1, 2, 3]", "wrong_format", {}),
        (_doc(version=2), "wrong_format", {}),
        (_doc(ri_table="saaty1999"), "bad_ri", {"name": "saaty1999"}),
        (_doc(experts=[]), "no_experts", {}),
        (_doc(experts={"name": "x"}), "structure", {"where": "experts"}),
        (_doc(x_name="  "), "bad_name", {"where": "experts[0].name"}),
        (_doc(x_weight=-1), "bad_weight", {"name": "专家 1"}),
        (_doc(x_weight=True), "bad_weight", {"name": "专家 1"}),
        (_doc(x_matrices=[1]), "structure", {"where": "experts[0].matrices"}),
        (_doc(x_matrices={"liquidity": []}), "unknown_matrix", {"name": "liquidity"}),
        (_doc(row={"a": "financial", "b": "solvency", "more": "a", "intensity": 3}), "unknown_element",
         {"matrix": "criteria", "name": "solvency"}),
        (_doc(row={"a": "credit", "b": "credit", "more": "a", "intensity": 3}), "same_element",
         {"matrix": "criteria", "name": "credit"}),
        (_doc(row={"a": "financial", "b": "operational", "more": "a", "intensity": 12}), "bad_judgment",
         {"where": "experts[0].matrices.criteria[0]"}),
        (_doc(row={"a": "financial", "b": "operational", "more": "left", "intensity": 3}), "bad_judgment",
         {"where": "experts[0].matrices.criteria[0]"}),
        (_doc(extra_row={"a": "operational", "b": "financial", "more": "a", "intensity": 3}), "duplicate_pair",
         {"matrix": "criteria", "a": "financial", "b": "operational"}),
        (_doc(row="financial>operational"), "structure", {"where": "experts[0].matrices.criteria[0]"}),
    ],
)
def test_malformed_files_raise_coded_errors(data: bytes | str, code: str, params: dict) -> None:
    with pytest.raises(JudgmentFileError) as info:
        from_json(data, SPECS)
    assert (info.value.code, info.value.params) == (code, params)
    for lang in ("zh", "en"):
        text = file_error_text(info.value, "x.json", lang)
        assert "{" not in text and "ahp.err" not in text


def test_duplicate_expert_names_are_refused() -> None:
    base = default_judgment_set(SPECS, "zh").experts[0]
    text = to_json(JudgmentSet((base, Expert(base.name, 1.0, base.judgments))), SPECS)
    with pytest.raises(JudgmentFileError) as info:
        from_json(text, SPECS)
    assert info.value.code == "duplicate_expert"
    assert file_error_text(info.value, "f.json", "zh") == "无法载入 f.json：专家名称「专家 1」重复。"
    assert file_error_text(info.value, "f.json", "en") == "Cannot load f.json: the expert name '专家 1' appears twice."


def test_judgments_follow_a_changed_indicator_system() -> None:
    from riskcore.system import IndicatorSetting, default_system
    from riskview.ahp_view import default_judgment_set, fit_judgments, system_specs

    before = system_specs(default_system())
    js = default_judgment_set(before, "en")
    edited = set_judgment(js, 0, "compliance", ("litigation_count", "admin_penalties"), Judgment("b", 7))
    system = (default_system()
              .with_setting("owner_experience_years", enabled=False)  # the owner criterion is left empty
              .with_setting("litigation_count", criterion="credit")
              .with_indicator(IndicatorSetting("debt_to_revenue", "financial", "cost",
                                               formula="total_liabilities / revenue")))
    after = system_specs(system)
    assert [s.key for s in after] == ["criteria", "financial", "operational", "market", "credit", "guarantee",
                                      "compliance"]
    assert after[0].elements == ("financial", "operational", "market", "credit", "guarantee", "compliance")
    assert after[-1].elements == ("admin_penalties",)
    fitted = fit_judgments(edited, after).experts[0].judgments
    # Kept: a judged pair whose elements are both still in the matrix.
    assert fitted["financial"][("asset_liability_ratio", "current_ratio")] == \
        js.experts[0].judgments["financial"][("asset_liability_ratio", "current_ratio")]
    # New element: judged against the others as an average member of its matrix.
    assert fitted["financial"][("asset_liability_ratio", "debt_to_revenue")].judged
    assert fitted["credit"][("max_dpd_12m", "litigation_count")].judged
    # Gone: the owner matrix and the compliance pair that lost an element.
    assert "owner" not in fitted and fitted["compliance"] == {}
    # A pair now listed the other way round keeps its meaning.
    swapped = fit_judgments(edited, (MatrixSpec("compliance", ("admin_penalties", "litigation_count")),))
    assert swapped.experts[0].judgments["compliance"][("admin_penalties", "litigation_count")] == Judgment("a", 7)


# --------------------------------------------------------------------------- hierarchy CR, panel source and advice


def _m3(a: float, b: float, c: float, labels: list[str]) -> pd.DataFrame:
    return pd.DataFrame([[1, a, b], [1 / a, 1, c], [1 / b, 1 / c, 1]], index=labels, columns=labels)


def test_hierarchy_total_cr_counts_the_criteria_matrix_by_hand() -> None:
    """Saaty's hierarchy CR = (CI_criteria + Σ w_i CI_i) / (RI_criteria + Σ w_i RI_i).

    For a 3 × 3 reciprocal matrix with a12 = a, a13 = b, a23 = c, λmax = 1 + r + 1/r with
    r = (b / (a c))^(1/3), and the eigenvector is the row geometric mean, so everything here
    is computed by hand from closed forms."""
    crit = _m3(2, 1, 2, ["x", "y", "z"])  # r = 4^(-1/3): CR ≈ 0.187, inconsistent
    child_x = _m3(2, 4, 3, ["x1", "x2", "x3"])  # r = (2/3)^(1/3): CR ≈ 0.016
    child_y = pd.DataFrame([[1, 3], [1 / 3, 1]], index=["y1", "y2"], columns=["y1", "y2"])  # CI = RI = 0
    h = ahp_hierarchy(crit, {"x": child_x, "y": child_y})  # z is a leaf

    ci_crit = (1 + 4 ** (-1 / 3) + 4 ** (1 / 3) - 3) / 2
    ci_x = (1 + (2 / 3) ** (1 / 3) + 1.5 ** (1 / 3) - 3) / 2
    gm = [2 ** (1 / 3), 1.0, 2 ** (-1 / 3)]
    w_x = gm[0] / sum(gm)
    ri3 = 0.58
    assert h.criteria.cr == pytest.approx(ci_crit / ri3, rel=1e-12)
    assert h.criteria.weights["x"] == pytest.approx(w_x, rel=1e-12)
    assert h.total_cr == pytest.approx((ci_crit + w_x * ci_x) / (ri3 + w_x * ri3), rel=1e-12)
    assert h.total_cr == pytest.approx(0.137256, abs=1e-6) and h.total_cr > 0.10
    # The indicator level alone (textbook 层次总排序 CR) leaves the criteria matrix out.
    assert h.indicator_cr == pytest.approx((w_x * ci_x) / (w_x * ri3), rel=1e-12)
    assert h.indicator_cr == pytest.approx(0.015771, abs=1e-6)
    assert not h.consistent
    assert hierarchy_failures(h) == ("criteria",)
    assert hierarchy_failures_text(h, "en") == "Criteria"


def _criteria_only(base: Expert, name: str) -> Expert:
    """An expert who judged the criteria like ``base`` and left every indicator matrix open."""
    return Expert(name, 1.0, {**blank_judgments(SPECS), CRITERIA_MATRIX: dict(base.judgments[CRITERIA_MATRIX])})


def test_panel_source_names_the_experts_of_each_level() -> None:
    base = default_judgment_set(SPECS, "zh").experts[0]
    js = JudgmentSet((Expert("张三", 1.0, base.judgments), _criteria_only(base, "李四"), _criteria_only(base, "王五")))
    ev = evaluate(js, SPECS)
    assert ev.hierarchy is not None
    assert panel_source_lines(ev, "zh") == ["准则层：3 位专家（张三、李四、王五）", "指标层：1 位专家（张三）"]
    assert panel_source_lines(ev, "en") == ["Criteria: 3 experts (张三, 李四, 王五)", "Indicators: 1 expert (张三)"]
    # Indicator matrices aggregated from different experts are listed by group.
    mixed = set_judgment(js, 1, "guarantee", ("guarantee_score", "collateral_coverage"), Judgment("a", 2))
    mixed = set_judgment(mixed, 1, "guarantee", ("collateral_coverage", "external_guarantee_ratio"), Judgment("a", 2))
    lines = panel_source_lines(evaluate(mixed, SPECS), "en")
    assert lines[1:] == ["Indicators of Financial, Operational, Credit behaviour, Compliance / legal: 1 expert (张三)",
                         "Indicators of Guarantee: 2 experts (张三, 李四)"]
    assert panel_source_lines(evaluate(JudgmentSet((js.experts[0],)), SPECS), "zh") == []
    assert experts_phrase((), "en") == "none (not enough judgments)"
    # The consistency column stays short; the caption below names the matrices.
    table = experts_table(js, ev, "en")
    assert table["Consistency"].tolist() == ["all pass", "5 incomplete", "5 incomplete"]
    assert experts_status_notes(js, ev, "zh") == [
        "李四：财务风险、经营风险、信用风险、担保风险、合规（法律）风险 判断不足",
        "王五：财务风险、经营风险、信用风险、担保风险、合规（法律）风险 判断不足",
    ]


def _inconsistent_panel() -> JudgmentSet:
    base = default_judgment_set(SPECS, "zh")
    bad = set_judgment(base, 0, CRITERIA_MATRIX, ("market", "credit"), Judgment("a", 9))
    bad = set_judgment(bad, 0, CRITERIA_MATRIX, ("operational", "credit"), Judgment("a", 7)).experts[0]
    mild = set_judgment(base, 0, CRITERIA_MATRIX, ("financial", "credit"), Judgment("b", 3)).experts[0]
    return JudgmentSet((Expert("张三", 1.0, base.experts[0].judgments), Expert("李四", 5.0, bad.judgments),
                        Expert("王五", 1.0, mild.judgments)))


def test_panel_advice_names_the_expert_whose_removal_lowers_the_panel_cr_most() -> None:
    js = _inconsistent_panel()
    ev = evaluate(js, SPECS)
    panel = ev.panels[CRITERIA_MATRIX].panel
    assert panel is not None and not panel.aggregate.consistent
    advice = panel_advice(js, ev, CRITERIA_MATRIX)
    assert advice is not None
    mats = {e.name: pairwise_matrix(BY_KEY[CRITERIA_MATRIX], e.judgments[CRITERIA_MATRIX]) for e in js.experts}
    weights = {e.name: e.weight for e in js.experts}
    without = {n: ahp_panel({k: v for k, v in mats.items() if k != n}, {k: weights[k] for k in mats if k != n})
               .aggregate.cr for n in mats}
    assert min(without, key=without.__getitem__) == "李四"
    assert (advice.expert, advice.name) == (1, "李四")
    assert advice.cr_without == pytest.approx(without["李四"], rel=1e-12)
    assert advice.panel_cr == pytest.approx(panel.aggregate.cr, rel=1e-12)
    assert advice.own_cr == pytest.approx(ahp_weights(mats["李四"]).cr, rel=1e-12)
    revision = ahp_revision(mats["李四"])
    assert advice.revision is not None and (advice.revision.row, advice.revision.column) == (revision.row,
                                                                                          revision.column)
    zh = panel_advice_text(advice, CRITERIA_MATRIX, "zh")
    assert zh.startswith(f"专家组汇总矩阵 CR = {panel.aggregate.cr:.4f}，未通过。影响最大的是「李四」的判断")
    assert revision_text(revision, CRITERIA_MATRIX, "zh") in zh
    en = panel_advice_text(advice, CRITERIA_MATRIX, "en")
    assert f"李四's judgments contribute most: without them the panel CR falls to {without['李四']:.4f}" in en
    assert revision_text(revision, CRITERIA_MATRIX, "en") in en
    # Consistent panels get no advice; a consistent culprit is asked to compare, not to revise.
    assert panel_advice(js, ev, "financial") is None
    calm = PanelAdvice(0, "张三", 0.12, 0.05, 0.03, None)
    assert panel_advice_text(calm, CRITERIA_MATRIX, "en").endswith(
        "check with 张三 the pairs judged the opposite way.")
    assert "「张三」本人的判断一致" in panel_advice_text(calm, CRITERIA_MATRIX, "zh")


def test_panel_advice_with_one_expert_aggregated_names_that_expert() -> None:
    js = _inconsistent_panel()
    js = JudgmentSet((js.experts[1], Expert("空白", 1.0, blank_judgments(SPECS))))
    ev = evaluate(js, SPECS)
    advice = panel_advice(js, ev, CRITERIA_MATRIX)
    assert advice is not None and advice.name == "李四" and advice.cr_without is None
    assert panel_advice_text(advice, CRITERIA_MATRIX, "en").startswith(
        f"The panel aggregate fails (CR = {advice.panel_cr:.4f}); only 李四's judgments are aggregated")


def test_panel_chart_title_is_short_with_a_subtitle_line() -> None:
    ev = evaluate(_three_experts(), SPECS)
    chart = panel_weight_chart(ev.panels[CRITERIA_MATRIX], "en", title="Criteria: panel weights",
                               subtitle="bars: panel (AIJ); markers: each expert").to_dict()
    assert chart["layout"]["title"]["text"] == "Criteria: panel weights<br><sup>bars: panel (AIJ); markers: each expert</sup>"
