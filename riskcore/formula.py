"""A small, safe expression language for user-defined indicators.

A committee that wants its own indicator (say ``net_profit / revenue`` or
``overdue_principal / balance``) types a formula; the text comes from a browser, so it is
parsed with :mod:`ast` and evaluated by walking the tree over numpy arrays. Nothing is
ever passed to ``eval``/``exec``/``compile``, no attribute, subscript or keyword can be
written, and the only callables are the four functions of :data:`FORMULA_FUNCTIONS`.

Grammar (Python's own precedence): numbers, field names (:data:`FORMULA_FIELDS`),
``+ - * /``, unary ``-`` (and ``+``), parentheses, ``abs(x)``, ``log(x)`` (natural log),
``min(x, y, ...)``, ``max(x, y, ...)``.

Missing values: a field missing for a borrower makes the result missing; a division by
zero, ``log`` of a value ≤ 0 and any non-finite result are missing too. The indicator's
missing-value policy then decides what happens (:mod:`riskcore.system`).

Error messages name the offending token and its 1-based column (in characters), so the
editor can point at it.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BORROWER_FORMULA_FIELDS",
    "FORMULA_FIELDS",
    "FORMULA_FUNCTIONS",
    "LOAN_FORMULA_FIELDS",
    "MAX_FORMULA_LENGTH",
    "Formula",
    "parse_formula",
]

FloatArray = npt.NDArray[np.float64]

BORROWER_FORMULA_FIELDS: Final[Mapping[str, str]] = {
    "total_assets": "资产总额 total assets (yuan)",
    "total_liabilities": "负债总额 total liabilities (yuan)",
    "equity": "所有者权益 equity (yuan)",
    "current_assets": "流动资产 current assets (yuan)",
    "current_liabilities": "流动负债 current liabilities (yuan)",
    "inventory": "存货 inventory (yuan)",
    "accounts_receivable": "应收账款 accounts receivable (yuan)",
    "revenue": "营业收入 revenue of the period (yuan)",
    "revenue_prev": "上年营业收入 revenue of the year before (yuan)",
    "net_profit": "净利润 net profit (yuan)",
    "ebit": "息税前利润 EBIT (yuan)",
    "interest_expense": "利息支出 interest expense (yuan)",
    "operating_cash_flow": "经营活动现金流量净额 operating cash flow (yuan)",
    "employees": "从业人员 employees (count)",
    "top_customer_share": "前五大客户占比 top-customer share of sales (0-1)",
    "owner_credit_overdues": "实控人征信逾期次数 owner's credit-bureau overdues (count)",
    "litigation_count": "涉诉次数 litigation cases (count)",
    "admin_penalties": "行政处罚次数 administrative penalties (count)",
    "external_guarantees": "对外担保金额 guarantees given to others (yuan)",
    "owner_experience_years": "实控人从业年限 owner's years of experience",
}
"""Numeric columns of the borrower table (DOMAIN.md §2.2), taken from the borrower's
applicable annual report at the snapshot (:func:`riskcore.indicators.applicable_financials`:
last year's statements). Text, date and period columns are left out: arithmetic on them
means nothing."""

LOAN_FORMULA_FIELDS: Final[Mapping[str, str]] = {
    "balance": "贷款余额合计 sum of balance over the borrower's live loans (yuan)",
    "loan_amount": "贷款金额合计 sum of loan_amount over the live loans (yuan)",
    "credit_limit": "授信额度合计 sum of credit_limit over the live loans (yuan)",
    "collateral_value": "抵质押物价值合计 sum of collateral_value over the live loans (yuan)",
    "overdue_principal": "逾期本金合计 sum of overdue_principal over the live loans (yuan)",
    "overdue_interest": "欠息金额合计 sum of overdue_interest over the live loans (yuan)",
    "provision": "贷款损失准备合计 sum of provision over the live loans (yuan)",
    "loan_count": "贷款笔数 number of live loans",
    "max_dpd": "当前最大逾期天数 largest dpd among the live loans (days)",
}
"""Per-borrower aggregates of the live loans (``balance > 0``) at the snapshot in the
selected branches, the same loans the built-in ``collateral_coverage`` reads. A sum is
missing only when every one of the borrower's loans lacks the value (or the loan table
has no such column)."""

FORMULA_FIELDS: Final[Mapping[str, str]] = {**BORROWER_FORMULA_FIELDS, **LOAN_FORMULA_FIELDS}
"""Every name a formula may use → a short bilingual description (for the editor)."""

FORMULA_FUNCTIONS: Final[Mapping[str, str]] = {
    "abs": "abs(x): absolute value",
    "min": "min(x, y, ...): smallest of two or more values",
    "max": "max(x, y, ...): largest of two or more values",
    "log": "log(x): natural logarithm; missing for x ≤ 0",
}
"""The callable functions → usage (for the editor)."""

MAX_FORMULA_LENGTH: Final[int] = 400
"""Longer text is refused: no sensible indicator needs more, and it bounds the depth of
the tree the evaluator walks recursively."""

_TOKEN: Final[re.Pattern[str]] = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<op>\*\*|//|[-+*/(),])"
)
_NOT_ALLOWED: Final[dict[str, str]] = {
    "**": "operator '**' is not allowed (use + - * /)",
    "//": "operator '//' is not allowed (use + - * /)",
    "%": "operator '%' is not allowed (use + - * /)",
    "@": "operator '@' is not allowed (use + - * /)",
    "&": "operator '&' is not allowed (use + - * /)",
    "|": "operator '|' is not allowed (use + - * /)",
    "^": "operator '^' is not allowed (use + - * /)",
    "~": "operator '~' is not allowed (use + - * /)",
    "<": "comparisons are not allowed",
    ">": "comparisons are not allowed",
    "=": "'=' is not allowed (a formula is an expression, e.g. net_profit / revenue)",
    "!": "'!' is not allowed",
    "'": "text in quotes is not allowed",
    '"': "text in quotes is not allowed",
    "[": "indexing with [ ] is not allowed",
    "]": "indexing with [ ] is not allowed",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
    ":": "':' is not allowed",
    ";": "';' is not allowed",
}


_FULL_WIDTH: Final[dict[int, int]] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


class FormulaError(ValueError):
    """A formula that cannot be accepted; ``column`` is 1-based (characters), 0 if none."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True, eq=False)
