"""Deterministic sample SME loan book for three Qingdao branches (2023-01 … 2024-12).

The book is simulated, not sampled from real data. Run ``python -m riskcore.sample``
to (re)write ``sample_data/`` and print the monthly NPL ratio by balance.

Model
-----
* **Borrowers** arrive at each branch from 2012 on (Poisson, rate scaled so that a
  branch carries about ``loans_per_branch`` live loans; the branches differ by a fixed
  factor, see :data:`BRANCHES`). Each borrower has a latent quality ``q ~ N(0, 1)``
  that drives its annual financial statements for the report periods 2021-2024
  (2021 is latent and only feeds ``revenue_prev`` of 2022).
* **Facilities**: a borrower holds 1-3 facilities ("slots"); each slot is a chain of
  loans renewed at maturity (new ``loan_id``) until the chain stops (geometric), so a
  borrower has at most three live loans.
* **Delinquency** is borrower-level. Each month a performing borrower with a live loan
  becomes delinquent with probability

  .. math:: h_{it} = \\sigma\\bigl(c_0 + z_{it} + s_{k(i)}\\,m_t + 0.7\\,[\\text{cured before}]\\bigr)

  where :math:`z_{it}` is a linear risk score of the borrower's true financials (the mean
  of the previous and the current year's score, while the bank sees only the lagged
  report) and attributes (leverage, current ratio, ROA, revenue growth, tax rating, litigation,
  penalties, owner overdues, customer concentration, industry, guarantee type and an
  unobserved term), :math:`m_t` a common macro factor (stress 2023-Q2 … 2024-Q2,
  relief afterwards), :math:`s_k` the industry's stress sensitivity, and
  :math:`c_0` is calibrated so that the mean monthly hazard of the arriving population
  is :data:`_BASE_MONTHLY_HAZARD`. A delinquent borrower either cures after 1-4 months
  (25 % of cured borrowers are restructured) or defaults; a defaulted borrower's loans
  stay on the book with frozen balances and growing DPD until they are recovered or
  written off (4-30 months later, plus a year-end write-off campaign every December).
* **Five-level class** follows the 2023 Measures DPD floors with exceptions real ledgers
  show: watch-list special mention at DPD 0, substandard/doubtful earlier than the floor
  for part of the defaulting borrowers, and a small share of overdue loans reported
  *better* than their floor (technical overdue ≤ 30 DPD kept normal, 91-150 DPD kept
  special mention, 271-330 DPD kept substandard).
* **Provisions** by reported class at or above the 2002 PBOC rates (normal 1.2-2.2 %,
  SM 3-6 %, substandard 28-40 %, doubtful 52-70 %, loss 100 %); classes 1-2 are
  multiplied by a branch factor (0.95-1.10).

Financials lag rule
-------------------
The annual report for period *P* is the applicable one for every snapshot in year
*P* + 1, i.e. the latest ``report_period < snapshot year``; when a firm has no such
period (established recently) its earliest period is used. The same rule is
implemented by :func:`riskcore.indicators.applicable_financials`. Periods 2022-2024 are
written for every borrower that appears in the window (from its founding year on, up to
the last year it is on the book).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "DEFAULT_SEED",
    "BRANCHES",
    "INDUSTRY_NAMES",
    "LOAN_COLUMNS",
    "BORROWER_COLUMNS",
    "CSV_NAME",
    "SampleBook",
    "generate",
    "load_sample",
    "write_sample",
    "write_bank_csv",
    "npl_ratio_by_month",
    "main",
]

IntArray: TypeAlias = npt.NDArray[np.int64]
FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
StrArray: TypeAlias = npt.NDArray[np.str_]

# ============================================================================ CONSTANTS

DEFAULT_SEED: Final[int] = 20241231
"""Seed of the committed sample book."""

DEFAULT_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "sample_data"
LOANS_FILE: Final[str] = "loans.parquet"
BORROWERS_FILE: Final[str] = "borrowers.parquet"
CSV_NAME: Final[str] = "QD01_2024-12_贷款台账.csv"

BRANCHES: Final[tuple[tuple[str, str, str, float], ...]] = (
    # branch_id, branch_name, home region code, size factor
    ("QD01", "青岛市南支行", "370202", 0.90),
    ("QD02", "青岛市北支行", "370203", 1.00),
    ("QD03", "青岛黄岛支行", "370211", 1.10),
    ("QD04", "青岛崂山支行", "370212", 0.95),
    ("QD05", "青岛城阳支行", "370214", 1.05),
)
"""Branches in generation order; ``n_branches`` takes the first n."""

REGIONS: Final[tuple[str, ...]] = (
    "370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281",
    "370283", "370285",
)
"""Qingdao districts/cities (GB/T 2260): 市南, 市北, 黄岛, 崂山, 李沧, 城阳, 即墨, 胶州, 平度, 莱西."""

INDUSTRY_NAMES: Final[dict[str, str]] = {
    "A": "农、林、牧、渔业",
    "C": "制造业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "O": "居民服务、修理和其他服务业",
}
"""GB/T 4754-2017 sections used by the sample book."""

# code: share, PD log-odds effect, stress sensitivity, current-asset share,
#       inventory share of CA, AR share of CA, revenue / assets, revenue per employee (yuan)
_INDUSTRY_PARAMS: Final[dict[str, tuple[float, float, float, float, float, float, float, float]]] = {
    "A": (0.03, 0.10, 0.9, 0.40, 0.35, 0.20, 0.70, 5.0e5),
    "C": (0.28, 0.10, 1.0, 0.55, 0.30, 0.35, 1.10, 8.0e5),
    "E": (0.09, 0.30, 1.4, 0.70, 0.20, 0.50, 0.90, 7.0e5),
    "F": (0.30, 0.15, 1.1, 0.75, 0.40, 0.35, 2.00, 3.0e6),
    "G": (0.06, 0.05, 0.9, 0.35, 0.05, 0.40, 0.80, 8.0e5),
    "H": (0.07, 0.35, 1.3, 0.30, 0.10, 0.10, 0.90, 3.0e5),
    "I": (0.05, -0.10, 0.7, 0.65, 0.05, 0.45, 0.80, 6.0e5),
    "K": (0.02, 0.40, 1.6, 0.80, 0.50, 0.20, 0.30, 2.0e6),
    "L": (0.06, 0.00, 0.9, 0.50, 0.05, 0.45, 0.60, 8.0e5),
    "M": (0.02, -0.05, 0.8, 0.60, 0.05, 0.45, 0.70, 5.0e5),
    "O": (0.02, 0.10, 1.0, 0.40, 0.10, 0.20, 0.90, 2.5e5),
}

GUARANTEE_TYPES: Final[tuple[str, ...]] = ("credit", "guarantee", "mortgage", "pledge", "mixed")
_GUARANTEE_SHARES: Final[tuple[float, ...]] = (0.22, 0.30, 0.33, 0.07, 0.08)
_GUARANTEE_PD_EFFECT: Final[tuple[float, ...]] = (0.35, 0.15, -0.30, -0.20, 0.00)

PRODUCTS: Final[tuple[str, ...]] = ("流动资金贷款", "经营性贷款", "税易贷", "抵押贷")
REPAYMENT_METHODS: Final[tuple[str, ...]] = ("bullet", "equal_installment", "equal_principal")
"""Canonical codes: 按月付息到期还本 / 等额本息 / 等额本金."""

TAX_RATINGS: Final[tuple[str, ...]] = ("A", "B", "M", "C", "D")
_TAX_PD_EFFECT: Final[dict[str, float]] = {"A": -0.50, "B": -0.10, "M": 0.20, "C": 0.60, "D": 1.10}

_PROVISION_RATES: Final[tuple[tuple[float, float], ...]] = (
    (0.012, 0.022), (0.03, 0.06), (0.28, 0.40), (0.52, 0.70), (1.0, 1.0),
)
"""Per-class (low, high) provision rate; every rate is at or above the 2002 PBOC table."""

_SIM_START: Final[np.datetime64] = np.datetime64("2012-01", "M")
_WINDOW_START: Final[np.datetime64] = np.datetime64("2023-01", "M")
_BIG: Final[int] = 10**9
_BASE_MONTHLY_HAZARD: Final[float] = 0.0050
_LIVE_LOANS_PER_ARRIVAL: Final[float] = 75.0
"""Live loans a branch carries per unit of monthly arrival rate (measured, see _arrival_rate)."""

# Macro factor (log-odds shift of the delinquency hazard), linear between knots.
_MACRO_KNOTS: Final[tuple[tuple[str, float], ...]] = (
    ("2012-01", 0.0), ("2020-01", 0.0), ("2020-03", 0.4), ("2020-09", 0.1), ("2021-03", 0.0),
    ("2023-02", 0.0), ("2023-05", 0.5), ("2023-08", 0.85), ("2024-01", 0.85),
    ("2024-04", 0.5), ("2024-07", -0.2), ("2024-12", -0.5), ("2030-01", -0.5),
)
# 1-year LPR (fraction) by effective month; the interest-rate base at origination.
_LPR_KNOTS: Final[tuple[tuple[str, float], ...]] = (
    ("2012-01", 0.0600), ("2015-10", 0.0435), ("2019-08", 0.0425), ("2019-11", 0.0415),
    ("2020-04", 0.0385), ("2021-12", 0.0380), ("2022-01", 0.0370), ("2022-08", 0.0365),
    ("2023-06", 0.0355), ("2023-08", 0.0345), ("2024-07", 0.0335), ("2024-10", 0.0310),
)

LOAN_COLUMNS: Final[tuple[str, ...]] = (
    "snapshot_date", "branch_id", "branch_name", "loan_id", "contract_id", "borrower_id",
    "borrower_name", "uscc", "industry_code", "industry_name", "region_code",
    "enterprise_size", "product", "credit_limit", "loan_amount", "balance",
    "origination_date", "maturity_date", "interest_rate", "repayment_method",
    "guarantee_type", "collateral_value", "guarantor", "five_class", "dpd",
    "overdue_principal", "overdue_interest", "is_extended", "is_restructured",
    "is_inclusive", "provision", "account_manager", "default_flag",
)
BORROWER_COLUMNS: Final[tuple[str, ...]] = (
    "borrower_id", "report_period", "total_assets", "total_liabilities", "equity",
    "current_assets", "current_liabilities", "inventory", "accounts_receivable", "revenue",
    "revenue_prev", "net_profit", "ebit", "interest_expense", "operating_cash_flow",
    "established_date", "employees", "top_customer_share", "owner_credit_overdues",
    "tax_credit_rating", "litigation_count", "admin_penalties", "external_guarantees",
    "owner_experience_years", "bank_relationship_start",
)

_STR_LOAN_COLS: Final[tuple[str, ...]] = (
    "branch_id", "branch_name", "loan_id", "contract_id", "borrower_id", "borrower_name",
    "uscc", "industry_code", "industry_name", "region_code", "enterprise_size", "product",
    "repayment_method", "guarantee_type", "guarantor", "account_manager",
)
_DATE_LOAN_COLS: Final[tuple[str, ...]] = ("snapshot_date", "origination_date", "maturity_date")
_INT_LOAN_COLS: Final[tuple[str, ...]] = ("five_class", "dpd")
_BOOL_LOAN_COLS: Final[tuple[str, ...]] = (
    "is_extended", "is_restructured", "is_inclusive", "default_flag",
)
_STR_BORROWER_COLS: Final[tuple[str, ...]] = ("borrower_id", "tax_credit_rating")
_DATE_BORROWER_COLS: Final[tuple[str, ...]] = ("established_date", "bank_relationship_start")
_INT_BORROWER_COLS: Final[tuple[str, ...]] = (
    "report_period", "owner_credit_overdues", "litigation_count", "admin_penalties",
)
DATE_DTYPE: Final[str] = "datetime64[us]"

# Name material (all characters are GBK-encodable).
_TRADE_CHARS: Final[str] = (
    "海信瑞德鑫华盛泰宏源恒嘉润丰通达安远兴利聚金诚佳和顺景博创智鼎汇祥昌荣晟尚耀凯腾跃"
    "伟益新星阳光明正方元亿万联合成永康乐美优力天宇峰林森青蓝洋港湾岛崂琴泉春秋福禄"
)
_INDUSTRY_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "A": ("农业科技", "水产养殖", "生态农业", "海洋渔业", "果蔬种植"),
    "C": ("机械制造", "电子科技", "食品", "橡塑制品", "服饰", "精密模具", "五金制品",
          "新材料科技", "纺织", "汽车零部件", "包装制品", "家具", "化工"),
    "E": ("建筑工程", "装饰工程", "建设工程", "市政工程", "安装工程"),
    "F": ("贸易", "商贸", "国际贸易", "进出口", "建材", "医药连锁", "汽车销售", "电器",
          "食品销售", "百货"),
    "G": ("物流", "运输", "国际货运代理", "仓储", "供应链管理"),
    "H": ("餐饮管理", "酒店管理", "餐饮", "海鲜酒楼", "宾馆"),
    "I": ("网络科技", "信息技术", "软件", "数字科技", "智能科技"),
    "K": ("置业", "房地产经纪", "物业管理"),
    "L": ("商务咨询", "企业管理", "设备租赁", "广告", "人力资源"),
    "M": ("检测技术", "工程设计", "生物技术"),
    "O": ("家政服务", "汽车维修", "洗涤服务"),
}
_SURNAMES: Final[str] = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢"
    "蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟"
)
_GIVEN_NAMES: Final[tuple[str, ...]] = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "华", "建华", "国强", "志刚", "海燕", "晓东",
    "立新", "玉兰", "红梅", "春雷", "建军", "文博", "子涵", "浩然", "晓明", "丽娟", "永强",
    "海涛", "志强", "秀兰", "金凤", "振华", "德胜", "宏伟", "雪梅", "俊杰", "宁", "鹏",
)
_GUARANTEE_COMPANIES: Final[tuple[str, ...]] = (
    "青岛中小企业融资担保有限公司", "青岛市信用融资担保有限公司", "青岛海融融资担保有限公司",
    "山东省农业发展信贷担保有限责任公司", "青岛城乡建设融资担保有限公司",
)
_USCC_CHARSET: Final[str] = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS: Final[tuple[int, ...]] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS: Final[tuple[int, ...]] = (3, 7, 9, 10, 5, 8, 4, 2)

# ============================================================================ PUBLIC TYPES


@dataclass(frozen=True, eq=False)
class SampleBook:
    """A loan book: ``loans`` (one row per loan per snapshot) and ``borrowers``
    (one row per borrower per annual report period)."""

    loans: pd.DataFrame
    borrowers: pd.DataFrame


# ============================================================================ DATE HELPERS


def _month_end(month: npt.NDArray[np.datetime64]) -> IntArray:
    """Day number (days since 1970-01-01) of the last day of each datetime64[M] month."""
    return ((month + 1).astype("datetime64[D]").astype(np.int64) - 1).astype(np.int64)


def _days_to_month(days: IntArray) -> tuple[npt.NDArray[np.datetime64], IntArray]:
    """Split day numbers into (datetime64[M], 0-based day of month)."""
    d = days.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    return m, (d - m.astype("datetime64[D]")).astype(np.int64)


def _add_months(days: IntArray, months: IntArray) -> IntArray:
    """Add calendar months to day numbers, clipping to the month's last day."""
    m, dom = _days_to_month(days)
    target = m + months.astype("timedelta64[M]")
    first = target.astype("datetime64[D]").astype(np.int64)
    last_dom = (target + 1).astype("datetime64[D]").astype(np.int64) - first - 1
    out: IntArray = (first + np.minimum(dom, last_dom)).astype(np.int64)
    return out


