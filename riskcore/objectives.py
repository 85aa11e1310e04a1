"""Indicator directions and the five-level loan classes, with every label ledgers use.

Both enums accept Chinese and English labels through ``from_label`` so that a
ledger written as ``正常类`` or ``Pass`` and an indicator flagged ``成本型`` or
``-`` are understood the same way everywhere in riskcore.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from typing import Final

__all__ = ["Direction", "LoanClass", "NPL_CLASSES"]


def _normalise_label(label: object) -> str:
    # NFKC folds full-width characters (＋, －, １) that Chinese input methods produce.
    text = unicodedata.normalize("NFKC", str(label)).strip().lower()
    return " ".join(text.replace("_", " ").split())


class Direction(enum.Enum):
    """Whether a higher indicator value is better (benefit) or worse (cost) for the borrower."""

    BENEFIT = "benefit"
    COST = "cost"

    @classmethod
    def from_label(cls, label: object) -> Direction:
        """Return the direction named by ``label``.

        Accepts the enum itself, ``"benefit"``/``"cost"``, ``"max"``/``"min"``,
        ``"+"``/``"-"`` (also ``"−"``), ``1``/``-1`` and the Chinese labels
        效益型/正向/正向指标/效益 and 成本型/负向/负向指标/逆向/成本.

        Raises
        ------
        ValueError
            ``unknown direction 'x'; use 'benefit' or 'cost' (效益型/成本型)``.
        """
        if isinstance(label, Direction):
            return label
        key = _normalise_label(label)
        found = _DIRECTION_ALIASES.get(key)
        if found is None:
            raise ValueError(f"unknown direction {label!r}; use 'benefit' or 'cost' (效益型/成本型)")
        return found


_DIRECTION_ALIASES: Final[dict[str, Direction]] = {
    **{k: Direction.BENEFIT for k in (
        "benefit", "max", "maximise", "maximize", "higher is better", "positive",
        "+", "1", "1.0", "效益型", "效益", "正向", "正向指标", "效益型指标", "极大型",
    )},
    **{k: Direction.COST for k in (
        "cost", "min", "minimise", "minimize", "lower is better", "negative",
        "-", "−", "-1", "-1.0", "成本型", "成本", "负向", "负向指标", "逆向", "逆向指标",
        "成本型指标", "极小型",
    )},
}


class LoanClass(enum.IntEnum):
    """The five-level loan classification (五级分类), ordered from best to worst.

    Classes 3-5 (substandard, doubtful, loss) are non-performing (不良).
    """

    NORMAL = 1
    SPECIAL_MENTION = 2
    SUBSTANDARD = 3
    DOUBTFUL = 4
    LOSS = 5

    @property
    def is_npl(self) -> bool:
        """True for substandard, doubtful and loss."""
        return self >= LoanClass.SUBSTANDARD

    @classmethod
    def from_label(cls, label: object) -> LoanClass:
        """Return the class named by ``label`` (正常/正常类/pass/normal/1 … 损失/loss/5), also
        a sub-grade of a bank's internal scale (正常一级, 关注2, 次级(1)).

        Raises
        ------
        ValueError
            ``unknown loan class 'x'; use 正常/关注/次级/可疑/损失, normal/special mention/
            substandard/doubtful/loss or 1-5``.
        """
        if isinstance(label, LoanClass):
            return label
        key = _normalise_label(label)
        found = _CLASS_ALIASES.get(key)
        if found is None:
            # Banks' internal ten- or twelve-grade scales refine the five classes: 正常一级,
            # 正常2, 关注三级, 次级(1) ... each belongs to the class its name starts with.
            match = _SUB_GRADE.match(key)
            found = _CLASS_ALIASES.get(match[1]) if match else None
        if found is None:
            raise ValueError(
                f"unknown loan class {label!r}; use 正常/关注/次级/可疑/损失, "
                "normal/special mention/substandard/doubtful/loss or 1-5"
            )
        return found


_SUB_GRADE: Final = re.compile(r"^(正常|关注|次级|可疑|损失)类?\s*[(（]?\s*([一二三四五六1-6])\s*级?\s*[)）]?\s*$")
_CLASS_ALIASES: Final[dict[str, LoanClass]] = {
    **{k: LoanClass.NORMAL for k in ("1", "1.0", "正常", "正常类", "pass", "normal", "standard")},
    **{k: LoanClass.SPECIAL_MENTION for k in (
        "2", "2.0", "关注", "关注类", "special mention", "special-mention", "mention", "watch", "sm",
    )},
    **{k: LoanClass.SUBSTANDARD for k in ("3", "3.0", "次级", "次级类", "substandard", "sub-standard")},
    **{k: LoanClass.DOUBTFUL for k in ("4", "4.0", "可疑", "可疑类", "doubtful")},
    **{k: LoanClass.LOSS for k in ("5", "5.0", "损失", "损失类", "loss")},
}

NPL_CLASSES: Final[frozenset[LoanClass]] = frozenset(
    {LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS}
)