class Formula:
    """A parsed, checked formula.

    Attributes
    ----------
    text
        The formula as typed.
    fields
        The field names it reads, in order of first appearance.
    """

    text: str
    fields: tuple[str, ...]
    _tree: ast.expr = field(repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def evaluate(self, values: Mapping[str, npt.ArrayLike], n: int) -> FloatArray:
        """Evaluate over ``n`` borrowers.

        Parameters
        ----------
        values
            Field name → array of length ``n`` (NaN = missing). Only :attr:`fields` are read.
        n
            Number of borrowers: the result has this length even if every operand were a
            constant after simplification.

        Returns
        -------
        numpy.ndarray
            float64, NaN where a field was missing, a denominator was 0, ``log`` got a value
            ≤ 0 or the result is not finite.
        """
        arrays = {name: np.asarray(values[name], dtype=np.float64) for name in self.fields}
        for name, arr in arrays.items():
            if arr.shape != (n,):
                raise ValueError(f"field {name!r} has shape {arr.shape}; expected ({n},)")
        with np.errstate(all="ignore"):
            out = np.broadcast_to(_eval(self._tree, arrays), (n,)).astype(np.float64, copy=True)
        out[~np.isfinite(out)] = np.nan
        return out


def _eval(node: ast.expr, env: Mapping[str, FloatArray]) -> FloatArray | float:
    if isinstance(node, ast.Constant):
        value = node.value
        assert isinstance(value, (int, float))  # checked by parse_formula
        return float(value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, env)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, ast.Add):
            return np.add(left, right)
        if isinstance(node.op, ast.Sub):
            return np.subtract(left, right)
        if isinstance(node.op, ast.Mult):
            return np.multiply(left, right)
        # Division: a zero denominator is "undefined", never ±inf.
        return np.where(np.equal(right, 0.0), np.nan, np.divide(left, right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_eval(a, env) for a in node.args]
        name = node.func.id
        if name == "abs":
            return np.abs(args[0])
        if name == "log":
            x = np.asarray(args[0], dtype=np.float64)
            return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)
        fold = np.minimum if name == "min" else np.maximum  # NaN in → NaN out (missing stays missing)
        acc = args[0]
        for a in args[1:]:
            acc = fold(acc, a)
        return acc
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover


# ============================================================================ PARSING


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, [*FORMULA_FIELDS, *FORMULA_FUNCTIONS], n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _lex(text: str) -> None:
    """Reject characters, names and operators outside the language, left to right.

    Done before :func:`ast.parse` so that the first offending token is reported with its
    own column (Python's parser reports e.g. ``__import__('os')`` as a syntax question,
    not as an unknown name).
    """
    depth: list[int] = []
    pos = 0
    while pos < len(text):
        col = pos + 1
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            if ch == ".":
                attr = re.match(r"\.\s*(\w*)", text[pos:])
                shown = "." + (attr.group(1) if attr else "")
                raise FormulaError(f"attribute access {shown!r} at column {col} is not allowed", col)
            reason = _NOT_ALLOWED.get(ch, f"character {ch!r} is not allowed")
            raise FormulaError(f"{reason}: {ch!r} at column {col}", col)
        kind, token = m.lastgroup, m.group()
        end = m.end()
        if kind == "number" and end < len(text) and (text[end].isalnum() or text[end] == "_"):
            word = re.match(r"\w*", text[pos:])
            shown = word.group() if word else token
            raise FormulaError(f"{shown!r} at column {col} is not a number or a field name "
                               f"(write e.g. 2 * revenue)", col)
        if kind == "name" and token not in FORMULA_FIELDS and token not in FORMULA_FUNCTIONS:
            what = "function" if text[end:].lstrip().startswith("(") else "field"
            raise FormulaError(f"unknown {what} {token!r} at column {col}{_suggest(token)}", col)
        if kind == "op":
            if token in _NOT_ALLOWED:
                raise FormulaError(f"{_NOT_ALLOWED[token]}: {token!r} at column {col}", col)
            if token == "(":
                depth.append(col)
            elif token == ")":
                if not depth:
                    raise FormulaError(f"')' at column {col} has no matching '('", col)
                depth.pop()
        pos = end
    if depth:
        raise FormulaError(f"'(' at column {depth[-1]} is never closed", depth[-1])


