"""The AHP page driven through AppTest, checked against riskcore called directly.

The expected numbers are computed here from the pairs as the page displays them (read
back from the editor's table with this file's own word → value map), so a page that
shows one thing and computes another fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

import pandas as pd
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

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
    Expert,
    Judgment,
    JudgmentFileError,
    JudgmentSet,
    blank_judgments,
    default_judgment_set,
    file_error_text,
    from_json,
    hierarchy_specs,
    pairwise_matrix,
    revision_text,
    set_judgment,
)
from riskview.i18n import t

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "ahp.py")
APP = str(ROOT / "app.py")
SPECS = {s.key: s for s in hierarchy_specs()}

#: The page's words, mapped to numbers independently of riskview.ahp_view.
SIDE = {"A 更重要": "a", "B 更重要": "b", "同样重要": "equal",
        "A is more important": "a", "B is more important": "b", "Equally important": "equal"}
COL = {"zh": {"a": "要素 A", "b": "要素 B", "more": "哪一方更重要", "k": "重要程度", "value": "判断值 a(A,B)",
              "w": "权重 w", "elem": "要素"},
       "en": {"a": "Element A", "b": "Element B", "more": "Which is more important", "k": "Intensity",
              "value": "Value a(A,B)", "w": "Weight w", "elem": "Element"}}


def _page(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _value(more: object, intensity: object) -> float | None:
    """a(A, B) from the two selectbox labels as a user reads them."""
    if SIDE.get(str(more)) == "equal":
        return 1.0
    if str(more).startswith("—") or str(intensity).startswith("—"):
        return None
    k = int(str(intensity).split(" ")[0])
    side = SIDE[str(more)]
    return 1.0 if side == "equal" or k == 1 else (float(k) if side == "a" else 1.0 / k)


def _pairs(table: pd.DataFrame, matrix: str, lang: str) -> list[tuple[str, str, float]]:
    """(A key, B key, a(A,B)) of every judged row of the editor's table; rows follow the
    matrix's pair order, which is element order."""
    spec = SPECS[matrix]
    out = []
    for (a, b), (_, row) in zip(spec.pairs, table.iterrows(), strict=True):
        v = _value(row[COL[lang]["more"]], row[COL[lang]["k"]])
        if v is not None:
            out.append((a, b, v))
    return out


def _edit(at: AppTest, edits: dict[int, dict[str, str]], index: int = 0) -> AppTest:
    key = at.data_editor[index].key
    at.session_state[key] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    return at.run()


def _matrix_table(at: AppTest, lang: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if COL[lang]["w"] in d.value.columns)


def _metric(at: AppTest, key: str, lang: str) -> str:
    return next(m.value for m in at.metric if m.label == t(key, lang))


def _badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


def _select_matrix(at: AppTest, key: str) -> AppTest:
    return at.selectbox(key=_expert_widget(at, "selectbox", "ahp_matrix_")).set_value(key).run()


@contextmanager
def _downloads() -> Iterator[list[bytes]]:
    """Capture the bytes handed to st.download_button (AppTest keeps them in memory only)."""
    seen: list[bytes] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self: MemoryMediaFileStorage, path_or_data: bytes | str, mimetype: str, kind: object,
            filename: str | None = None) -> str:
        if mimetype == "application/json" and isinstance(path_or_data, bytes):
            seen.append(path_or_data)
        return original(self, path_or_data, mimetype, kind, filename)  # type: ignore[arg-type]

    with patch.object(MemoryMediaFileStorage, "load_and_get_id", spy):
        yield seen


