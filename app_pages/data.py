"""Loan books in: upload ledgers, see how each was read and mapped, fix the mapping, read the
problems, download an annotated workbook, import the valid ones as snapshots.

A thin page: riskcore reads, checks and stores; riskview words the tables. Everything an
upload produces lives in ``st.session_state`` (this browser session only); only what the
user imports goes to the shared store, which is the bank's record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.common import BOOK_SOURCE, WORKING_BOOK, keep_widget, restore_widget
from riskcore.book import LedgerPart, LoanBook, assemble_book, book_outline
from riskcore.ingest.annotate import annotated_workbook
from riskcore.ingest.borrowers import check_borrowers, detect_file_kind, store_borrower_report
from riskcore.ingest.pipeline import LedgerReport, check_ledger, store_report
from riskcore.store import BorrowerBatchRecord, LedgerStore, SnapshotRecord
from riskview.i18n import field_label, issue_message, issue_text, join_list, t
from riskview.ingest_view import (
    borrower_batches_table,
    dropped_table,
    field_options,
    fields_of,
    file_status,
    files_table,
    issue_counts,
    issues_table,
    mapping_from_table,
    mapping_table,
    reconciliation_table,
    snapshots_table,
)

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
EXAMPLES = ("QD01_2024-12_贷款台账.csv", "QD02_2024-11_贷款台账.xlsx", "QD03_2024-12_loan_ledger_with_errors.csv",
            "QD01_2024_借款人财务报表.xlsx")
KINDS = ("loans", "borrowers")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

lang = st.session_state.get("lang", "zh")


@dataclass
class Upload:
    """One file of this session: its bytes, the user's choices, and the last check."""

    name: str
    data: bytes
    sha256: str
    kind: str = "loans"
    sheet: str | None = None
    profile: dict[str, str] | None = None
    report: LedgerReport | None = None
    checked_with: tuple[Any, ...] = ()
    records: list[SnapshotRecord | BorrowerBatchRecord] = field(default_factory=list)


def _uploads() -> dict[str, Upload]:
    uploads: dict[str, Upload] = st.session_state.setdefault("data_uploads", {})
    return uploads


def _add(store: LedgerStore, name: str, data: bytes) -> Upload:
    sha = hashlib.sha256(data).hexdigest()
    uploads = _uploads()
    if sha not in uploads:
        store.put_file(data, name)  # the raw bytes first, whatever the check finds
        uploads[sha] = Upload(name=name, data=data, sha256=sha, kind=detect_file_kind(data, name) or "loans")
    return uploads[sha]


def _check(store: LedgerStore, upload: Upload, as_of: Any, branch: str) -> LedgerReport:
    """Check again only when the file's kind, sheet, mapping, date or branch changed."""
    key = (upload.kind, upload.sheet, json.dumps(upload.profile, sort_keys=True, ensure_ascii=False), str(as_of),
           branch)
    if upload.report is None or upload.checked_with != key:
        if upload.kind == "borrowers":
            upload.report = check_borrowers(upload.data, upload.name, sheet=upload.sheet, profile=upload.profile,
                                            profiles=lambda headers: store.find_profile(headers, "borrowers"))
        else:
            upload.report = check_ledger(upload.data, upload.name, sheet=upload.sheet, profile=upload.profile,
                                         as_of=as_of, profiles=store.find_profile, branch=branch or None)
        upload.checked_with = key
        upload.records = []
    return upload.report


def _analyse(ledgers: list[LedgerPart], borrower_tables: list[LedgerPart]) -> None:
    """Make these files this session's book. A button callback: it runs before the next
    script run, so the sidebar's book switch (already drawn in this run) may be set."""
    try:
        st.session_state[WORKING_BOOK] = assemble_book(ledgers, borrower_tables)
    except ValueError as error:
        st.session_state["data_analyse_error"] = str(error)
    else:
        st.session_state[BOOK_SOURCE] = "mine"