def _months_between(start: IntArray, end: IntArray) -> IntArray:
    """Whole monthly anniversaries of ``start`` reached by ``end`` (0 if end < start)."""
    ms, ds = _days_to_month(start)
    me, de = _days_to_month(end)
    k = (me.astype(np.int64) - ms.astype(np.int64)) - (de < ds).astype(np.int64)
    return np.maximum(k, 0)


def _interp_knots(knots: Sequence[tuple[str, float]], months: npt.NDArray[np.datetime64]) -> FloatArray:
    x = np.array([np.datetime64(k, "M").astype(np.int64) for k, _ in knots], dtype=np.float64)
    y = np.array([v for _, v in knots], dtype=np.float64)
    return np.interp(months.astype(np.int64).astype(np.float64), x, y)


def _step_knots(knots: Sequence[tuple[str, float]], days: IntArray) -> FloatArray:
    x = np.array([np.datetime64(k, "M").astype("datetime64[D]").astype(np.int64) for k, _ in knots])
    y = np.array([v for _, v in knots], dtype=np.float64)
    idx = np.clip(np.searchsorted(x, days, side="right") - 1, 0, len(y) - 1)
    return y[idx]


def _sigmoid(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


# ============================================================================ STRING HELPERS


def _pick(rng: np.random.Generator, items: Sequence[str], n: int, p: Sequence[float] | None = None) -> StrArray:
    return np.asarray(items, dtype=np.str_)[rng.choice(len(items), size=n, p=p)]


def _zero_pad(prefix: str, numbers: IntArray, width: int) -> StrArray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(np.str_), width))