# --------------------------------------------------------------------------- opening


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_opens_in_both_languages_with_results_at_once(lang: str) -> None:
    at = _page(lang)
    _ok(at)
    assert at.title[0].value == t("ahp.title", lang)
    assert at.data_editor[0].value.columns.tolist() == [COL[lang][k] for k in ("a", "b", "more", "k", "value")]
    assert len(at.data_editor[0].value) == 21  # 7 criteria, one row per pair
    assert _badges(at) and all("green-badge" in b for b in _badges(at))
    for frame in (d.value for d in at.dataframe):
        assert not frame.isna().any().any()
    weights = at.session_state["ahp_global_weights"]
    assert list(weights.index) == [i.key for i in DEFAULT_INDICATORS]
    assert weights.sum() == pytest.approx(1.0)
    assert list(at.session_state["ahp_criterion_weights"].index) == list(CRITERIA)
    assert at.session_state["ahp_weights_info"]["source"] == "expert"
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert t("ahp.chart.global_title", lang) in titles
    assert all("NaN" not in json.dumps(c) and "null" not in json.dumps(c["data"]) for c in charts)


def test_page_is_registered_after_ranking_in_the_app() -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("app_pages/ahp.py").run()
    _ok(at)
    assert at.title[0].value == t("ahp.title", "en")
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert source.index('"app_pages/ranking.py"') < source.index('"app_pages/ahp.py"')
    assert 'url_path="ahp"' in source and 't("ahp.nav", lang)' in source


def test_language_switch_keeps_the_matrix_and_translates_its_labels() -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "zh"
    at.run()
    at.switch_page("app_pages/ahp.py").run()
    at = _select_matrix(at, "credit")
    at.segmented_control(key="lang").set_value("en").run()
    _ok(at)
    matrix = at.selectbox(key=_expert_widget(at, "selectbox", "ahp_matrix_"))
    assert matrix.value == "credit" and matrix.format_func("credit") == "Indicators of Credit behaviour: 5"
    assert at.data_editor[0].value.loc[0, COL["en"]["a"]] == "Max days past due, 12 m"
    assert at.selectbox(key=_expert_widget(at, "selectbox", "ahp_add_from_")).options == [
        "Blank (nothing judged)", "A copy of the current expert"]


# --------------------------------------------------------------------------- editing


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_editing_a_row_shows_what_riskcore_computes_from_the_same_pairs(lang: str) -> None:
    at = _page(lang)
    before = _matrix_table(at, lang)[COL[lang]["w"]].tolist()
    # Row 2 is (financial, credit): make credit strongly more important.
    more_b = "B 更重要" if lang == "zh" else "B is more important"
    strong = "7 · 强烈重要" if lang == "zh" else "7 · very strong"
    at = _edit(at, {2: {COL[lang]["more"]: more_b, COL[lang]["k"]: strong}})
    _ok(at)
    table = at.data_editor[0].value
    assert table.loc[2, COL[lang]["value"]] == "1/7"
    expected = ahp_weights(ahp_matrix_from_pairs(CRITERIA, _pairs(table, "criteria", lang)))
    assert isinstance(expected, AHPResult)
    shown = _matrix_table(at, lang)
    assert shown[COL[lang]["w"]].tolist() == pytest.approx(expected.weights.tolist(), rel=1e-12, abs=0)
    assert shown[COL[lang]["w"]].tolist() != pytest.approx(before)
    assert _metric(at, "ahp.cr", lang) == f"{expected.cr:.4f}"
    assert _metric(at, "ahp.lambda_max", lang) == f"{expected.lambda_max:.4f}"
    assert _metric(at, "ahp.ci", lang) == f"{expected.ci:.4f}"
    assert _metric(at, "ahp.ri", lang) == "1.32"
    # The global weights kept for the other pages follow the edit.
    assert at.session_state["ahp_criterion_weights"].tolist() == pytest.approx(expected.weights.tolist(), abs=1e-14)


def test_a_second_edit_keeps_the_first() -> None:
    at = _page("zh")
    at = _edit(at, {0: {COL["zh"]["k"]: "5 · 明显重要"}})
    at = _edit(at, {3: {COL["zh"]["more"]: "B 更重要", COL["zh"]["k"]: "2 · 介于同等与稍微重要之间"}})
    _ok(at)
    values = at.data_editor[0].value[COL["zh"]["value"]].tolist()
    assert values[0] == "5" and values[3] == "1/2"


