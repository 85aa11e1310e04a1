"""Entry point: the frame every page shares (language switch) and the page router.

Run with ``streamlit run app.py``. Pages live under ``app_pages/`` (not ``pages/``: that name switches Streamlit 1.67 to its legacy
multipage mode until app.py has run once in the process, which loses the first language click) and read the language
with ``st.session_state.get("lang", "zh")``.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import BOOK_SOURCE, WORKING_BOOK
from riskcore.book import book_outline
from riskview.catalogue import LANGUAGES
from riskview.i18n import DEFAULT_LANG, t

_LANGUAGE_NAMES = {"zh": "中文", "en": "English"}

# Chinese by default for every new session; the switch below keeps the choice.
st.session_state.setdefault("lang", DEFAULT_LANG)
lang = st.session_state["lang"]

st.set_page_config(page_title=t("app.title", lang), page_icon=":material/account_balance:", layout="wide")

with st.sidebar:
    st.markdown(f"**{t('app.title', lang)}**")
    st.segmented_control(
        t("app.language", lang),
        options=LANGUAGES,
        format_func=_LANGUAGE_NAMES.__getitem__,
        key="lang",
        required=True,
    )
    working = st.session_state.get(WORKING_BOOK)
    if working is not None:
        st.session_state.setdefault(BOOK_SOURCE, "mine")
        st.segmented_control(
            t("app.book", lang), options=("mine", "sample"), format_func=lambda k: t(f"app.book.{k}", lang),
            key=BOOK_SOURCE, required=True,
        )
        outline = book_outline(working)
        st.caption(t("app.book_caption", lang, snapshots=outline.snapshots, branches=outline.branches,
                     files=outline.files))

page = st.navigation(
    {
        t("nav.section.analysis", lang): [
            st.Page("app_pages/ranking.py", title=t("nav.ranking", lang), icon=":material/leaderboard:",
                    url_path="ranking", default=True),
            st.Page("app_pages/whatif.py", title=t("nav.whatif", lang), icon=":material/tune:", url_path="whatif"),
            st.Page("app_pages/validation.py", title=t("val.nav", lang), icon=":material/fact_check:",
                    url_path="validation"),
        ],
        t("nav.section.portfolio", lang): [
            st.Page("app_pages/portfolio.py", title=t("overview.nav", lang), icon=":material/monitoring:",
                    url_path="portfolio"),
            st.Page("app_pages/trends.py", title=t("trend.nav", lang), icon=":material/trending_up:",
                    url_path="trends"),
            st.Page("app_pages/migration.py", title=t("mig.nav", lang), icon=":material/swap_vert:",
                    url_path="migration"),
            st.Page("app_pages/concentration.py", title=t("conc.nav", lang), icon=":material/donut_large:",
                    url_path="concentration"),
            st.Page("app_pages/warning.py", title=t("warn.nav", lang), icon=":material/notifications:",
                    url_path="warning"),
        ],
        t("nav.section.weights", lang): [
            st.Page("app_pages/ahp.py", title=t("ahp.nav", lang), icon=":material/account_tree:", url_path="ahp"),
            st.Page("app_pages/entropy.py", title=t("entropy.nav", lang), icon=":material/insights:",
                    url_path="entropy"),
        ],
        t("nav.section.setup", lang): [
            st.Page("app_pages/data.py", title=t("nav.data", lang), icon=":material/upload_file:", url_path="data"),
            st.Page("app_pages/system.py", title=t("system.nav", lang), icon=":material/schema:", url_path="system"),
            st.Page("app_pages/audit.py", title=t("audit.nav", lang), icon=":material/history:", url_path="audit"),
        ],
    },
    # Show every page: collapsed, the sidebar hides the data and indicator pages behind
    # "View more", and those are where a new user starts.
    expanded=True,
)
page.run()
