"""The canonical loan-ledger schema (DOMAIN.md §2.1) and mapping a file's headers onto it.

Headers are matched after normalisation (NFKC, case, spaces, brackets) against Chinese and
English synonyms; a unit in the header (贷款余额（万元）, Balance (CNY 10k), 利率(%)) is
read off and returned as a scale factor, so amounts are always stored in yuan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Literal

__all__ = ["FieldSpec", "ColumnMapping", "LOAN_FIELDS", "LOAN_FIELD_BY_NAME", "map_columns", "normalise_header"]

#: How a column's cells are parsed (riskcore.ingest.parse). "period" (an annual report
#: period -> int year), "tax_rating" (纳税信用等级 A/B/M/C/D), "share" (a fraction 0-1) and
#: "number" (a plain decimal that is not money, e.g. years: never scaled by a 万 in the
#: header, never summed) serve the borrower table (riskcore.ingest.borrowers).
FieldKind = Literal[
    "text", "date", "amount", "rate", "int", "bool", "class", "guarantee", "size", "period", "tax_rating", "share",
    "number",
]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One canonical column: name, kind of value, whether a ledger must have it, synonyms."""

    name: str
    kind: FieldKind
    required: bool
    synonyms: tuple[str, ...]


def _f(name: str, kind: FieldKind, required: bool, *synonyms: str) -> FieldSpec:
    return FieldSpec(name, kind, required, (name, *synonyms))


#: DOMAIN.md §2.1. snapshot_date is required unless given once for the file (``as_of``).
LOAN_FIELDS: Final[tuple[FieldSpec, ...]] = (
    _f("snapshot_date", "date", True, "数据日期", "报表日期", "统计日期", "截至日期", "数据截止日期", "as_of_date", "report_date", "as of"),
    _f("branch_id", "text", False, "机构号", "内部机构号", "机构代码", "经办机构", "所属支行", "网点", "branch", "org_id", "branch code"),
    _f("branch_name", "text", False, "机构名称", "支行名称", "经办机构名称", "branch name"),
    _f("loan_id", "text", True, "借据号", "借据编号", "贷款借据编号", "贷款借据号", "贷款账号", "账号", "loan_no", "iou_id", "loan id", "loan number"),
    _f("contract_id", "text", False, "合同号", "合同编号", "贷款合同编码", "贷款合同号", "contract_no", "contract id"),
    _f("borrower_id", "text", True, "客户号", "客户编号", "客户代码", "借款人编号", "customer_id", "client_id", "customer id", "customer no"),
    _f("borrower_name", "text", True, "客户名称", "借款人", "借款人名称", "企业名称", "单位名称", "borrower", "customer name", "borrower name"),
    _f("uscc", "text", False, "统一社会信用代码", "社会信用代码", "信用代码", "credit_code", "unified social credit code"),
    _f("industry_code", "text", True, "行业代码", "所属行业", "行业门类", "贷款投向行业", "国标行业", "贷款投向", "industry", "industry code"),
    _f("industry_name", "text", False, "行业名称", "行业", "industry name"),
    _f("region_code", "text", False, "行政区划代码", "地区", "区县", "所在地区", "地区代码", "region", "region code"),
    _f("enterprise_size", "size", False, "企业规模", "企业划型", "规模", "size", "enterprise size"),
    _f("product", "text", False, "贷款品种", "产品名称", "业务品种", "贷款种类", "product"),
    _f("credit_limit", "amount", False, "授信额度", "单户授信总额", "授信金额", "综合授信", "授信总额", "credit limit", "credit line"),
    _f("loan_amount", "amount", True, "贷款金额", "发放金额", "借据金额", "合同金额", "放款金额", "principal", "loan amount"),
    _f("balance", "amount", True, "贷款余额", "本金余额", "借据余额", "余额", "outstanding", "balance", "outstanding balance"),
    _f("origination_date", "date", True, "发放日期", "放款日期", "起息日", "借款日期", "贷款发放日", "start_date", "origination date", "start date"),
    _f("maturity_date", "date", True, "到期日期", "到期日", "原始到期日期", "贷款到期日", "end_date", "maturity date", "maturity"),
    _f("interest_rate", "rate", False, "执行利率", "年利率", "利率", "实际利率", "合同利率", "执行年利率", "月利率", "rate", "interest rate"),
    _f("repayment_method", "text", False, "还款方式", "repayment method"),
    _f("guarantee_type", "guarantee", True, "担保方式", "主要担保方式", "担保类型", "guarantee", "guarantee type"),
    _f("collateral_value", "amount", False, "抵质押物价值", "评估价值", "押品价值", "抵押物价值", "collateral value"),
    _f("guarantor", "text", False, "保证人", "担保人", "担保公司", "guarantor"),
    _f("five_class", "class", True, "五级分类", "风险分类", "贷款分类", "五级分类结果", "五级分类状态", "risk_class", "loan classification", "classification"),
    _f("dpd", "int", True, "逾期天数", "本金逾期天数", "欠息天数", "利息逾期天数", "days_past_due", "dpd", "days past due"),
    _f("overdue_principal", "amount", False, "逾期本金", "逾期金额", "overdue principal"),
    _f("overdue_interest", "amount", False, "欠息金额", "欠息", "应收未收利息", "overdue interest"),
    _f("is_extended", "bool", False, "是否展期", "展期标志", "extended"),
    _f("is_restructured", "bool", False, "是否重组", "重组标志", "restructured"),
    _f("is_inclusive", "bool", False, "是否普惠", "普惠标识", "普惠型小微", "inclusive"),
    _f("provision", "amount", False, "贷款损失准备", "减值准备", "拨备", "计提准备", "provision", "loan loss provision"),
    _f("account_manager", "text", False, "客户经理", "管户人", "account manager"),
    _f("default_flag", "bool", False, "是否违约", "违约标志", "是否不良", "default", "default flag"),
)
LOAN_FIELD_BY_NAME: Final[Mapping[str, FieldSpec]] = {f.name: f for f in LOAN_FIELDS}