def test_not_judged_pairs_are_completed_and_marked() -> None:
    at = _page("en")
    at = _select_matrix(at, "guarantee")
    at = _edit(at, {0: {COL["en"]["k"]: "— not judged"}})
    _ok(at)
    table = at.data_editor[0].value
    assert table.loc[0, COL["en"]["value"]] == "—" and table.loc[0, COL["en"]["more"]] == "— not chosen"
    pairs = _pairs(table, "guarantee", "en")
    assert len(pairs) == 2
    expected = ahp_weights(ahp_matrix_from_pairs(SPECS["guarantee"].elements, pairs))
    shown = _matrix_table(at, "en")
    assert shown[COL["en"]["w"]].tolist() == pytest.approx(expected.weights.tolist(), rel=1e-12, abs=0)
    assert shown.iloc[0, 2].endswith("*")
    assert t("ahp.filled_note", "en") in [c.value for c in at.caption]


def test_inconsistent_expert_shows_the_fail_badge_and_the_revision_hint() -> None:
    at = _page("zh")
    # Row 11 is (market, credit): market "extremely" more important than credit.
    at = _edit(at, {11: {COL["zh"]["more"]: "A 更重要", COL["zh"]["k"]: "9 · 极端重要"}})
    _ok(at)
    row = at.data_editor[0].value.loc[11]
    assert (row[COL["zh"]["a"]], row[COL["zh"]["b"]], row[COL["zh"]["value"]]) == ("市场（行业）风险", "信用风险", "9")
    matrix = ahp_matrix_from_pairs(CRITERIA, _pairs(at.data_editor[0].value, "criteria", "zh"))
    result = ahp_weights(matrix)
    assert isinstance(result, AHPResult) and result.cr > 0.10
    assert _metric(at, "ahp.cr", "zh") == f"{result.cr:.4f}"
    assert _badges(at)[0] == ":red-badge[:material/error: 一致性未通过（CR > 0.10）]"
    revision = ahp_revision(matrix)
    hint = revision_text(revision, "criteria", "zh")
    assert hint in [w.value for w in at.warning]
    assert "「市场（行业）风险」比「信用风险」极端重要（9）" in hint
    # The panel overview marks the failing matrix too.
    overview = next(d.value for d in at.dataframe if "一致性" in d.value.columns and "准则层" in d.value.columns)
    assert overview.loc[0, "准则层"] == f"{result.cr:.4f} ✗"
    assert overview.loc[0, "一致性"] == "1 个未通过"
    assert "ahp_global_weights" in at.session_state and not at.session_state["ahp_weights_info"]["consistent"]

    at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("ahp_apply_"))).click().run()
    _ok(at)
    assert _metric(at, "ahp.cr", "zh") == f"{revision.cr_after_scale:.4f}"


def test_blank_single_judgment_matrix_blocks_global_weights_without_stale_values() -> None:
    at = _page("en")
    at = _select_matrix(at, "compliance")
    assert len(at.data_editor[0].value) == 1
    at = _edit(at, {0: {COL["en"]["k"]: "— not judged"}})
    _ok(at)
    assert t("ahp.incomplete", "en", names="Administrative penalties") in [w.value for w in at.warning]
    assert any(w.value.startswith("Global weights cannot be computed yet: Compliance / legal") for w in at.warning)
    assert "ahp_global_weights" not in at.session_state and "ahp_criterion_weights" not in at.session_state
    for frame in (d.value for d in at.dataframe):
        assert not frame.isna().any().any()


def test_single_indicator_criterion_needs_no_judgment() -> None:
    at = _select_matrix(_page("zh"), "market")
    _ok(at)
    assert not at.data_editor
    assert t("ahp.single", "zh", name="市场（行业）风险") in [i.value for i in at.info]


def test_ri_table_choice_changes_ri_and_cr_and_is_named() -> None:
    at = _page("en")
    cr_1980 = _metric(at, "ahp.cr", "en")
    ri_key = next(s.key for s in at.selectbox if s.key and s.key.startswith("ahp_ri_"))
    at.selectbox(key=ri_key).set_value("cn_textbook").run()
    _ok(at)
    assert _metric(at, "ahp.ri", "en") == "1.36"
    assert _metric(at, "ahp.cr", "en") != cr_1980
    assert t("ahp.ri_named", "en", table="Chinese textbook table (n ≤ 10)") in [c.value for c in at.caption]
    assert at.session_state["ahp_weights_info"]["ri_table"] == "cn_textbook"


