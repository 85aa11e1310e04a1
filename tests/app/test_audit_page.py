"""The audit trail page through AppTest on a temporary store."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from riskcore.store import STORE_ENV, LedgerStore
from riskcore.system import default_system, to_json
from riskview.i18n import t

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "audit.py")


def _app(lang: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def _no_nan(at: AppTest) -> None:
    for frame in at.dataframe:
        assert not frame.value.isna().any().any()
        assert not frame.value.astype(str).isin(["nan", "NaN", "inf", "<NA>", "None", "NaT"]).any().any()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_lists_entries_filters_and_downloads(lang, tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "store.duckdb"))
    store = LedgerStore()
    system = default_system("committee")
    store.save_system(system, author="王敏", comment="Q2")
    f = store.put_file(b"ledger", "a.csv")
    store.record_audit("export", who="", subject="watchlist", payload=b"csv")
    at = _app(lang)
    assert not at.exception
    assert at.title[0].value == t("audit.title", lang)
    [frame] = at.dataframe
    shown = frame.value
    assert list(shown.columns) == [t(f"audit.col.{c}", lang) for c in ("at", "who", "action", "subject", "hash",
                                                                      "detail")]
    assert len(shown) == 2
    assert shown[t("audit.col.action", lang)].tolist() == [t("audit.action.export", lang),
                                                            t("audit.action.save_system", lang)]
    assert shown[t("audit.col.who", lang)].tolist() == [t("audit.who_unknown", lang), "王敏"]
    assert shown[t("audit.col.subject", lang)].tolist() == ["watchlist", "committee v1"]
    assert shown[t("audit.col.hash", lang)].iloc[1] == hashlib.sha256(to_json(system).encode()).hexdigest()[:12]
    assert "Q2" in shown[t("audit.col.detail", lang)].iloc[1]
    _no_nan(at)
    assert f.sha256  # the upload itself is not an audited save

    at.multiselect(key="audit_actions").set_value(["save_system"]).run()
    assert not at.exception
    assert at.dataframe[0].value[t("audit.col.subject", lang)].tolist() == ["committee v1"]
    assert at.caption[-1].value == t("audit.count", lang, shown=1, total=2)
    _no_nan(at)


def test_empty_store_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "empty.duckdb"))
    at = _app("en")
    assert not at.exception
    assert at.info[0].value == t("audit.empty", "en")
    assert not at.dataframe