def _table_height(rows: int, most: int) -> int:
    """Pixels for a table of ``rows`` rows without blank filler, scrolling beyond ``most``."""
    return 38 + 35 * max(1, min(rows, most))


store = LedgerStore()

st.title(t("data.title", lang))
st.caption(t("data.intro", lang))

left, right = st.columns([3, 2], gap="large")
with left:
    picked = st.file_uploader(
        t("data.upload", lang), type=["csv", "txt", "xlsx", "xlsm", "xls"], accept_multiple_files=True,
        key="data_uploader",
    )
with right:
    for _key in ("data_branch", "data_as_of"):
        restore_widget(_key)
    branch = st.text_input(t("data.branch", lang), key="data_branch").strip()
    as_of_date = st.date_input(t("data.as_of", lang), value=None, help=t("data.as_of_help", lang), key="data_as_of")
    for _key in ("data_branch", "data_as_of"):
        keep_widget(_key)
examples = st.pills(t("data.examples", lang), EXAMPLES, selection_mode="multi", key="data_examples",
                    format_func=lambda name: t(f"data.example.{EXAMPLES.index(name)}", lang))
as_of = pd.Timestamp(as_of_date) if as_of_date else None

for f in picked or []:
    _add(store, f.name, f.getvalue())
for name in examples or []:
    _add(store, name, (SAMPLE_DIR / name).read_bytes())
# Every file of this session stays listed (the same bytes twice count once), also after a
# visit to another page has emptied the uploader, until the user clears the list.
current = list(_uploads().values())
if current and st.button(t("data.clear", lang), key="data_clear", help=t("data.clear_help", lang),
                         icon=":material/playlist_remove:"):
    st.session_state["data_uploads"] = {}
    st.rerun()

if not current:
    st.info(t("data.none", lang))