# 亿元 before 万元 before 元 so the longest unit wins.
_UNITS: Final[tuple[tuple[re.Pattern[str], float, str], ...]] = (
    (re.compile(r"亿元|100\s*m|hundred million", re.I), 1e8, "亿元"),
    (re.compile(r"万元|万|10\s*k|ten thousand", re.I), 1e4, "万元"),
    (re.compile(r"千元|thousand|\bk\b", re.I), 1e3, "千元"),
    (re.compile(r"元|cny|rmb|yuan", re.I), 1.0, "元"),
)
_BRACKETS: Final = re.compile(r"[(（\[【](.*?)[)）\]】]")
_STRIP: Final = re.compile(r"[\s_\-:：/]+")


def normalise_header(header: str) -> tuple[str, str]:
    """(key for matching, bracketed unit text) of a header: 贷款余额（万元） -> ("贷款余额", "万元")."""
    text = unicodedata.normalize("NFKC", str(header)).strip()
    units = " ".join(_BRACKETS.findall(text))
    bare = _BRACKETS.sub("", text)
    return _STRIP.sub("", bare).lower(), units


@lru_cache(maxsize=8)
def _synonym_index(fields: tuple[FieldSpec, ...]) -> Mapping[str, str]:
    """Normalised synonym -> canonical name for one field table (built once per table; the
    first field to claim a synonym keeps it)."""
    index: dict[str, str] = {}
    for spec in fields:
        for syn in spec.synonyms:
            index.setdefault(normalise_header(syn)[0], spec.name)
    return index


_SYNONYMS: Final[Mapping[str, str]] = _synonym_index(LOAN_FIELDS)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """How a file's headers map onto the canonical loan schema.

    ``columns``: original header -> canonical name. ``scales``: original header -> factor
    turning the file's unit into yuan (amounts) or into a fraction (rates, from %/‰ in the
    header). ``unit_labels``: the unit read from the header. ``missing_required``: canonical
    names no header maps to. ``unmapped``: headers left out. ``duplicates``: canonical
    names claimed by more than one header (the first wins).
    """

    columns: Mapping[str, str]
    scales: Mapping[str, float] = field(default_factory=dict)
    unit_labels: Mapping[str, str] = field(default_factory=dict)
    missing_required: tuple[str, ...] = ()
    unmapped: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()


def map_columns(
    headers: Sequence[str],
    profile: Mapping[str, str] | None = None,
    *,
    given: Sequence[str] = (),
    fields: Sequence[FieldSpec] = LOAN_FIELDS,
) -> ColumnMapping:
    """Map headers to canonical fields by synonym; ``profile`` (header -> canonical, or ""
    to ignore a header) overrides, as a user's corrected mapping saved for next month.

    ``given`` names canonical fields supplied for the whole file (e.g. snapshot_date from
    the upload form), which are then not reported missing. ``fields`` is the schema to map
    onto: the loan table by default, ``riskcore.ingest.borrowers.BORROWER_FIELDS`` for
    borrower financials.

    Raises
    ------
    ValueError
        A profile names a canonical field that does not exist.
    """
    fields = tuple(fields)
    by_name = {f.name: f for f in fields}
    synonyms = _synonym_index(fields)
    profile = dict(profile or {})
    unknown = sorted({v for v in profile.values() if v and v not in by_name})
    if unknown:
        raise ValueError(f"the mapping profile names unknown fields: {unknown}")
    columns: dict[str, str] = {}
    scales: dict[str, float] = {}
    units: dict[str, str] = {}
    claimed: set[str] = set()
    duplicates: list[str] = []
    unmapped: list[str] = []
    for header in headers:
        key, unit_text = normalise_header(header)
        target = profile[header] if header in profile else synonyms.get(key)
        if not target:
            unmapped.append(header)
            continue
        if target in claimed:
            duplicates.append(target)
            unmapped.append(header)
            continue
        claimed.add(target)
        columns[header] = target
        kind = by_name[target].kind
        if kind == "amount":
            for pattern, factor, label in _UNITS:
                if pattern.search(unit_text):
                    scales[header], units[header] = factor, label
                    break
        elif kind == "rate":
            if "‰" in unit_text:
                scales[header], units[header] = 1e-3, "‰"
            elif "%" in unit_text:
                scales[header], units[header] = 1e-2, "%"
            if "月" in header or "month" in key:
                scales[header] = scales.get(header, 1.0) * 12.0  # monthly rate -> annual
                units[header] = units.get(header, "") + "/月"
        elif kind == "share" and "%" in unit_text:
            # A share has no time unit: 占比(%) is a percentage, never a monthly figure.
            scales[header], units[header] = 1e-2, "%"
    missing = tuple(
        f.name for f in fields if f.required and f.name not in claimed and f.name not in set(given)
    )
    return ColumnMapping(
        columns=columns, scales=scales, unit_labels=units, missing_required=missing,
        unmapped=tuple(unmapped), duplicates=tuple(dict.fromkeys(duplicates)),
    )