# --------------------------------------------------------------------------- experts


def _expert_widget(at: AppTest, kind: str, prefix: str) -> str:
    return next(w.key for w in getattr(at, kind) if w.key and w.key.startswith(prefix))


def test_three_expert_panel_aggregate_equals_riskcore_ahp_panel() -> None:
    at = _page("zh")
    at.selectbox(key=_expert_widget(at, "selectbox", "ahp_add_from_")).set_value("copy").run()
    at.button(key="ahp_add").click().run()
    _ok(at)
    assert at.text_input(key=_expert_widget(at, "text_input", "ahp_name_")).value == "专家 2"
    at = _edit(at, {2: {COL["zh"]["more"]: "B 更重要", COL["zh"]["k"]: "3 · 稍微重要"}})  # financial < credit
    at.number_input(key=_expert_widget(at, "number_input", "ahp_weight_")).set_value(2.0).run()
    at.text_input(key=_expert_widget(at, "text_input", "ahp_name_")).input("李四").run()
    at.button(key="ahp_add").click().run()
    at = _edit(at, {20: {COL["zh"]["more"]: "A 更重要", COL["zh"]["k"]: "6 · 介于明显与强烈重要之间"}})
    _ok(at)

    # Each expert's pairs as the page shows them, read back expert by expert.
    mats: dict[str, pd.DataFrame] = {}
    for index in range(3):
        at.selectbox(key=_expert_widget(at, "selectbox", "ahp_expert_")).set_value(index).run()
        name = at.text_input(key=_expert_widget(at, "text_input", "ahp_name_")).value
        mats[name] = ahp_matrix_from_pairs(CRITERIA, _pairs(at.data_editor[0].value, "criteria", "zh"))
    assert list(mats) == ["专家 1", "李四", "专家 2"]  # the first free default name
    expected = ahp_panel(mats, {"专家 1": 1.0, "李四": 2.0, "专家 2": 1.0})

    aggregate = next(d.value for d in at.dataframe if "专家组（AIJ）" in d.value.columns)
    assert list(aggregate.columns) == ["要素", "专家 1", "李四", "专家 2", "专家组（AIJ）"]
    assert aggregate["专家组（AIJ）"].tolist() == pytest.approx(expected.aggregate.weights.tolist(), rel=1e-12, abs=0)
    for name in mats:
        assert aggregate[name].tolist() == pytest.approx(expected.experts[name].weights.tolist(), rel=1e-12, abs=0)
    crs = next(d.value for d in at.dataframe if "最大特征根 λmax" in d.value.columns)
    assert crs["一致性比率 CR"].tolist() == [f"{r.cr:.4f}" for r in expected.experts.values()] + [
        f"{expected.aggregate.cr:.4f}"]
    assert crs["权重占比"].tolist() == pytest.approx([0.25, 0.5, 0.25, 1.0])

    # Global weights come from the panel: riskcore's hierarchy over the aggregate matrices.
    assert at.session_state["ahp_weights_info"]["source"] == "panel"
    js = at.session_state["ahp_judgments"]
    children = {}
    for crit in CRITERIA:
        spec = SPECS[crit]
        per_expert = {
            e.name: ahp_matrix_from_pairs(spec.elements, [(a, b, j.value) for (a, b), j in e.judgments[crit].items()
                                                          if j.value is not None])
            for e in js.experts
        }
        children[crit] = ahp_panel(per_expert, {e.name: e.weight for e in js.experts}).aggregate_matrix
    hierarchy = ahp_hierarchy(expected.aggregate_matrix, children)
    pd.testing.assert_series_equal(at.session_state["ahp_global_weights"], hierarchy.global_weights,
                                   check_exact=False, rtol=1e-12)
    assert at.session_state["ahp_global_weights"].sum() == pytest.approx(1.0)
    pd.testing.assert_series_equal(at.session_state["ahp_criterion_weights"], expected.aggregate.weights,
                                   check_exact=False, rtol=1e-12)