def _chars_to_strings(codes: npt.NDArray[np.uint8]) -> StrArray:
    """Rows of ASCII codes (n × w) to an array of w-character strings, vectorised."""
    w = codes.shape[1]
    return np.frombuffer(np.ascontiguousarray(codes).tobytes(), dtype=f"S{w}").astype(np.str_)


def _uscc(rng: np.random.Generator, region: StrArray, est_days: IntArray) -> StrArray:
    """18-character unified social credit codes (GB 32100-2015) with valid check characters.

    Layout: ``9`` (registered by the market regulator) + ``1`` (enterprise) + 6-digit
    region + 9-character organisation code (GB 11714 check) + check character. Firms
    founded after 2015-10 get the ``MA`` organisation-code prefix used since the reform.
    """
    n = len(region)
    charset = np.frombuffer(_USCC_CHARSET.encode(), dtype=np.uint8)
    org = np.empty((n, 8), dtype=np.int64)  # values in the 31-character set
    org[:] = rng.integers(0, 10, size=(n, 8))
    new_style = est_days >= np.datetime64("2015-10-01").astype("datetime64[D]").astype(np.int64)
    org[new_style, 0] = _USCC_CHARSET.index("M")
    org[new_style, 1] = _USCC_CHARSET.index("A")
    letters = rng.integers(10, 31, size=(n, 8))
    use_letter = new_style[:, None] & (rng.random((n, 8)) < 0.35)
    use_letter[:, :2] = False
    org = np.where(use_letter, letters, org)
    org_chars = charset[org]
    # GB 11714 values: digits 0-9, letters A=10 … Z=35 (ASCII based).
    org_vals = np.where(org_chars >= 65, org_chars.astype(np.int64) - 55, org_chars.astype(np.int64) - 48)
    c9 = 11 - (org_vals @ np.array(_ORG_WEIGHTS)) % 11
    c9_char = np.where(c9 == 10, ord("X"), np.where(c9 == 11, ord("0"), c9 + 48)).astype(np.uint8)
    region_codes = np.frombuffer("".join(region.tolist()).encode(), dtype=np.uint8).reshape(n, 6)
    body = np.concatenate(
        [np.full((n, 1), ord("9"), np.uint8), np.full((n, 1), ord("1"), np.uint8),
         region_codes, org_chars.astype(np.uint8), c9_char[:, None]], axis=1,
    )
    lookup = np.full(128, -1, dtype=np.int64)
    lookup[charset] = np.arange(len(charset))
    vals = lookup[body]
    check = (31 - (vals @ np.array(_USCC_WEIGHTS)) % 31) % 31
    full = np.concatenate([body, charset[check][:, None]], axis=1)
    return _chars_to_strings(full)


def _company_names(rng: np.random.Generator, industry: StrArray) -> StrArray:
    """Unique plausible company names such as 青岛鑫盛机械制造有限公司."""
    n = len(industry)
    trade = np.asarray(list(_TRADE_CHARS), dtype=np.str_)
    names = np.empty(n, dtype=object)
    todo = np.arange(n)
    taken: set[str] = set()
    for attempt in range(8):
        m = len(todo)
        first = rng.integers(0, len(trade), m)
        second = (first + rng.integers(1, len(trade), m)) % len(trade)  # never 海海
        t = np.char.add(trade[first], trade[second])
        if attempt >= 3:  # rare three-character trade names resolve collisions
            t = np.char.add(t, trade[rng.integers(0, len(trade), m)])
        words = np.empty(m, dtype=object)
        for code, options in _INDUSTRY_WORDS.items():
            sel = industry[todo] == code
            words[sel] = _pick(rng, options, int(sel.sum()))
        prefix = _pick(rng, ("青岛", "青岛市", "山东", ""), m, p=(0.80, 0.06, 0.04, 0.10))
        suffix = _pick(rng, ("有限公司", "有限责任公司"), m, p=(0.93, 0.07))
        cand = np.char.add(np.char.add(np.char.add(prefix, t), words.astype(np.str_)), suffix)
        # names without a place prefix carry it in brackets, e.g. 鑫盛贸易（青岛）有限公司
        bracket = prefix == ""
        cand = np.where(
            bracket,
            np.char.add(np.char.add(np.char.add(t, words.astype(np.str_)), "（青岛）"), suffix),
            cand,
        )
        keep = ~pd.Series(cand).duplicated().to_numpy() & ~np.isin(cand, list(taken))
        names[todo[keep]] = cand[keep]
        taken.update(cand[keep].tolist())
        todo = todo[~keep]
        if len(todo) == 0:
            break
    if len(todo):  # pragma: no cover - practically unreachable
        names[todo] = np.char.add("青岛企业", todo.astype(np.str_))
    return names.astype(np.str_)


def _person_names(rng: np.random.Generator, n: int) -> StrArray:
    surnames = np.asarray(list(_SURNAMES), dtype=np.str_)
    return np.char.add(surnames[rng.integers(0, len(surnames), n)], _pick(rng, _GIVEN_NAMES, n))


# ============================================================================ SIMULATION


@dataclass(frozen=True)
class _Config:
    seed: int
    n_branches: int
    months: int
    loans_per_branch: float


def _arrival_rate(cfg: _Config, months: npt.NDArray[np.datetime64]) -> FloatArray:
    """Monthly borrower arrivals per branch (rows = branches, columns = months)."""
    t_years = (months.astype(np.int64) - _WINDOW_START.astype(np.int64)) / 12.0
    growth = 1.03**t_years
    factors = np.array([b[3] for b in BRANCHES[: cfg.n_branches]])
    return (cfg.loans_per_branch / _LIVE_LOANS_PER_ARRIVAL) * factors[:, None] * growth[None, :]