else:
    with st.spinner():
        reports = [_check(store, u, as_of, branch) for u in current]
    st.subheader(t("data.files", lang))
    # The file name gets the room; the short columns are sized so "Status" and "As of"
    # are not cut off at 1,500 px.
    st.dataframe(files_table([(r, u.records, u.kind) for r, u in zip(reports, current, strict=True)], lang),
                 hide_index=True, width="stretch",
                 column_config={
                     t("col.file", lang): st.column_config.TextColumn(width=220),
                     t("col.as_of", lang): st.column_config.TextColumn(width=90),
                     t("col.status", lang): st.column_config.TextColumn(width=90),
                 })
    ready = [u for u in current if u.report is not None and file_status(u.report, u.records) == "ready"]
    if st.button(t("data.import", lang, n=len(ready)), type="primary", disabled=not ready, key="data_import"):
        imported = 0
        for upload in ready:
            assert upload.report is not None
            if upload.kind == "borrowers":
                upload.report, batch = store_borrower_report(store, upload.report, upload.sha256)
                upload.records = [batch] if batch is not None else []
            else:
                upload.report, snapshots = store_report(store, upload.report, upload.sha256, branch=branch or None)
                upload.records = list(snapshots)
            imported += sum(1 for r in upload.records if not r.recognised)
        st.toast(t("data.imported", lang, n=imported))
        st.rerun()
    elif not ready and any(u.report is not None and u.report.has_errors for u in current):
        st.caption(t("data.import_none", lang))
    usable = [u for u in current if u.report is not None and u.report.frame is not None and not u.report.has_errors]
    ledgers = [LedgerPart(u.report.frame, u.sha256, u.name, branch or None)
               for u in usable if u.kind == "loans" and u.report is not None and u.report.frame is not None]
    borrower_tables = [LedgerPart(u.report.frame, u.sha256, u.name)
                       for u in usable if u.kind == "borrowers" and u.report is not None and u.report.frame is not None]
    st.button(t("data.analyse", lang, n=len(ledgers) + len(borrower_tables)), disabled=not ledgers,
              help=t("data.analyse_help", lang), icon=":material/analytics:", key="data_analyse",
              on_click=_analyse, args=(ledgers, borrower_tables))
    if "data_analyse_error" in st.session_state:
        st.error(t("data.analyse_error", lang, reason=st.session_state.pop("data_analyse_error")))
    elif not ledgers:
        st.caption(t("data.analyse_none", lang))

    names = {u.sha256: u.name for u in current}
    chosen = st.selectbox(t("data.detail", lang), list(names), format_func=names.__getitem__, key="data_detail")
    upload = next(u for u in current if u.sha256 == chosen)
    report = upload.report
    assert report is not None
    table = issues_table(report.issues, lang)
    tabs = st.tabs([t("data.tab.overview", lang), t("data.tab.mapping", lang),
                    t("data.tab.problems", lang, n=len(report.issues)), t("data.tab.preview", lang)])

    with tabs[0]:
        kind = st.segmented_control(t("data.table_kind", lang), KINDS, format_func=lambda k: t(f"table.{k}", lang),
                                    default=upload.kind, required=True, key=f"data_kind_{chosen}")
        if kind != upload.kind:
            upload.kind, upload.profile = kind, None
            st.rerun()
        if len(report.sheets) > 1:
            sheet = st.selectbox(t("data.sheet", lang), report.sheets,
                                 index=report.sheets.index(report.sheet) if report.sheet in report.sheets else 0,
                                 key=f"data_sheet_{chosen}")
            if sheet != report.sheet:
                upload.sheet = sheet
                st.rerun()
        errors = int((table["severity"] == "error").sum())
        cols = st.columns(4)
        cols[0].metric(t("col.rows", lang), f"{report.rows:,}")
        cols[1].metric(t("col.dropped", lang), len(report.dropped_rows))
        cols[2].metric(t("col.errors", lang), errors)
        cols[3].metric(t("col.warnings", lang), len(table) - errors)
        if report.profile:
            st.caption(t("data.profile_used", lang, name=report.profile))
        st.markdown(f"**{t('data.reconciliation', lang)}**")
        if report.reconciliation:
            st.dataframe(reconciliation_table(report, lang), hide_index=True, width="stretch")
        else:
            st.caption(t("data.no_total", lang))
        st.markdown(f"**{t('data.dropped', lang)}**")
        if report.dropped_rows:
            st.dataframe(dropped_table(report, lang), hide_index=True, width="stretch")
        else:
            st.caption(t("data.no_dropped", lang))
        if report.sums:
            st.markdown(f"**{t('data.sums', lang)}**")
            st.dataframe(pd.DataFrame({field_label(k, lang): [v] for k, v in report.sums.items()}), hide_index=True)

    with tabs[1]:
        if report.mapping is None:
            st.caption(t("data.no_problems", lang) if not report.issues else issue_message(report.issues[0], lang))
        else:
            if report.mapping.missing_required:
                st.error(t("data.missing_required", lang,
                           names=join_list((field_label(n, lang) for n in report.mapping.missing_required), lang)))
            st.caption(t("data.mapping_help", lang))
            maps_to = t("col.maps_to", lang)
            mapping_rows = mapping_table(report, lang)
            edited = st.data_editor(
                mapping_rows, hide_index=True, width="stretch", key=f"data_mapping_{chosen}",
                height=_table_height(len(report.headers), 40),
                disabled=[c for c in mapping_rows.columns if c != maps_to],
                column_config={maps_to: st.column_config.SelectboxColumn(
                    maps_to, options=field_options(lang, fields_of(upload.kind)), required=True)},
            )
            save = st.checkbox(t("data.save_profile", lang), key=f"data_save_{chosen}")
            name = st.text_input(t("data.profile_name", lang), value=Path(upload.name).stem,
                                 key=f"data_profile_name_{chosen}", disabled=not save)
            if st.button(t("data.apply_mapping", lang), key=f"data_apply_{chosen}"):
                upload.profile = mapping_from_table(edited, lang, fields_of(upload.kind))
                if save:
                    store.save_profile(report.headers, upload.profile, name=name, kind=upload.kind)
                    st.toast(t("data.profile_saved", lang, name=name))
                st.rerun()

    with tabs[2]:
        if table.empty:
            st.success(t("data.no_problems", lang))
        else:
            st.markdown(f"**{t('data.counts', lang)}**")
            st.dataframe(issue_counts(report.issues, lang), hide_index=True, width="content")
            severity_col, problem_col, column_col = (t("col.severity", lang), t("col.problem", lang),
                                                     t("col.column", lang))
            f1, f2, f3 = st.columns(3)
            severities = f1.multiselect(t("data.filter.severity", lang), sorted(set(table[severity_col])),
                                        placeholder=t("data.choose", lang), key=f"data_f_sev_{chosen}")
            problems = f2.multiselect(t("data.filter.problem", lang), sorted(set(table[problem_col])),
                                      placeholder=t("data.choose", lang), key=f"data_f_problem_{chosen}")
            columns = f3.multiselect(t("data.filter.column", lang), sorted(set(table[column_col]) - {""}),
                                     placeholder=t("data.choose", lang), key=f"data_f_col_{chosen}")
            shown = table
            if severities:
                shown = shown[shown[severity_col].isin(severities)]
            if problems:
                shown = shown[shown[problem_col].isin(problems)]
            if columns:
                shown = shown[shown[column_col].isin(columns)]
            st.dataframe(shown.drop(columns=["code", "severity"]), hide_index=True, width="stretch",
                         height=_table_height(len(shown), 15))
            stem = Path(upload.name).stem
            d1, d2 = st.columns(2)
            d1.download_button(
                t("data.download_annotated", lang),
                data=partial(annotated_workbook, upload.data, upload.name, report.issues,
                             message=partial(issue_text, lang=lang), sheet=report.sheet),
                file_name=f"{stem}_标注.xlsx" if lang == "zh" else f"{stem}_annotated.xlsx",
                mime=XLSX_MIME, on_click="ignore", icon=":material/download:", key=f"data_annotated_{chosen}",
            )
            d2.download_button(
                t("data.download_problems", lang),
                data=table.drop(columns=["code", "severity"]).to_csv(index=False).encode("utf-8-sig"),
                file_name=f"{stem}_problems.csv", mime="text/csv", on_click="ignore",
                icon=":material/download:", key=f"data_problems_{chosen}",
            )

    with tabs[3]:
        if report.frame is not None:
            st.dataframe(report.frame.head(200), width="stretch")