def test_blank_new_expert_is_left_out_and_remove_works() -> None:
    at = _page("en")
    at.button(key="ahp_add").click().run()  # blank by default
    _ok(at)
    lonely = "Operational, Market / industry, Credit behaviour, Guarantee, Compliance / legal, Owner / management"
    assert t("ahp.incomplete", "en", names=lonely) in [w.value for w in at.warning]
    assert t("ahp.panel_excluded", "en", names="Expert 2") in [w.value for w in at.warning]
    assert at.session_state["ahp_weights_info"]["experts"] == ["Expert 1"]
    at.button(key="ahp_remove").click().run()
    _ok(at)
    assert [e.name for e in at.session_state["ahp_judgments"].experts] == ["Expert 1"]
    assert at.button(key="ahp_remove").disabled


def test_renaming_to_a_taken_name_is_refused() -> None:
    at = _page("zh")
    at.button(key="ahp_add").click().run()
    at.text_input(key=_expert_widget(at, "text_input", "ahp_name_")).input("专家 1").run()
    _ok(at)
    assert [w.value for w in at.warning if "名称" in w.value] == [t("ahp.name_taken", "zh", name="专家 1")]
    assert [e.name for e in at.session_state["ahp_judgments"].experts] == ["专家 1", "专家 2"]


def _browser_run(at: AppTest, kept: dict[str, str]) -> AppTest:
    """Run as a browser does for the selectboxes in ``kept`` (widget id → label): a browser
    keeps sending the label it holds for a widget whose id stayed the same and whose value
    the script did not set, even after the options were relabelled. AppTest itself would
    send the relabelled option, which hides the difference."""
    original = Selectbox._widget_state

    def widget_state(self: Selectbox) -> WidgetState:
        if self.id not in kept:
            return original.fget(self)  # type: ignore[attr-defined]
        ws = WidgetState()
        ws.id = self.id
        ws.string_value = kept[self.id]
        return ws

    with patch.object(Selectbox, "_widget_state", property(widget_state)):
        return at.run()


def _kept_label(at: AppTest, before: tuple[str, str]) -> dict[str, str]:
    """What a browser sends for the expert selector after a run, given ``before`` = (widget
    id, label shown) of the selector before it: that old label while the widget is the same
    and the script did not set it."""
    after = at.selectbox(key=_expert_widget(at, "selectbox", "ahp_expert_"))
    if after.id == before[0] and not after.proto.set_value:
        return {after.id: before[1]}
    return {}