def _financials(
    rng: np.random.Generator,
    q: FloatArray,
    industry: StrArray,
    scale: FloatArray,
    est_days: IntArray,
) -> dict[str, FloatArray]:
    """True annual financials for periods 2021-2024 (columns 0-3), before any masking."""
    n = len(q)
    years = np.array([2021, 2022, 2023, 2024])
    params = np.array([_INDUSTRY_PARAMS[c] for c in industry])  # n × 8
    sens = params[:, 2]
    ca_share0, inv_share0, ar_share0, turnover0, rev_per_emp = (params[:, j] for j in (3, 4, 5, 6, 7))
    est_year = est_days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    year_end = np.array([np.datetime64(f"{y}-12-31").astype(np.int64) for y in years])
    frac = np.clip((year_end[None, :] - est_days[:, None]) / 365.0, 0.0, 1.0)
    frac = np.where(frac > 0, np.maximum(frac, 0.05), 0.0)

    growth_mu = np.array([0.06, 0.03, -0.05, 0.02])
    g = rng.normal(growth_mu[None, :] + 0.05 * q[:, None], 0.15, size=(n, 4))
    g[:, 2] -= 0.05 * (sens - 1.0)
    g = np.clip(g, -0.7, 1.5)
    ta = np.empty((n, 4))
    ta[:, 0] = scale
    for y in range(1, 4):
        ta[:, y] = ta[:, y - 1] * np.exp(0.5 * g[:, y] + rng.normal(0.0, 0.06, n))
    rev_full = np.empty((n, 4))
    rev_full[:, 0] = scale * turnover0 * np.exp(rng.normal(0.0, 0.35, n))
    for y in range(1, 4):
        rev_full[:, y] = rev_full[:, y - 1] * (1.0 + g[:, y])
    revenue = rev_full * frac
    revenue_prev = np.zeros((n, 4))
    revenue_prev[:, 1:] = revenue[:, :-1]
    revenue_prev[:, 0] = np.where(est_year < 2021, rev_full[:, 0] / (1.0 + g[:, 0]), 0.0)

    eps = rng.normal(size=n)
    tail = np.where(rng.random(n) < 0.012, 0.35, 0.0)
    lev_shift = np.array([0.0, 0.0, 0.02, 0.015])
    lev = np.clip(0.58 - 0.10 * q[:, None] + 0.12 * eps[:, None] + rng.normal(0, 0.05, (n, 4))
                  + lev_shift[None, :] + tail[:, None], 0.05, 1.6)
    tl = lev * ta
    ca_noise = np.exp(rng.normal(0, 0.15, (n, 1)) + rng.normal(0, 0.05, (n, 4)))
    ca = ta * np.clip(ca_share0[:, None] * ca_noise, 0.05, 0.98)
    cl = tl * np.clip(rng.normal(0.75, 0.12, (n, 1)) + rng.normal(0, 0.04, (n, 4)), 0.2, 1.0)
    inv = ca * np.clip(inv_share0[:, None] * rng.uniform(0.5, 1.5, (n, 4)), 0.0, 0.6)
    ar = ca * np.clip(ar_share0[:, None] * rng.uniform(0.5, 1.5, (n, 4)), 0.0, 0.95) * (1 - inv / np.maximum(ca, 1))
    margin_shift = np.array([0.0, 0.0, -0.015, -0.005])
    margin = rng.normal(0.035 + 0.025 * q[:, None] + margin_shift[None, :], 0.03, (n, 4))
    margin -= 0.01 * (sens[:, None] - 1.0) * (np.arange(4) == 2)
    net_profit = margin * revenue
    int_exp = tl * rng.uniform(0.3, 0.8, (n, 1)) * rng.uniform(0.04, 0.07, (n, 4))
    int_exp = np.where(rng.random((n, 1)) < 0.05, 0.0, int_exp)
    ebit = np.where(net_profit > 0, net_profit / 0.8, net_profit) + int_exp
    ocf = net_profit * rng.uniform(0.4, 1.6, (n, 4)) + 0.03 * ta + rng.normal(0, 0.04, (n, 4)) * revenue
    employees = np.maximum(1.0, np.round(rev_full / rev_per_emp[:, None] * np.exp(rng.normal(0, 0.4, (n, 1)))))
    top_share = np.clip(rng.beta(2.0, 5.0, (n, 1)) - 0.06 * q[:, None] + rng.normal(0, 0.03, (n, 4)), 0.02, 1.0)
    stress = np.array([0.0, 0.0, 0.25, 0.15])
    owner_over = rng.poisson(np.exp(-1.3 - 0.6 * q[:, None] + stress[None, :]), (n, 4)).astype(np.float64)
    litig = rng.poisson(np.exp(-1.6 - 0.5 * q[:, None] + stress[None, :]), (n, 4)).astype(np.float64)
    penalties = rng.poisson(np.exp(-2.3 - 0.3 * q[:, None]), (n, 4)).astype(np.float64)
    ext_has = rng.random((n, 1)) < _sigmoid(-0.9 - 0.3 * q)[:, None]
    equity = ta - tl
    ext_base = np.maximum(equity, 0.1 * ta)
    ext_guar = np.where(ext_has, ext_base * np.minimum(np.exp(rng.normal(np.log(0.6), 0.8, (n, 1))), 3.0), 0.0)
    tax_score = 0.9 * q[:, None] + rng.normal(0, 0.6, (n, 4))
    tax_idx = np.select([tax_score > 0.8, tax_score > -0.8, tax_score > -1.9], [0, 1, 3], default=4)
    age_at_end = (year_end[None, :] - est_days[:, None]) / 365.25
    tax_idx = np.where((age_at_end < 1.5) & (rng.random((n, 4)) < 0.7), 2, tax_idx)
    owner_exp = np.clip(np.round(np.maximum(age_at_end, 0) + rng.normal(6.0, 4.0, (n, 1))), 1.0, 40.0)
    return {
        "total_assets": ta, "total_liabilities": tl, "equity": equity, "current_assets": ca,
        "current_liabilities": cl, "inventory": inv, "accounts_receivable": ar,
        "revenue": revenue, "revenue_prev": revenue_prev, "net_profit": net_profit,
        "ebit": ebit, "interest_expense": int_exp, "operating_cash_flow": ocf,
        "employees": employees, "top_customer_share": top_share,
        "owner_credit_overdues": owner_over, "tax_idx": tax_idx.astype(np.float64),
        "litigation_count": litig, "admin_penalties": penalties,
        "external_guarantees": ext_guar, "owner_experience_years": owner_exp,
        "age": age_at_end,
    }


def _risk_score(fin: dict[str, FloatArray], ind_effect: FloatArray, guar_effect: FloatArray,
                unobserved: FloatArray) -> FloatArray:
    """Linear log-odds risk score per borrower and period (n × 4); higher = riskier."""
    ta = np.maximum(fin["total_assets"], 1.0)
    lev = fin["total_liabilities"] / ta
    cr = np.clip(fin["current_assets"] / np.maximum(fin["current_liabilities"], 1.0), 0.2, 5.0)
    roa = np.clip(fin["net_profit"] / ta, -0.2, 0.2)
    prev = fin["revenue_prev"]
    growth = np.where(prev > 0, fin["revenue"] / np.where(prev > 0, prev, 1.0) - 1.0, 0.0)
    growth = np.clip(growth, -0.5, 0.5)
    tax_eff = np.array([_TAX_PD_EFFECT[t] for t in TAX_RATINGS])[fin["tax_idx"].astype(np.int64)]
    score: FloatArray = (
        2.2 * (lev - 0.6) - 0.5 * np.log(cr) - 6.0 * roa - 0.9 * growth + tax_eff
        + 0.25 * np.minimum(fin["litigation_count"], 4) + 0.10 * np.minimum(fin["admin_penalties"], 3)
        + 0.30 * np.minimum(fin["owner_credit_overdues"], 4) + 1.0 * (fin["top_customer_share"] - 0.3)
        + 0.2 * (fin["age"] < 2.0) + ind_effect[:, None] + guar_effect[:, None] + unobserved[:, None]
    )
    return score


