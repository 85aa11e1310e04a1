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
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

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
    JudgmentFileError,
    file_error_text,
    from_json,
    hierarchy_specs,
    revision_text,
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
    assert overview.loc[0, "一致性"] == "1 个矩阵未通过"
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