@pytest.mark.parametrize("then", ["add", "edit", "weight"])
def test_renaming_an_expert_keeps_judgments_and_weight_and_the_next_change_works(then: str) -> None:
    at = _page("zh")
    at.button(key="ahp_add").click().run()  # 专家 2, blank
    at = _edit(at, {0: {COL["zh"]["k"]: "5 · 明显重要"}})  # a judgment of 专家 2
    at.number_input(key=_expert_widget(at, "number_input", "ahp_weight_")).set_value(2.0).run()
    _ok(at)
    before = at.session_state["ahp_judgments"].experts[1]
    selector = at.selectbox(key=_expert_widget(at, "selectbox", "ahp_expert_"))
    shown = (selector.id, selector.options[selector.index])
    assert shown[1] == "专家 2"
    at.text_input(key=_expert_widget(at, "text_input", "ahp_name_")).input("李四").run()
    _ok(at)
    kept = _kept_label(at, shown)
    # The widgets show the renamed expert's own name and weight, also to a browser that
    # re-creates them (their default is the value, not "" or the minimum 0.00).
    name = at.text_input(key=_expert_widget(at, "text_input", "ahp_name_"))
    weight = at.number_input(key=_expert_widget(at, "number_input", "ahp_weight_"))
    assert (name.value, name.proto.default) == ("李四", "李四")
    assert (weight.value, weight.proto.default) == (2.0, 2.0)
    assert at.selectbox(key=_expert_widget(at, "selectbox", "ahp_expert_")).options == ["专家 1", "李四"]

    # The next change of any widget, as the browser sends it.
    if then == "add":
        at.button(key="ahp_add").click()
    elif then == "edit":
        key = at.data_editor[0].key
        at.session_state[key] = {"edited_rows": {1: {COL["zh"]["k"]: "3 · 稍微重要"}}, "added_rows": [],
                                 "deleted_rows": []}
    else:
        at.number_input(key=_expert_widget(at, "number_input", "ahp_weight_")).set_value(3.0)
    at = _browser_run(at, kept)
    _ok(at)
    experts = at.session_state["ahp_judgments"].experts
    renamed = experts[1]
    assert renamed.name == "李四"
    assert renamed.weight == (3.0 if then == "weight" else 2.0)
    if then != "edit":
        assert renamed.judgments == before.judgments
    assert [e.name for e in experts] == (["专家 1", "李四", "专家 2"] if then == "add" else ["专家 1", "李四"])
    assert not [w.value for w in at.warning if "名称" in w.value or "name" in w.value]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_name_is_refused_in_the_page_language(lang: str) -> None:
    at = _page(lang)
    at.text_input(key=_expert_widget(at, "text_input", "ahp_name_")).input("  ").run()
    _ok(at)
    assert [w.value for w in at.warning] == [t("ahp.name_taken", lang, name="")]
    name = at.text_input(key=_expert_widget(at, "text_input", "ahp_name_"))
    assert name.value == t("ahp.default_expert", lang, n=1)
    # Shown once: the next run has no warning left.
    at.number_input(key=_expert_widget(at, "number_input", "ahp_weight_")).set_value(1.5).run()
    _ok(at)
    assert not at.warning
    assert at.session_state["ahp_judgments"].experts[0].name == t("ahp.default_expert", lang, n=1)


def test_a_name_warning_is_in_the_language_of_the_page_that_shows_it() -> None:
    """A taken name entered in the same interaction as a switch to Chinese (the callback was
    made by the English run) is refused in Chinese, the language of the page showing it."""
    at = _page("en")
    at.button(key="ahp_add").click().run()
    at.text_input(key=_expert_widget(at, "text_input", "ahp_name_")).input("Expert 1")
    at.session_state["lang"] = "zh"
    at.run()
    _ok(at)
    assert [w.value for w in at.warning if "Expert 1" in w.value] == [t("ahp.name_taken", "zh", name="Expert 1")]
    assert [e.name for e in at.session_state["ahp_judgments"].experts] == ["Expert 1", "Expert 2"]


# --------------------------------------------------------------------------- panel figures and advice