def _calibrate_intercept(z: FloatArray, target: float) -> float:
    lo, hi = -20.0, 5.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _sigmoid(mid + z).mean() > target:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def _simulate(cfg: _Config) -> SampleBook:
    if not 1 <= cfg.n_branches <= len(BRANCHES):
        raise ValueError(f"n_branches must be in 1..{len(BRANCHES)}; got {cfg.n_branches}")
    if cfg.months < 1:
        raise ValueError(f"months must be >= 1; got {cfg.months}")
    if cfg.loans_per_branch <= 0:
        raise ValueError(f"loans_per_branch must be > 0; got {cfg.loans_per_branch}")

    ss = np.random.SeedSequence(cfg.seed)
    (r_arr, r_bor, r_fin, r_slot, r_loan, r_sim, r_cls, r_names, r_mask) = (
        np.random.default_rng(s) for s in ss.spawn(9)
    )
    window_months = _WINDOW_START + np.arange(cfg.months)
    end_month = window_months[-1]
    all_months = np.arange(_SIM_START, end_month + 1)
    n_months = len(all_months)
    t_w0 = int((_WINDOW_START - _SIM_START).astype(np.int64))
    month_end = _month_end(all_months)
    month_start = all_months.astype("datetime64[D]").astype(np.int64)
    end_day = int(month_end[-1])

    # ---------------------------------------------------------------- borrowers
    lam = _arrival_rate(cfg, all_months)
    counts = r_arr.poisson(lam)  # branches × months
    br_idx = np.repeat(np.repeat(np.arange(cfg.n_branches), n_months), counts.ravel())
    arr_month = np.repeat(np.tile(np.arange(n_months), cfg.n_branches), counts.ravel())
    order = np.lexsort((br_idx, arr_month))
    br_idx, arr_month = br_idx[order], arr_month[order]
    nb = len(br_idx)
    days_in_month = month_end - month_start + 1
    arr_day = month_start[arr_month] + (r_bor.random(nb) * days_in_month[arr_month]).astype(np.int64)

    codes = np.array(list(_INDUSTRY_PARAMS))
    shares = np.array([v[0] for v in _INDUSTRY_PARAMS.values()])
    industry = codes[r_bor.choice(len(codes), size=nb, p=shares / shares.sum())]
    ind_params = np.array([_INDUSTRY_PARAMS[c] for c in industry])
    ind_effect, ind_sens = ind_params[:, 1], ind_params[:, 2]
    q = r_bor.normal(size=nb)
    unobserved = r_bor.normal(0.0, 0.6, nb)
    age0_years = np.clip(np.exp(r_bor.normal(np.log(6.0), 0.8, nb)), 0.3, 30.0)
    est_day = arr_day - (age0_years * 365.25).astype(np.int64)
    rel_day = arr_day - np.where(r_bor.random(nb) < 0.5, 0, r_bor.integers(30, 1500, nb))
    home = np.array([b[2] for b in BRANCHES[: cfg.n_branches]])[br_idx]
    region = np.where(r_bor.random(nb) < 0.65, home, np.asarray(REGIONS)[r_bor.integers(0, len(REGIONS), nb)])
    big_firm = r_bor.random(nb) < 0.05
    amount_scale = np.exp(r_bor.normal(np.log(6.5e5), 0.75, nb)) * np.where(big_firm, 5.0, 1.0)

    # ---------------------------------------------------------------- slots (facilities)
    n_slots = r_slot.choice([1, 2, 3], size=nb, p=[0.70, 0.22, 0.08])
    s_b = np.repeat(np.arange(nb), n_slots)
    ns = len(s_b)
    s_first = np.r_[True, s_b[1:] != s_b[:-1]]
    s_start = arr_day[s_b] + np.where(s_first, 0, r_slot.integers(30, 540, ns))
    s_gtype = r_slot.choice(len(GUARANTEE_TYPES), size=ns, p=_GUARANTEE_SHARES)
    # Product by guarantee type; 税易贷 is a credit product for good tax payers (A/B).
    u = r_slot.random(ns)
    s_product = np.select(
        [s_gtype == 0, s_gtype == 1, s_gtype == 2, s_gtype == 3],
        [np.where(u < 0.6, 2, 0), np.where(u < 0.7, 0, 1), np.where(u < 0.6, 3, 1), np.zeros(ns, np.int64)],
        default=np.where(u < 0.5, 1, 0),
    )
    term_choices = np.array([6, 12, 18, 24, 36])
    term_p = {0: [0.25, 0.65, 0.05, 0.05, 0.00], 1: [0.05, 0.45, 0.05, 0.25, 0.20],
              2: [0.00, 1.00, 0.00, 0.00, 0.00], 3: [0.00, 0.35, 0.05, 0.25, 0.35]}
    s_term = np.zeros(ns, dtype=np.int64)
    for prod, p in term_p.items():
        sel = s_product == prod
        s_term[sel] = term_choices[r_slot.choice(5, size=int(sel.sum()), p=p)]
    s_amount = amount_scale[s_b] * np.exp(r_slot.normal(0.0, 0.35, ns))
    s_amount = np.where(s_product == 2, np.minimum(s_amount, 3.0e6), s_amount)
    s_amount = np.clip(s_amount, 1.0e5, 1.5e7)
    s_method = np.where(s_term <= 12, np.where(r_slot.random(ns) < 0.85, 0, 2),
                        r_slot.choice(3, size=ns, p=[0.3, 0.4, 0.3]))
    s_guarantor_kind = r_slot.choice(3, size=ns, p=[0.40, 0.35, 0.25])  # owner, company, other firm
    s_manager = r_slot.integers(0, 14, ns)

    # ---------------------------------------------------------------- financials and risk
    fin = _financials(r_fin, q, industry, amount_scale * n_slots * r_fin.uniform(3.0, 10.0, nb), est_day)
    g_eff = np.array(_GUARANTEE_PD_EFFECT)[s_gtype]
    guar_effect = np.bincount(s_b, weights=g_eff, minlength=nb) / n_slots
    z = _risk_score(fin, ind_effect, guar_effect, unobserved)  # nb × 4 (2021-2024)
    # Hazard uses a blend of last year's and this year's true state.
    z_year = {2022: z[:, 1], 2023: 0.5 * (z[:, 1] + z[:, 2]), 2024: 0.5 * (z[:, 2] + z[:, 3])}
    c0 = _calibrate_intercept(z[:, 1], _BASE_MONTHLY_HAZARD)
    z_mean = float(np.mean(z[:, 1]))
    watch_cut = {y: float(np.quantile(v, 0.975)) for y, v in z_year.items()}

    # ---------------------------------------------------------------- loan chains
    p_renew = np.clip(0.78 - 0.05 * (z[:, 1] - z_mean), 0.55, 0.9)
    chain_len = np.minimum(r_loan.geometric(1.0 - p_renew[s_b]), 25)
    l_slot = np.repeat(np.arange(ns), chain_len)
    nl = len(l_slot)
    first_of_slot = np.r_[0, np.cumsum(chain_len)[:-1]]
    pos = np.arange(nl) - np.repeat(first_of_slot, chain_len)
    l_b = s_b[l_slot]
    redraw = r_loan.random(nl) < 0.2
    l_term = np.where(redraw & (pos > 0), term_choices[r_loan.choice(5, size=nl, p=[0.1, 0.5, 0.1, 0.15, 0.15])],
                      s_term[l_slot])
    l_term = np.where(s_product[l_slot] == 2, 12, l_term)
    ext_p = 0.02 + 0.04 * (z[l_b, 1] > z_mean + 1.0)
    l_ext = np.where(r_loan.random(nl) < ext_p, r_loan.choice([6, 12], size=nl), 0)
    span = l_term + l_ext
    cum_span = np.cumsum(span)
    before = cum_span - span - np.repeat(cum_span[first_of_slot] - span[first_of_slot], chain_len)
    l_orig = _add_months(s_start[l_slot], before)
    l_mat_orig = _add_months(l_orig, l_term)
    l_mat = _add_months(l_orig, span)
    l_amount = np.round(s_amount[l_slot] * np.exp(r_loan.normal(0.0, 0.12, nl)) * (1.0 + 0.03 * pos), -4)
    l_amount = np.maximum(l_amount, 5.0e4).astype(np.float64)
    keep = l_orig <= end_day
    (l_slot, pos, l_b, l_term, l_ext, l_orig, l_mat_orig, l_mat, l_amount) = (
        a[keep] for a in (l_slot, pos, l_b, l_term, l_ext, l_orig, l_mat_orig, l_mat, l_amount)
    )
    nl = len(l_b)
    l_gtype = s_gtype[l_slot]
    l_method = s_method[l_slot]
    lpr = _step_knots(_LPR_KNOTS, l_orig)
    spread = (0.004 + np.array([0.012, 0.006, 0.0, 0.002, 0.003])[l_gtype]
              + 0.004 * np.clip(z[l_b, 1] - z_mean, -1.5, 2.5) + r_loan.normal(0.0, 0.004, nl))
    l_rate = np.round(np.clip(lpr + spread, 0.03, 0.09), 4)
    coll_mult = np.select([l_gtype == 2, l_gtype == 3, l_gtype == 4],
                          [r_loan.uniform(1.3, 2.5, nl), r_loan.uniform(1.05, 1.6, nl), r_loan.uniform(0.5, 1.4, nl)],
                          default=0.0)
    l_collateral = np.round(l_amount * coll_mult, -4)
    u_loan = r_loan.random(nl)  # static per-loan uniform: reporting exceptions, provision rate
    u_prov = r_loan.random(nl)

    # ---------------------------------------------------------------- monthly simulation
    state = np.zeros(nb, dtype=np.int8)  # 0 performing, 1 cure episode, 2 defaulted, 3 resolved
    d_default = np.full(nb, _BIG, dtype=np.int64)
    res_month = np.full(nb, _BIG, dtype=np.int64)
    res_day = np.full(nb, _BIG, dtype=np.int64)
    ep_start = np.full(nb, _BIG, dtype=np.int64)
    cure_month = np.full(nb, _BIG, dtype=np.int64)
    cure_day = np.full(nb, -_BIG, dtype=np.int64)
    restr_day = np.full(nb, _BIG, dtype=np.int64)
    cured_before = np.zeros(nb, dtype=bool)
    u_worse = r_cls.random(nb)  # borrower-level: classified worse than the floor
    u_watch = r_cls.random(nb)
    collateral_backed = (
        np.bincount(s_b, weights=np.isin(s_gtype, (2, 3)).astype(float), minlength=nb) / n_slots
    ) >= 0.5
    macro = _interp_knots(_MACRO_KNOTS, all_months)
    branch_prov = np.array([1.00, 1.10, 0.95, 1.05, 1.00])[: cfg.n_branches]

    chunks: list[dict[str, npt.NDArray[Any]]] = []
    for t in range(1, n_months):
        s_prev, s = int(month_end[t - 1]), int(month_end[t])
        m_start, ndays = int(month_start[t]), int(days_in_month[t])
        year = int(all_months[t].astype("datetime64[Y]").astype(np.int64)) + 1970
        z_t = z_year[min(max(year, 2022), 2024)]
        # 1. resolutions (recovery or write-off), including the December campaign
        resolve = (state == 2) & (res_month == t)
        if all_months[t].astype(np.int64) % 12 == 11:
            resolve |= (state == 2) & (s - d_default > 180) & (r_sim.random(nb) < 0.25)
        res_day[resolve] = m_start + r_sim.integers(0, ndays, int(resolve.sum()))
        state[resolve] = 3
        # 2. cures
        cure = (state == 1) & (cure_month == t)
        cure_day[cure] = m_start + r_sim.integers(0, ndays, int(cure.sum()))
        state[cure] = 0
        cured_before |= cure
        restr = cure & (r_sim.random(nb) < 0.25)
        restr_day[restr] = cure_day[restr]
        # 3. new delinquencies among performing borrowers with a live loan at s_prev
        live_prev = (l_orig <= s_prev) & (l_mat > s_prev) & (state[l_b] == 0)
        active = np.bincount(l_b[live_prev], minlength=nb) > 0
        logit = c0 + z_t + ind_sens * macro[t] + 0.7 * cured_before
        new = active & (r_sim.random(nb) < _sigmoid(logit))
        k = int(new.sum())
        d0 = m_start + r_sim.integers(0, ndays - 1, k)
        p_cure = _sigmoid(0.5 - 0.5 * (z_t[new] - z_mean) - 0.6 * macro[t])
        cures = r_sim.random(k) < p_cure
        idx = np.flatnonzero(new)
        ci, di = idx[cures], idx[~cures]
        state[ci] = 1
        ep_start[ci] = d0[cures]
        cure_month[ci] = t + r_sim.choice([1, 2, 3, 4], size=len(ci), p=[0.45, 0.30, 0.20, 0.05])
        state[di] = 2
        d_default[di] = d0[~cures]
        r_months = 4 + np.round(r_sim.gamma(2.0, 4.0, len(di))).astype(np.int64)
        r_months += 4 * collateral_backed[di]
        res_month[di] = t + np.minimum(r_months, 30)
        if t < t_w0:
            continue
        # 4. emit the snapshot
        chunks.append(_emit_snapshot(
            s=s, l_b=l_b, l_orig=l_orig, l_mat=l_mat, l_mat_orig=l_mat_orig,
            l_term=l_term, l_ext=l_ext, l_amount=np.asarray(l_amount, dtype=np.float64), l_rate=l_rate,
            l_method=l_method,
            u_loan=u_loan, u_prov=u_prov, state=state, d_default=d_default, res_day=res_day,
            ep_start=ep_start, cure_day=cure_day, restr_day=restr_day, u_worse=u_worse,
            u_watch=u_watch, z_t=z_t, watch_cut=watch_cut[min(max(year, 2022), 2024)],
            branch_prov=branch_prov[br_idx],
        ))

    # ---------------------------------------------------------------- assemble loans
    snap = {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]}
    li = snap["loan"]
    bi = l_b[li]
    present = np.unique(bi)

    # IDs: loans numbered by origination year, borrowers by arrival order.
    orig_year = l_orig.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    lorder = np.lexsort((l_b, l_orig))
    seq = np.empty(nl, dtype=np.int64)
    sorted_year = orig_year[lorder]
    year_first = np.r_[0, np.flatnonzero(sorted_year[1:] != sorted_year[:-1]) + 1]
    year_start = np.repeat(year_first, np.diff(np.r_[year_first, nl]))
    seq[lorder] = np.arange(nl) - year_start + 1
    loan_id = np.char.add(np.char.add("JJ", orig_year.astype(np.str_)), np.char.zfill(seq.astype(np.str_), 6))
    l_branch = br_idx[l_b]
    corder = np.lexsort((seq, l_branch, orig_year))
    key = orig_year * 100 + l_branch
    ks = key[corder]
    kfirst = np.r_[0, np.flatnonzero(ks[1:] != ks[:-1]) + 1]
    cseq = np.empty(nl, dtype=np.int64)
    cseq[corder] = np.arange(nl) - np.repeat(kfirst, np.diff(np.r_[kfirst, nl])) + 1
    branch_ids = np.array([b[0] for b in BRANCHES[: cfg.n_branches]])
    branch_names = np.array([b[1] for b in BRANCHES[: cfg.n_branches]])
    contract_id = np.char.add(
        np.char.add(np.char.add("HT", branch_ids[l_branch]), orig_year.astype(np.str_)),
        np.char.zfill(cseq.astype(np.str_), 5),
    )
    borrower_id = _zero_pad("C", np.arange(1, nb + 1), 6)
    names = np.empty(nb, dtype=object)
    names[present] = _company_names(r_names, industry[present])
    names = names.astype(np.str_)
    uscc = np.empty(nb, dtype=object)
    uscc[present] = _uscc(r_names, region[present], est_day[present])
    uscc = uscc.astype(np.str_)
    managers = _person_names(r_names, 14 * cfg.n_branches).reshape(cfg.n_branches, 14)
    owners = _person_names(r_names, nb)
    other_firm = names[present][r_names.integers(0, len(present), ns)]
    s_guarantor = np.select(
        [s_guarantor_kind == 0, s_guarantor_kind == 1],
        [owners[s_b], _pick(r_names, _GUARANTEE_COMPANIES, ns)],
        default=other_firm,
    )
    s_guarantor = np.where(other_firm == names[s_b], owners[s_b], s_guarantor)
    s_guarantor = np.where(np.isin(s_gtype, (1, 4)), s_guarantor, "")

    # Enterprise size (2011 standard, simplified per section) on the first period with data.
    first_col = np.clip((est_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970) - 2021, 1, 3)
    rows = np.arange(nb)
    rev_wan = np.maximum(fin["revenue"][rows, first_col], fin["revenue_prev"][rows, first_col]) / 1e4
    ta_wan = fin["total_assets"][rows, first_col] / 1e4
    emp = fin["employees"][rows, first_col]
    micro = np.select(
        [industry == "A", industry == "C", industry == "E", industry == "F", industry == "G",
         industry == "H", industry == "I", industry == "K", industry == "L"],
        [rev_wan < 50, (emp < 20) | (rev_wan < 300), (rev_wan < 300) | (ta_wan < 300),
         (emp < 5) | (rev_wan < 1000), (emp < 20) | (rev_wan < 200), (emp < 10) | (rev_wan < 100),
         (emp < 10) | (rev_wan < 50), (rev_wan < 100) | (ta_wan < 2000), (emp < 10) | (ta_wan < 100)],
        default=emp < 10,
    )
    size = np.where(micro, "micro", "small")
    # Credit line: 1.2 × the sum over facilities of their largest loan, rounded up to 100k.
    slot_max = np.zeros(ns)
    np.maximum.at(slot_max, l_slot, l_amount)
    credit_limit = np.ceil(np.bincount(s_b, weights=slot_max * 1.2, minlength=nb) / 1e5) * 1e5

    industry_name = np.asarray([INDUSTRY_NAMES[c] for c in industry.tolist()], dtype=np.str_)
    sl = l_slot[li]
    loans = pd.DataFrame({
        "snapshot_date": snap["snapshot"].astype("datetime64[D]"),
        "branch_id": branch_ids[br_idx[bi]],
        "branch_name": branch_names[br_idx[bi]],
        "loan_id": loan_id[li],
        "contract_id": contract_id[li],
        "borrower_id": borrower_id[bi],
        "borrower_name": names[bi],
        "uscc": uscc[bi],
        "industry_code": industry[bi],
        "industry_name": industry_name[bi],
        "region_code": region[bi],
        "enterprise_size": size[bi],
        "product": np.asarray(PRODUCTS)[s_product[sl]],
        "credit_limit": credit_limit[bi],
        "loan_amount": l_amount[li],
        "balance": snap["balance"],
        "origination_date": l_orig[li].astype("datetime64[D]"),
        "maturity_date": snap["maturity"].astype("datetime64[D]"),
        "interest_rate": l_rate[li],
        "repayment_method": np.asarray(REPAYMENT_METHODS)[l_method[li]],
        "guarantee_type": np.asarray(GUARANTEE_TYPES)[l_gtype[li]],
        "collateral_value": l_collateral[li],
        "guarantor": s_guarantor[sl],
        "five_class": snap["five_class"],
        "dpd": snap["dpd"],
        "overdue_principal": snap["overdue_principal"],
        "overdue_interest": snap["overdue_interest"],
        "is_extended": snap["is_extended"],
        "is_restructured": snap["is_restructured"],
        "is_inclusive": (credit_limit[bi] <= 1.0e7) & np.isin(size[bi], ("small", "micro")),
        "provision": snap["provision"],
        "account_manager": managers[br_idx[bi], s_manager[sl]],
        "default_flag": snap["default_flag"],
    })
    loans = loans.sort_values(["snapshot_date", "branch_id", "loan_id"], kind="stable").reset_index(drop=True)

    # ---------------------------------------------------------------- borrowers table
    snap_year = snap["snapshot"].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    last_year = np.zeros(nb, dtype=np.int64)
    np.maximum.at(last_year, bi, snap_year)
    est_year = est_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    periods = np.array([2022, 2023, 2024])
    pb = np.repeat(present, 3)
    pp = np.tile(periods, len(present))
    lo = np.maximum(est_year[pb], 2022)
    hi = np.maximum(lo, np.minimum(last_year[pb], 2024))
    sel = (pp >= lo) & (pp <= hi)
    pb, pp = pb[sel], pp[sel]
    col = pp - 2021
    n_rows = len(pb)

    def take(name: str, decimals: int = 0) -> FloatArray:
        out: FloatArray = np.round(fin[name][pb, col], decimals)
        return out

    def masked(values: FloatArray, share: float) -> FloatArray:
        return np.where(r_mask.random(n_rows) < share, np.nan, values)

    tax = np.asarray(TAX_RATINGS, dtype=object)[fin["tax_idx"][pb, col].astype(np.int64)]
    tax = np.where(r_mask.random(n_rows) < 0.01, None, tax)
    ta_r, tl_r = take("total_assets"), take("total_liabilities")
    borrowers = pd.DataFrame({
        "borrower_id": borrower_id[pb],
        "report_period": pp,
        "total_assets": ta_r,
        "total_liabilities": tl_r,
        "equity": ta_r - tl_r,
        "current_assets": take("current_assets"),
        "current_liabilities": masked(take("current_liabilities"), 0.005),
        "inventory": masked(take("inventory"), 0.02),
        "accounts_receivable": masked(take("accounts_receivable"), 0.02),
        "revenue": take("revenue"),
        "revenue_prev": masked(take("revenue_prev"), 0.01),
        "net_profit": take("net_profit"),
        "ebit": take("ebit"),
        "interest_expense": masked(take("interest_expense"), 0.01),
        "operating_cash_flow": masked(take("operating_cash_flow"), 0.03),
        "established_date": est_day[pb].astype("datetime64[D]"),
        "employees": masked(take("employees"), 0.01),
        "top_customer_share": masked(take("top_customer_share", 3), 0.06),
        "owner_credit_overdues": take("owner_credit_overdues").astype(np.int64),
        "tax_credit_rating": tax,
        "litigation_count": take("litigation_count").astype(np.int64),
        "admin_penalties": take("admin_penalties").astype(np.int64),
        "external_guarantees": masked(take("external_guarantees", -4), 0.02),
        "owner_experience_years": masked(take("owner_experience_years"), 0.04),
        "bank_relationship_start": rel_day[pb].astype("datetime64[D]"),
    })
    borrowers = borrowers.sort_values(["borrower_id", "report_period"], kind="stable").reset_index(drop=True)
    return SampleBook(loans=_coerce_loans(loans), borrowers=_coerce_borrowers(borrowers))