class _Checker:
    """Walks the tree and rejects every construct outside the grammar."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.raw = text.encode("utf-8")
        self.fields: list[str] = []

    def col(self, byte_offset: int) -> int:
        """1-based character column of a byte offset (ast offsets are UTF-8 bytes)."""
        return len(self.raw[:byte_offset].decode("utf-8", errors="replace")) + 1

    def segment(self, node: ast.AST) -> str:
        start, end = getattr(node, "col_offset", 0), getattr(node, "end_col_offset", None)
        return self.raw[start:end].decode("utf-8", errors="replace")

    def fail(self, message: str, node: ast.AST) -> FormulaError:
        col = self.col(getattr(node, "col_offset", 0))
        return FormulaError(message.format(col=col), col)

    def check(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.fail(f"{self.segment(node)!r} at column {{col}} is not a number", node)
            if not np.isfinite(float(node.value)):
                raise self.fail(f"{self.segment(node)!r} at column {{col}} is too large", node)
        elif isinstance(node, ast.Name):
            if node.id in FORMULA_FUNCTIONS:
                raise self.fail(f"{node.id!r} at column {{col}} is a function: write {node.id}(...)", node)
            if node.id not in self.fields:
                self.fields.append(node.id)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(f"{self.segment(node)!r} at column {{col}} is not allowed", node)
            self.check(node.operand)
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
                # The lexer refuses the other operator characters; kept as a second line.
                raise self.fail(f"operator at column {{col}} in {self.segment(node)!r} is not allowed",
                                node)  # pragma: no cover
            self.check(node.left)
            self.check(node.right)
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name) or func.id not in FORMULA_FUNCTIONS:
                shown = self.segment(func)
                raise self.fail(f"{shown!r} at column {{col}} cannot be called; functions: "
                                f"{', '.join(FORMULA_FUNCTIONS)}", func)
            if node.keywords:  # pragma: no cover - '=' is refused by the lexer
                raise self.fail(f"{func.id}() at column {{col}} takes no named arguments", func)
            n = len(node.args)
            if func.id in ("abs", "log") and n != 1:
                raise self.fail(f"{func.id}() at column {{col}} takes 1 argument, got {n}", func)
            if func.id in ("min", "max") and n < 2:
                raise self.fail(f"{func.id}() at column {{col}} takes 2 or more arguments, got {n}", func)
            for arg in node.args:
                if isinstance(arg, ast.Starred):  # pragma: no cover - '*x' fails ast.parse alone
                    raise self.fail("'*' at column {col} is not allowed", arg)
                self.check(arg)
        elif isinstance(node, ast.Tuple):
            raise self.fail(f"{self.segment(node)!r} at column {{col}}: ',' separates function "
                            f"arguments only", node)
        else:  # pragma: no cover - the lexer leaves nothing else that parses
            raise self.fail(f"{self.segment(node)!r} at column {{col}} is not allowed", node)


def parse_formula(text: str) -> Formula:
    """Parse and check a formula.

    Parameters
    ----------
    text
        The formula, e.g. ``"net_profit / revenue"``. Line breaks are allowed (read as
        spaces, so columns count every character of the text).

    Returns
    -------
    Formula
        With :attr:`Formula.fields` listing the fields read.

    Raises
    ------
    ValueError
        (:class:`FormulaError`, with ``column``) naming the offending token and its 1-based
        column: an unknown field or function, a character or operator outside the
        language (``**``, ``.``, quotes, comparisons, ...), unbalanced parentheses, a
        wrong number of function arguments, a formula that reads no field (a constant
        carries no information about borrowers), or text that is empty or too long.
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, got {type(text).__name__}")
    if not text.strip():
        raise FormulaError("the formula is empty")
    if len(text) > MAX_FORMULA_LENGTH:
        raise FormulaError(f"the formula has {len(text)} characters; at most {MAX_FORMULA_LENGTH} are allowed")
    # One character for one character, so columns stay those of ``text``: full-width forms
    # typed with a Chinese input method (（ ） ＋ ， ０) become ASCII, and every blank, line
    # breaks and the ideographic space included, a plain space (ast wants one logical line).
    flat = re.sub(r"\s", " ", text.translate(_FULL_WIDTH))
    _lex(flat)
    lead = len(flat) - len(flat.lstrip())
    body = flat.strip()
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        offset = exc.offset or 0
        if offset < 1 or offset > len(body):
            last = body.rstrip()[-1:]
            raise FormulaError(f"the formula ends unexpectedly after {last!r}", len(text)) from None
        col = offset + lead
        near = re.match(r"\S+", body[offset - 1:])
        shown = near.group() if near else body[offset - 1]
        raise FormulaError(f"cannot read the formula at column {col} near {shown!r}", col) from None
    except (RecursionError, MemoryError):  # pragma: no cover - bounded by MAX_FORMULA_LENGTH
        raise FormulaError("the formula is nested too deeply") from None
    checker = _Checker(" " * lead + body)
    # Offsets in the tree are relative to ``body``: shift them by the leading blanks.
    for node in ast.walk(tree):
        if lead and hasattr(node, "col_offset"):
            node.col_offset += lead
            end = getattr(node, "end_col_offset", None)
            if end is not None:
                setattr(node, "end_col_offset", end + lead)  # noqa: B010 - not every AST type declares it
    try:
        checker.check(tree.body)
    except RecursionError:  # pragma: no cover
        raise FormulaError("the formula is nested too deeply") from None
    if not checker.fields:
        raise FormulaError("the formula reads no field: a constant says nothing about borrowers")
    return Formula(text=text, fields=tuple(checker.fields), _tree=tree.body)
