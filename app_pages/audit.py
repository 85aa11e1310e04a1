"""Audit trail (issue #6 item 7): every saved indicator system, rule set, mapping profile,
imported snapshot and recorded export, with who, when (Beijing time), what and the first
12 hex digits of the sha256 of its inputs; filterable by action, downloadable as CSV.

A thin page: the rows come from riskcore.store.LedgerStore.audit_log.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from riskcore.store import LedgerStore
from riskview.i18n import code_label, t

lang = st.session_state.get("lang", "zh")


def _detail(text: object) -> str:
    """The detail JSON as ``key: value`` pairs; "" when there is none."""
    if not isinstance(text, str) or not text.strip():
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, dict):
        return str(value)
    return "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in value.items()
                     if v not in (None, "", []))


def _display(log: pd.DataFrame) -> pd.DataFrame:
    who = log["who"].fillna("").astype(str)
    return pd.DataFrame({
        t("audit.col.at", lang): log["at"].dt.tz_convert("Asia/Shanghai").dt.strftime("%Y-%m-%d %H:%M:%S"),
        t("audit.col.who", lang): who.where(who.str.strip() != "", t("audit.who_unknown", lang)),
        t("audit.col.action", lang): [code_label("audit.action", a, lang) for a in log["action"]],
        t("audit.col.subject", lang): log["subject"].fillna("").astype(str),
        t("audit.col.hash", lang): log["input_sha256"].fillna("").astype(str).str[:12],
        t("audit.col.detail", lang): [_detail(d) for d in log["detail"]],
    })


st.title(t("audit.title", lang))
st.caption(t("audit.intro", lang))

log = LedgerStore().audit_log()
if log.empty:
    st.info(t("audit.empty", lang))
    st.stop()

actions = sorted(log["action"].dropna().unique().tolist())
chosen = st.multiselect(t("audit.filter", lang), actions, default=actions, key="audit_actions",
                        format_func=lambda a: code_label("audit.action", a, lang))
shown = _display(log[log["action"].isin(chosen)].reset_index(drop=True))
st.caption(t("audit.count", lang, shown=len(shown), total=len(log)))
st.dataframe(shown, hide_index=True, width="stretch")
st.download_button(t("audit.download", lang), data=shown.to_csv(index=False).encode("utf-8-sig"),
                   file_name="audit_log.csv", mime="text/csv", icon=":material/download:", key="audit_csv",
                   disabled=shown.empty)