def _dpd_floor_2023(dpd: IntArray) -> IntArray:
    """2023 Measures floors: DPD ≥ 1 → 2, > 90 → 3, > 270 → 4, > 360 → 5."""
    return (1 + (dpd >= 1) + (dpd > 90) + (dpd > 270) + (dpd > 360)).astype(np.int64)


def _emit_snapshot(
    *, s: int, l_b: IntArray, l_orig: IntArray, l_mat: IntArray, l_mat_orig: IntArray,
    l_term: IntArray, l_ext: IntArray, l_amount: FloatArray, l_rate: FloatArray, l_method: IntArray,
    u_loan: FloatArray, u_prov: FloatArray, state: npt.NDArray[np.int8], d_default: IntArray,
    res_day: IntArray, ep_start: IntArray, cure_day: IntArray, restr_day: IntArray,
    u_worse: FloatArray, u_watch: FloatArray, z_t: FloatArray, watch_cut: float,
    branch_prov: FloatArray,
) -> dict[str, npt.NDArray[Any]]:
    """Rows of one month-end snapshot ``s`` (day number) as column arrays."""
    db = d_default[l_b]
    defaulted = db <= s
    live = np.where(defaulted, (l_orig <= db) & (l_mat > db) & (res_day[l_b] > s), (l_orig <= s) & (l_mat > s))
    li = np.flatnonzero(live)
    b = l_b[li]
    orig, term, amount, rate, method = l_orig[li], l_term[li], l_amount[li], l_rate[li], l_method[li]
    dflt = defaulted[li]
    episode = (state[b] == 1) & (orig <= ep_start[b])
    start = np.where(dflt, db[li], np.where(episode, ep_start[b], _BIG))
    dpd = np.where(start <= s, s - start, 0).astype(np.int64)

    # Balance: amortisation stops at the start of delinquency.
    ref = np.where(dpd > 0, start, s)
    k = np.minimum(_months_between(orig, ref), term - 1)
    r = rate / 12.0
    growth_n = (1.0 + r) ** term
    annuity = amount * (growth_n - (1.0 + r) ** k) / (growth_n - 1.0)
    linear = amount * (1.0 - k / term)
    balance = np.round(np.select([method == 1, method == 2], [annuity, linear], default=amount), 2)

    ext, mat_orig = l_ext[li], l_mat_orig[li]
    matured = l_mat[li] <= s
    overdue_principal = np.where(
        dpd == 0, 0.0,
        np.where((dflt & (dpd > 90)) | matured, balance,
                 np.where(method == 0, 0.0, np.minimum(balance, np.ceil(dpd / 30.0) * amount / term))),
    )
    overdue_principal = np.round(overdue_principal, 2)
    overdue_interest = np.round(balance * rate * dpd / 360.0, 2)

    # Reported class: DPD floor, made worse or (rarely) better as real ledgers do.
    floor = _dpd_floor_2023(dpd)
    cls = floor.copy()
    restructured = (restr_day[b] <= s) & (orig <= restr_day[b])
    recently_cured = (s - cure_day[b] < 183) & (u_watch[b] < 0.6)
    watch = (z_t[b] > watch_cut) & (u_watch[b] < 0.8)
    cls = np.where((cls == 1) & (restructured | recently_cured | watch | (u_loan[li] > 0.992)), 2, cls)
    cls = np.where(dflt & (dpd > 30) & (dpd <= 90) & (u_worse[b] < 0.30), 3, cls)
    cls = np.where(dflt & (dpd > 180) & (dpd <= 270) & (u_worse[b] < 0.15), 4, cls)
    better = u_loan[li] < 0.02
    cls = np.where(better & (dpd >= 1) & (dpd <= 30) & (u_loan[li] < 0.004), 1, cls)
    cls = np.where(better & (dpd > 90) & (dpd <= 150), 2, cls)
    cls = np.where(better & (dpd > 270) & (dpd <= 330), 3, cls)
    final = np.maximum(cls, floor)

    lo = np.array([p[0] for p in _PROVISION_RATES])[cls - 1]
    hi = np.array([p[1] for p in _PROVISION_RATES])[cls - 1]
    prate = lo + (hi - lo) * u_prov[li]
    prate = np.where(cls <= 2, prate * branch_prov[b], prate)
    provision = np.round(balance * prate, 2)

    maturity = np.where(s < mat_orig, mat_orig, l_mat[li])
    return {
        "snapshot": np.full(len(li), s, dtype=np.int64),
        "loan": li,
        "balance": balance,
        "maturity": maturity,
        "five_class": cls.astype(np.int64),
        "dpd": dpd,
        "overdue_principal": overdue_principal,
        "overdue_interest": overdue_interest,
        "is_extended": (ext > 0) & (s >= mat_orig),
        "is_restructured": restructured,
        "provision": provision,
        "default_flag": final >= 3,
    }