working: LoanBook | None = st.session_state.get(WORKING_BOOK)
if working is not None and st.session_state.get(BOOK_SOURCE, "mine") == "mine":
    outline = book_outline(working)
    st.success(t("data.analysing", lang, snapshots=outline.snapshots, first=f"{outline.first:%Y-%m-%d}",
                 last=f"{outline.last:%Y-%m-%d}", branches=outline.branches, loans=f"{outline.loans:,}",
                 borrowers=f"{outline.borrowers:,}"))
    if working.borrowers.empty:
        st.warning(t("data.no_financials", lang))
    if working.replaced:
        st.caption(t("data.analysing_replaced", lang, items=join_list(
            (f"{branch} {when:%Y-%m-%d} {file}" for branch, when, file in working.replaced), lang)))
    st.page_link("app_pages/ranking.py", label=t("data.go_ranking", lang), icon=":material/leaderboard:")

st.subheader(t("data.stored", lang))
snapshots = store.snapshots()
if snapshots.empty:
    st.caption(t("data.stored_none", lang))
else:
    st.dataframe(snapshots_table(snapshots, lang), hide_index=True, width="stretch")
batches = store.borrower_batches()
if not batches.empty:
    st.subheader(t("data.stored_borrowers", lang))
    st.dataframe(borrower_batches_table(batches, lang), hide_index=True, width="stretch")
st.caption(t("data.store_location", lang, path=str(store.path), files=store.counts()["files"]))
