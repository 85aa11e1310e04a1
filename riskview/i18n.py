"""Translate message ids, codes and tables into Chinese or English.

Pure Python: no Streamlit. Pages read the language with
``st.session_state.get("lang", "zh")`` and pass it in explicitly, so one user's choice
never changes another user's screen (no process-wide gettext state).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Final

import pandas as pd

from riskview.catalogue import CATALOGUE, LANGUAGES

DEFAULT_LANG: Final = "zh"

#: Columns of ``riskcore.ranking.BookRanking.table`` shown to users, in display order,
#: with the message id of each header.
RANKING_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("risk_rank", "col.risk_rank"),
    ("borrower_id", "col.borrower_id"),
    ("borrower_name", "col.borrower_name"),
    ("branch_name", "col.branch_name"),
    ("industry", "col.industry"),
    ("balance", "col.balance"),
    ("worst_class", "col.worst_class"),
    ("grade", "col.grade"),
    ("rating_band", "col.rating_band"),
    ("drags", "col.drags"),
)
DRAG_COLUMNS: Final = ("drag_1", "drag_2", "drag_3")
_LIST_SEPARATOR: Final = {"zh": "、", "en": ", "}


def normalise_lang(lang: str | None) -> str:
    """Return ``lang`` if it is a supported language, else the default (``"zh"``)."""
    return lang if lang in LANGUAGES else DEFAULT_LANG


def t(key: str, lang: str | None = DEFAULT_LANG, **params: Any) -> str:
    """Translate message id ``key`` into ``lang`` and fill its ``{placeholders}``.

    An unknown id is returned unchanged (a visible hint, not a crash in front of a
    user); the catalogue tests make sure every id the app uses exists.
    """
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry[normalise_lang(lang)]
    return text.format(**params) if params else text


def code_label(prefix: str, code: object, lang: str | None) -> str:
    """Label of message id ``<prefix>.<code>``; the code itself when there is none."""
    key = f"{prefix}.{code}"
    return t(key, lang) if key in CATALOGUE else str(code)


def indicator_label(key: str, lang: str | None) -> str:
    """Label of an indicator key; the key itself when the catalogue has none."""
    return code_label("ind", key, lang)


def criterion_label(key: str, lang: str | None) -> str:
    """Label of a criterion key (``financial``, ``credit``, ...)."""
    return code_label("crit", key, lang)


def class_label(code: object, lang: str | None) -> str:
    """Label of a five-level class code 1..5; empty for a missing value."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code is pd.NA:
        return ""
    try:
        return code_label("class", int(code), lang)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(code)


def industry_label(code: object, name: object, lang: str | None) -> str:
    """GB/T 4754 section label from the catalogue, else the ledger's own name."""
    key = f"industry.{code}"
    if key in CATALOGUE:
        return t(key, lang)
    return "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)


def join_list(items: Iterable[str], lang: str | None) -> str:
    """Join labels the way each language lists them: 、 in Chinese, a comma in English."""
    return _LIST_SEPARATOR[normalise_lang(lang)].join(items)


def format_amount(yuan: float, lang: str | None) -> str:
    """A CNY amount for a KPI: zh in 万元/亿元, en in millions/billions."""
    lang = normalise_lang(lang)
    if lang == "zh":
        if abs(yuan) >= 1e8:
            return t("unit.yi", lang, value=f"{yuan / 1e8:,.2f}")
        return t("unit.wan", lang, value=f"{yuan / 1e4:,.1f}")
    if abs(yuan) >= 1e9:
        return t("unit.billion", lang, value=f"{yuan / 1e9:,.2f}")
    return t("unit.million", lang, value=f"{yuan / 1e6:,.1f}")


def format_percent(ratio: float | None, digits: int = 2) -> str:
    """``0.0123`` → ``"1.23%"``; an undefined ratio (None/NaN) → ``"—"``."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "—"
    return f"{ratio:.{digits}%}"


def ranking_display(table: pd.DataFrame, lang: str | None, *, top_n: int | None = 50) -> pd.DataFrame:
    """The ranking table as users read it: riskiest first, codes translated.

    ``table`` is ``BookRanking.table`` (already sorted riskiest first). The result keeps
    numbers numeric (balance in 万元, grade unrounded) so the grid can sort them; headers
    and the class, industry and drag-indicator codes are translated, the three drag
    indicators joined into one column (most first) so the table fits a screen.
    """
    rows = table if top_n is None else table.head(top_n)
    out = pd.DataFrame(index=rows.index)
    for column, message in RANKING_COLUMNS:
        header = t(message, lang)
        if column == "industry":
            out[header] = [
                industry_label(code, name, lang)
                for code, name in zip(rows["industry_code"], rows["industry_name"], strict=True)
            ]
        elif column == "balance":
            out[header] = rows["balance"].astype("float64") / 1e4
        elif column == "worst_class":
            out[header] = [class_label(code, lang) for code in rows["worst_class"]]
        elif column == "drags":
            drags = rows[[c for c in DRAG_COLUMNS if c in rows.columns]]
            out[header] = [
                join_list((indicator_label(key, lang) for key in keys if isinstance(key, str)), lang)
                for keys in drags.itertuples(index=False)
            ]
        else:
            out[header] = rows[column].to_numpy()
    return out.reset_index(drop=True)



def issue_text(issue: Any, lang: str | None) -> str:
    """What is wrong, without where (for tables that show file, row and column already)."""
    params = {"value": issue.value or "", "field": field_label(issue.canonical, lang), **issue.params}
    return t(f"issue.{issue.code}", lang, **params)


def issue_message(issue: Any, lang: str | None) -> str:
    """A ledger issue as one line: where (file, row, column as the analyst sees them) and what.

    ``issue`` is a :class:`riskcore.ingest.Issue`; its code and params fill the catalogue text.
    """
    if issue.row is not None and issue.column:
        where = t("issue.where.cell", lang, file=issue.file, row=issue.row, column=issue.column)
    elif issue.row is not None:
        where = t("issue.where.row", lang, file=issue.file, row=issue.row)
    else:
        where = t("issue.where.file", lang, file=issue.file)
    sep = "：" if normalise_lang(lang) == "zh" else ": "
    return where + sep + issue_text(issue, lang)


def field_label(name: str | None, lang: str | None) -> str:
    """A canonical ledger field as the analyst knows it: its usual Chinese header (数据日期)
    in Chinese, the canonical name (snapshot_date) in English."""
    if not name:
        return ""
    from riskcore.ingest.borrowers import BORROWER_FIELD_BY_NAME
    from riskcore.ingest.schema import LOAN_FIELD_BY_NAME

    # Loan fields first: borrower_id, the one name both tables share, reads 客户号 in both.
    spec = LOAN_FIELD_BY_NAME.get(name) or BORROWER_FIELD_BY_NAME.get(name)
    if spec is None or normalise_lang(lang) == "en":
        return name
    return next((s for s in spec.synonyms if any("\u4e00" <= ch <= "\u9fff" for ch in s)), name)