# ============================================================================ DTYPES AND I/O


def _coerce(
    df: pd.DataFrame, columns: Sequence[str], *, text: Sequence[str], dates: Sequence[str],
    ints: Sequence[str], bools: Sequence[str] = (),
) -> pd.DataFrame:
    """Select ``columns`` in order and give each its dtype; every other column is float64."""
    out = df.loc[:, list(columns)].copy()
    typed = {**{c: "str" for c in text}, **{c: DATE_DTYPE for c in dates},
             **{c: np.int64 for c in ints}, **{c: bool for c in bools}}
    for c in columns:
        out[c] = out[c].astype(typed.get(c, np.float64))
    return out


def _coerce_loans(df: pd.DataFrame) -> pd.DataFrame:
    return _coerce(df, LOAN_COLUMNS, text=_STR_LOAN_COLS, dates=_DATE_LOAN_COLS, ints=_INT_LOAN_COLS,
                   bools=_BOOL_LOAN_COLS)


def _coerce_borrowers(df: pd.DataFrame) -> pd.DataFrame:
    return _coerce(df, BORROWER_COLUMNS, text=_STR_BORROWER_COLS, dates=_DATE_BORROWER_COLS,
                   ints=_INT_BORROWER_COLS)


def generate(
    seed: int = DEFAULT_SEED,
    *,
    n_branches: int = 3,
    months: int = 24,
    loans_per_branch: float = 3000.0,
) -> SampleBook:
    """Simulate the sample loan book.

    Parameters
    ----------
    seed
        Seed of :class:`numpy.random.SeedSequence`; the same arguments always give
        identical frames.
    n_branches
        Number of branches, 1-5 (the first ``n`` of :data:`BRANCHES`).
    months
        Number of month-end snapshots starting 2023-01-31 (24 → … 2024-12-31).
    loans_per_branch
        Target mean number of live loans per branch; the branches differ by the size
        factors in :data:`BRANCHES` (0.90, 1.00, 1.10, …).

    Returns
    -------
    SampleBook
        ``loans``: one row per live loan per snapshot (columns :data:`LOAN_COLUMNS`);
        ``borrowers``: one row per borrower per report period (:data:`BORROWER_COLUMNS`).
        IDs and texts are pandas ``str`` dtype, dates ``datetime64[us]``, money
        ``float64`` yuan, ``five_class`` and ``dpd`` ``int64``, flags ``bool``.
    """
    return _simulate(_Config(seed=int(seed), n_branches=int(n_branches), months=int(months),
                             loans_per_branch=float(loans_per_branch)))