def _page_with(js: JudgmentSet, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["ahp_judgments"] = js
    return at.run()


def _inconsistent_panel() -> JudgmentSet:
    """Three experts; 李四 (weight 5) judges the criteria very inconsistently, so the panel's
    criteria aggregate fails (CR > 0.10) while every indicator matrix passes."""
    base = default_judgment_set(list(SPECS.values()), "zh")
    bad = set_judgment(base, 0, CRITERIA_MATRIX, ("market", "credit"), Judgment("a", 9))
    bad = set_judgment(bad, 0, CRITERIA_MATRIX, ("operational", "credit"), Judgment("a", 7)).experts[0]
    mild = set_judgment(base, 0, CRITERIA_MATRIX, ("financial", "credit"), Judgment("b", 3)).experts[0]
    return JudgmentSet((Expert("张三", 1.0, base.experts[0].judgments), Expert("李四", 5.0, bad.judgments),
                        Expert("王五", 1.0, mild.judgments)))


def _aggregates(js: JudgmentSet) -> dict[str, pd.DataFrame]:
    return {
        key: ahp_panel({e.name: pairwise_matrix(spec, e.judgments[key]) for e in js.experts},
                       {e.name: e.weight for e in js.experts}).aggregate_matrix
        for key, spec in SPECS.items()
    }


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hierarchy_total_cr_includes_the_inconsistent_criteria_level(lang: str) -> None:
    js = _inconsistent_panel()
    at = _page_with(js, lang)
    _ok(at)
    agg = _aggregates(js)
    crit = ahp_weights(agg[CRITERIA_MATRIX])
    children = {c: ahp_weights(agg[c]) for c in CRITERIA}
    assert isinstance(crit, AHPResult) and crit.cr > 0.10
    w = crit.weights
    # Saaty: (CI_criteria + Σ w_c CI_c) / (RI_criteria + Σ w_c RI_c); RI = 0 for matrices of 1 or 2.
    total = (crit.ci + sum(w[c] * r.ci for c, r in children.items())) / (
        crit.ri + sum(w[c] * r.ri for c, r in children.items()))
    level = sum(w[c] * r.ci for c, r in children.items()) / sum(w[c] * r.ri for c, r in children.items())
    assert level < total < crit.cr  # the criteria level now weighs in
    assert _metric(at, "ahp.criteria_cr", lang) == f"{crit.cr:.4f}"
    assert _metric(at, "ahp.indicator_cr", lang) == f"{level:.4f}"
    assert _metric(at, "ahp.total_cr", lang) == f"{total:.4f}"
    info = at.session_state["ahp_weights_info"]
    assert info["total_cr"] == pytest.approx(total, rel=1e-9) and not info["consistent"]
    assert info["criteria_cr"] == pytest.approx(crit.cr, rel=1e-9)
    # Each badge says what it judges: the panel's criteria aggregate, then the whole hierarchy.
    criteria = t("ahp.matrix.criteria_short", lang)
    assert f":red-badge[:material/error: {t('ahp.badge.panel_fail', lang)}]" in _badges(at)
    assert f":red-badge[:material/error: {t('ahp.badge.hierarchy_fail', lang, matrices=criteria)}]" in _badges(at)


def test_panel_source_says_whose_judgments_each_level_aggregates() -> None:
    base = default_judgment_set(list(SPECS.values()), "zh").experts[0]
    lazy = {**blank_judgments(SPECS.values()), CRITERIA_MATRIX: dict(base.judgments[CRITERIA_MATRIX])}
    js = JudgmentSet((Expert("张三", 1.0, base.judgments), Expert("李四", 1.0, lazy), Expert("王五", 1.0, lazy)))
    at = _page_with(js, "zh")
    _ok(at)
    source = next(c.value for c in at.caption if c.value.startswith(t("ahp.global.source_panel", "zh")))
    assert source.split("  \n")[1:] == ["准则层：3 位专家（张三、李四、王五）", "指标层：1 位专家（张三）"]
    assert at.session_state["ahp_weights_info"]["experts_by_matrix"]["credit"] == ["张三"]
    # The consistency column stays short; the caption under the table names the matrices.
    overview = next(d.value for d in at.dataframe if "一致性" in d.value.columns and "准则层" in d.value.columns)
    assert overview["一致性"].tolist() == ["全部通过", "5 个判断不足", "5 个判断不足"]
    lacking = "财务风险、经营风险、信用风险、担保风险、合规（法律）风险 判断不足"
    notes = next(c.value for c in at.caption if c.value.startswith(t("ahp.status_note", "zh")))
    assert notes.split("  \n")[1:] == [f"李四：{lacking}", f"王五：{lacking}"]
    at = _select_matrix(at, "credit")
    _ok(at)
    assert t("ahp.panel_caption", "zh", experts="1 位专家（张三）", table="Saaty 1980（n ≤ 15）") in [
        c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_inconsistent_panel_names_the_expert_to_revise_first(lang: str) -> None:
    js = _inconsistent_panel()
    at = _page_with(js, lang)
    _ok(at)
    mine = pairwise_matrix(SPECS[CRITERIA_MATRIX], js.experts[1].judgments[CRITERIA_MATRIX])
    revision = revision_text(ahp_revision(mine), CRITERIA_MATRIX, lang)
    advice = [w.value for w in at.warning if revision in w.value]
    assert len(advice) == 1
    who = "「李四」" if lang == "zh" else "李四's judgments contribute most"
    assert who in advice[0]
    # Remove 李四 and the panel passes: the advice names the right expert.
    rest = {e.name: pairwise_matrix(SPECS[CRITERIA_MATRIX], e.judgments[CRITERIA_MATRIX]) for e in js.experts
            if e.name != "李四"}
    without = ahp_panel(rest, {"张三": 1.0, "王五": 1.0}).aggregate.cr
    assert f"{without:.4f}" in advice[0] and without <= 0.10

    # The button switches to 李四, whose own revise-first suggestion is then shown with its button.
    go = next(b for b in at.button if b.key and b.key.startswith("ahp_go_"))
    assert go.label == t("ahp.panel_advice.go", lang, name="李四")
    go.click().run()
    _ok(at)
    assert at.text_input(key=_expert_widget(at, "text_input", "ahp_name_")).value == "李四"
    assert at.selectbox(key=_expert_widget(at, "selectbox", "ahp_expert_")).value == 1
    assert revision in [w.value for w in at.warning]
    assert any(b.key and b.key.startswith("ahp_apply_") for b in at.button)
    assert not any(b.key and b.key.startswith("ahp_go_") for b in at.button)  # already editing 李四


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_panel_chart_title_is_short_with_the_legend_hint_below(lang: str) -> None:
    at = _page_with(_inconsistent_panel(), lang)
    _ok(at)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    criteria = t("ahp.matrix.criteria_short", lang)
    head = t("ahp.chart.panel_title", lang, matrix=criteria)
    assert f"{head}<br><sup>{t('ahp.chart.panel_subtitle', lang)}</sup>" in titles
    assert len(head) <= 25


# --------------------------------------------------------------------------- save and load


def test_json_round_trip_through_download_and_upload_is_exact() -> None:
    with _downloads() as files:
        at = _page("zh")
        at.button(key="ahp_add").click().run()
        at = _edit(at, {0: {COL["zh"]["more"]: "A 更重要", COL["zh"]["k"]: "8 · 介于强烈与极端重要之间"}})
        ri_key = _expert_widget(at, "selectbox", "ahp_ri_")
        at.selectbox(key=ri_key).set_value("saaty2005").run()
        _ok(at)
        saved = files[-1]
        before = at.session_state["ahp_judgments"]
        assert from_json(saved, list(SPECS.values())) == before

        at.button(key="ahp_reset").click().run()
        assert at.session_state["ahp_judgments"] != before
        uploader = _expert_widget(at, "file_uploader", "ahp_upload_")
        at.file_uploader(key=uploader).set_value(("mine.json", saved, "application/json")).run()
        _ok(at)
        assert at.session_state["ahp_judgments"] == before
        assert t("ahp.loaded", "zh", file="mine.json", n=2) in [s.value for s in at.success]
        again = files[-1]
    def strip(data: bytes) -> dict:
        return {k: v for k, v in json.loads(data).items() if k != "saved_at"}

    assert strip(again) == strip(saved)
    assert _metric(at, "ahp.ri", "zh") == "1.35"
    at.selectbox(key=_expert_widget(at, "selectbox", "ahp_expert_")).set_value(1).run()
    assert at.data_editor[0].value.loc[0, COL["zh"]["value"]] == "8"  # the second expert's edit is back


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_malformed_json_gives_the_error_message_and_keeps_the_judgments(lang: str) -> None:
    at = _page(lang)
    before = at.session_state["ahp_judgments"]
    bad = b'{"format": "sme-risk-dashboard/ahp-judgments", "version": 1, "experts": [}'
    uploader = _expert_widget(at, "file_uploader", "ahp_upload_")
    at.file_uploader(key=uploader).set_value(("broken.json", bad, "application/json")).run()
    _ok(at)
    with pytest.raises(JudgmentFileError) as info:
        from_json(bad, list(SPECS.values()))
    expected = file_error_text(info.value, "broken.json", lang)
    assert [e.value for e in at.error] == [expected]
    assert expected.startswith("无法载入 broken.json：不是有效的 JSON" if lang == "zh"
                               else "Cannot load broken.json: not valid JSON")
    assert at.session_state["ahp_judgments"] == before