def write_sample(book: SampleBook, directory: str | Path) -> None:
    """Write ``loans.parquet``, ``borrowers.parquet`` (zstd) and a bank-style CSV.

    The CSV holds the first branch's latest snapshot and is named
    ``{branch_id}_{YYYY-MM}_贷款台账.csv`` (:data:`CSV_NAME` for the default book).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    book.loans.to_parquet(out / LOANS_FILE, engine="pyarrow", compression="zstd",
                          compression_level=19, index=False)
    book.borrowers.to_parquet(out / BORROWERS_FILE, engine="pyarrow", compression="zstd",
                              compression_level=19, index=False)
    branch = str(book.loans["branch_id"].min())
    last = pd.Timestamp(book.loans["snapshot_date"].max())
    write_bank_csv(book.loans, out / f"{branch}_{last:%Y-%m}_贷款台账.csv", branch_id=branch, snapshot=last)


def load_sample(directory: str | Path | None = None) -> SampleBook:
    """Read the sample book written by :func:`write_sample`.

    Parameters
    ----------
    directory
        Folder holding ``loans.parquet`` and ``borrowers.parquet``; default: the
        repository's ``sample_data/`` (located relative to this module).
    """
    base = DEFAULT_DIR if directory is None else Path(directory)
    loans = pd.read_parquet(base / LOANS_FILE, engine="pyarrow")
    borrowers = pd.read_parquet(base / BORROWERS_FILE, engine="pyarrow")
    return SampleBook(loans=_coerce_loans(loans), borrowers=_coerce_borrowers(borrowers))


# ---------------------------------------------------------------------------- bank-style CSV

_CSV_CLASS: Final[dict[int, str]] = {1: "正常", 2: "关注", 3: "次级", 4: "可疑", 5: "损失"}
_CSV_GUARANTEE: Final[dict[str, str]] = {
    "credit": "信用", "guarantee": "保证", "mortgage": "抵押", "pledge": "质押", "mixed": "组合",
}
_CSV_METHOD: Final[dict[str, str]] = {
    "bullet": "按月付息到期还本", "equal_installment": "等额本息", "equal_principal": "等额本金",
}
_CSV_SIZE: Final[dict[str, str]] = {"small": "小型", "micro": "微型"}
_CSV_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("数据日期", "snapshot_date"), ("机构号", "branch_id"), ("借据号", "loan_id"),
    ("合同号", "contract_id"), ("客户号", "borrower_id"), ("客户名称", "borrower_name"),
    ("统一社会信用代码", "uscc"), ("行业代码", "industry_code"), ("行政区划代码", "region_code"),
    ("企业规模", "enterprise_size"), ("贷款品种", "product"), ("授信额度", "credit_limit"),
    ("贷款金额", "loan_amount"), ("贷款余额", "balance"), ("发放日期", "origination_date"),
    ("到期日期", "maturity_date"), ("执行利率", "interest_rate"), ("还款方式", "repayment_method"),
    ("担保方式", "guarantee_type"), ("抵质押物价值", "collateral_value"), ("保证人", "guarantor"),
    ("五级分类", "five_class"), ("逾期天数", "dpd"), ("逾期本金", "overdue_principal"),
    ("欠息金额", "overdue_interest"), ("是否展期", "is_extended"), ("是否重组", "is_restructured"),
    ("是否普惠", "is_inclusive"), ("贷款损失准备", "provision"), ("客户经理", "account_manager"),
)
_CSV_TOTALS: Final[tuple[str, ...]] = (
    "loan_amount", "balance", "overdue_principal", "overdue_interest", "provision",
)


def write_bank_csv(
    loans: pd.DataFrame,
    path: str | Path,
    *,
    branch_id: str = "QD01",
    snapshot: str | pd.Timestamp = "2024-12-31",
) -> None:
    """Write one branch-month as a core-banking export: GBK, title row, 合计 row.

    Amounts in yuan with two decimals, rates as percent strings (``4.35%``), flags
    是/否, classes and guarantee types in Chinese, CRLF line ends.
    """
    day = pd.Timestamp(snapshot)
    part = loans[(loans["branch_id"] == branch_id) & (loans["snapshot_date"] == day)]
    if part.empty:
        raise ValueError(f"no loans for branch {branch_id!r} at {snapshot}")
    part = part.sort_values("loan_id")
    out = pd.DataFrame()
    for zh, col in _CSV_COLUMNS:
        v = part[col]
        if col in ("snapshot_date", "origination_date", "maturity_date"):
            out[zh] = v.dt.strftime("%Y-%m-%d")
        elif col == "interest_rate":
            out[zh] = (v * 100).map("{:.2f}%".format)
        elif col == "five_class":
            out[zh] = v.map(_CSV_CLASS)
        elif col == "guarantee_type":
            out[zh] = v.map(_CSV_GUARANTEE)
        elif col == "repayment_method":
            out[zh] = v.map(_CSV_METHOD)
        elif col == "enterprise_size":
            out[zh] = v.map(_CSV_SIZE)
        elif col.startswith("is_"):
            out[zh] = np.where(v, "是", "否")
        elif col in ("credit_limit", "loan_amount", "balance", "collateral_value", "overdue_principal",
                     "overdue_interest", "provision"):
            out[zh] = v.map("{:.2f}".format)
        else:
            out[zh] = v.astype("str")
    total = {zh: "" for zh, _ in _CSV_COLUMNS}
    total["数据日期"] = "合计"
    for zh, col in _CSV_COLUMNS:
        if col in _CSV_TOTALS:
            total[zh] = f"{part[col].sum():.2f}"
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    branch_name = str(part["branch_name"].iloc[0])
    title = f"{branch_name}小微企业贷款台账 {day.year}年{day.month}月" + "," * (len(_CSV_COLUMNS) - 1)
    body = out.to_csv(index=False, lineterminator="\r\n")
    Path(path).write_bytes((title + "\r\n" + body).encode("gbk"))


# ============================================================================ COMMAND LINE


def npl_ratio_by_month(loans: pd.DataFrame) -> pd.DataFrame:
    """Book-wide NPL ratio by balance per snapshot (NPL = ``default_flag``).

    Returns a frame indexed by snapshot_date with ``balance``, ``npl_balance``,
    ``npl_ratio`` and ``loans``.
    """
    g = loans.assign(npl_balance=loans["balance"].where(loans["default_flag"], 0.0)).groupby("snapshot_date")
    out = g.agg(balance=("balance", "sum"), npl_balance=("npl_balance", "sum"), loans=("loan_id", "size"))
    out["npl_ratio"] = out["npl_balance"] / out["balance"]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Generate and write the sample book; print the monthly NPL ratio path."""
    parser = argparse.ArgumentParser(prog="python -m riskcore.sample", description="Write the deterministic sample SME loan book.")
    parser.add_argument("--out", default=str(DEFAULT_DIR), help="output directory (default: sample_data/)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    book = generate(args.seed)
    t1 = time.perf_counter()
    write_sample(book, args.out)
    t2 = time.perf_counter()
    path = npl_ratio_by_month(book.loans)
    per_branch = book.loans.groupby(["snapshot_date", "branch_id"]).size()
    print(f"generated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s to {args.out}")
    print(f"loans rows {len(book.loans):,}, borrower rows {len(book.borrowers):,}, "
          f"borrowers {book.loans['borrower_id'].nunique():,}")
    print(f"live loans per branch per snapshot: {per_branch.min()}-{per_branch.max()}")
    print("snapshot     loans   balance(100m)  npl_ratio")
    for day, row in path.iterrows():
        print(f"{day:%Y-%m-%d}  {int(row['loans']):6d}  {row['balance'] / 1e8:12.2f}  {row['npl_ratio']:9.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
