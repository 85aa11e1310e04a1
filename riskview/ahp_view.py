"""The AHP page without Streamlit: judgments as one row per pair, their evaluation through
riskcore, the tables and figures the page shows, and the judgment file format.

Pure Python (pandas, Plotly), so everything the page shows is unit-tested here.

Representation
--------------
A matrix (:class:`MatrixSpec`) compares the elements of one level: the criteria
(``key = "criteria"``) or the indicators of one criterion (``key`` = the criterion key).
Its pairs are ``(A, B)`` with A before B in the element order, so a matrix of n elements
has n(n-1)/2 rows and never an n × n grid. A :class:`Judgment` of a pair says which side
is more important (``"a"``, ``"b"`` or ``"equal"``) and how much, on Saaty's 1–9 scale;
either may be missing, and a pair is *judged* only when both are given (``"equal"`` needs
no intensity). Its value ``a(A, B)`` is the intensity when A is more important, the
reciprocal when B is, 1 when equal, and missing (NaN in the matrix) when not judged: the
reciprocal matrix comes from :func:`riskcore.weights.ahp.ahp_matrix_from_pairs` and
riskcore completes the missing pairs (minimal λmax) as long as the judgments connect all
elements.

Every expert (:class:`Expert`) holds a judgment for every pair of every matrix, so the
whole set (:class:`JudgmentSet`) round-trips exactly through :func:`to_json` /
:func:`from_json`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from riskcore.indicators import CRITERIA, DEFAULT_INDICATORS, Indicator
from riskcore.system import IndicatorSetting, IndicatorSystem
from riskcore.weights.ahp import (
    RI_TABLES,
    SAATY_SCALE,
    AHPHierarchyResult,
    AHPPanelResult,
    AHPResult,
    AHPRevision,
    ahp_hierarchy,
    ahp_matrix_from_pairs,
    ahp_panel,
    ahp_revision,
    ahp_weights,
)
from riskview.i18n import criterion_label, indicator_label, join_list, t
from riskview.theme import (
    CRITERION_COLORS,
    MUTED_COLOR,
    OTHER_COLOR,
    TEXT_COLOR,
    house_template,
)

__all__ = [
    "CRITERIA_MATRIX",
    "DEFAULT_PRIORITIES",
    "FILE_FORMAT",
    "FILE_VERSION",
    "INTENSITIES",
    "NOT_JUDGED",
    "RI_TABLE_NAMES",
    "SIDES",
    "Evaluation",
    "Expert",
    "Judgment",
    "JudgmentFileError",
    "JudgmentSet",
    "MatrixOutcome",
    "MatrixSpec",
    "PanelAdvice",
    "PanelOutcome",
    "apply_edits",
    "blank_judgments",
    "default_judgment_set",
    "default_priorities",
    "fit_judgments",
    "system_specs",
    "element_label",
    "evaluate",
    "evaluate_matrix",
    "experts_phrase",
    "experts_status_notes",
    "experts_table",
    "file_error_text",
    "format_value",
    "from_json",
    "global_table",
    "hierarchy_failures",
    "hierarchy_failures_text",
    "hierarchy_specs",
    "intensity_label",
    "intensity_options",
    "judgment_sentence",
    "judgments_from_priorities",
    "local_weight_bar",
    "matrix_name",
    "matrix_table",
    "matrix_title",
    "missing_matrices_text",
    "new_expert_name",
    "pair_columns",
    "pairs_frame",
    "pairwise_matrix",
    "panel_advice",
    "panel_advice_text",
    "panel_cr_table",
    "panel_source_lines",
    "panel_weight_chart",
    "panel_weights_table",
    "parse_intensity",
    "parse_side",
    "revision_text",
    "set_judgment",
    "set_matrix",
    "side_label",
    "side_options",
    "to_json",
    "unconnected",
]

Side = Literal["a", "b", "equal"]
Pair = tuple[str, str]

SIDES: Final[tuple[Side, ...]] = ("a", "b", "equal")
INTENSITIES: Final[tuple[int, ...]] = tuple(range(1, 10))
#: Key of the criteria-level matrix; the indicator matrices are keyed by criterion.
CRITERIA_MATRIX: Final = "criteria"
#: The RI tables offered, in riskcore's order (default first).
RI_TABLE_NAMES: Final[tuple[str, ...]] = tuple(RI_TABLES)
FILE_FORMAT: Final = "sme-risk-dashboard/ahp-judgments"
FILE_VERSION: Final = 1
_SAATY: Final = np.array(SAATY_SCALE)
_MISSING_TEXT: Final = "—"

# ============================================================================ MODEL


@dataclass(frozen=True, slots=True)
class Judgment:
    """One row of the pairwise table: which element is more important, and how much.

    ``more`` is ``"a"``, ``"b"``, ``"equal"`` or None; ``intensity`` an integer 1–9 or None.
    """

    more: Side | None = None
    intensity: int | None = None

    def __post_init__(self) -> None:
        if self.more is not None and self.more not in SIDES:
            raise ValueError(f"`more` must be one of {SIDES} or None; got {self.more!r}")
        if self.intensity is not None and (
            isinstance(self.intensity, bool) or not isinstance(self.intensity, int) or not 1 <= self.intensity <= 9
        ):
            raise ValueError(f"`intensity` must be an integer 1..9 or None; got {self.intensity!r}")

    @property
    def value(self) -> float | None:
        """a(A, B) on the Saaty scale, or None when the pair is not judged."""
        if self.more == "equal":
            return 1.0
        if self.more is None or self.intensity is None:
            return None
        if self.intensity == 1:
            return 1.0
        return float(self.intensity) if self.more == "a" else 1.0 / self.intensity

    @property
    def judged(self) -> bool:
        """Whether the row gives a value."""
        return self.value is not None

    @classmethod
    def from_value(cls, value: float) -> Judgment:
        """The judgment whose value is ``value`` (1/9 … 9 on the Saaty scale).

        Raises
        ------
        ValueError
            ``value`` is not (within 0.1 %, riskcore's reciprocity tolerance) one of the 17
            Saaty values, so 0.3333 typed for 1/3 is accepted.
        """
        v = float(value)
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"a Saaty judgment must be a positive number; got {value!r}")
        k = int(np.argmin(np.abs(np.log(_SAATY) - math.log(v))))
        if abs(_SAATY[k] - v) > 1e-3 * v:
            raise ValueError(f"{value!r} is not on the Saaty scale 1/9 … 9")
        s = float(_SAATY[k])
        if s == 1.0:
            return cls("equal", 1)
        return cls("a", round(s)) if s > 1 else cls("b", round(1 / s))


NOT_JUDGED: Final = Judgment()


@dataclass(frozen=True, slots=True)
class MatrixSpec:
    """One pairwise comparison matrix: its key and its elements in display order."""

    key: str
    elements: tuple[str, ...]

    @property
    def pairs(self) -> tuple[Pair, ...]:
        """(A, B) for every pair, A before B in element order: n(n-1)/2 rows."""
        return tuple(combinations(self.elements, 2))

    @property
    def n(self) -> int:
        """Number of elements."""
        return len(self.elements)


@dataclass(frozen=True, slots=True)
class Expert:
    """One expert: a name, a weight in the panel, and a judgment for every pair of every matrix."""

    name: str
    weight: float
    judgments: Mapping[str, Mapping[Pair, Judgment]]


@dataclass(frozen=True, slots=True)
class JudgmentSet:
    """Everything the AHP page edits: the experts and the RI table used for every CR."""

    experts: tuple[Expert, ...]
    ri_table: str = "saaty1980"


def hierarchy_specs(
    criteria: Sequence[str] = CRITERIA, indicators: Sequence[Indicator | IndicatorSetting] = DEFAULT_INDICATORS
) -> tuple[MatrixSpec, ...]:
    """The criteria matrix, then one matrix per criterion over its indicators (system order)."""
    specs = [MatrixSpec(CRITERIA_MATRIX, tuple(criteria))]
    for crit in criteria:
        specs.append(MatrixSpec(crit, tuple(i.key for i in indicators if i.criterion == crit)))
    return tuple(specs)


def blank_judgments(specs: Iterable[MatrixSpec]) -> dict[str, dict[Pair, Judgment]]:
    """Every pair of every matrix not judged."""
    return {s.key: {p: NOT_JUDGED for p in s.pairs} for s in specs}


#: Intended priorities of the default expert: credit behaviour and financial condition
#: first, then guarantees and operations; within each criterion, the indicators a credit
#: officer reads first (debt burden, cash cover, delinquency history, collateral) lead.
DEFAULT_PRIORITIES: Final[Mapping[str, Mapping[str, float]]] = {
    CRITERIA_MATRIX: {
        "financial": 0.26, "operational": 0.10, "market": 0.06, "credit": 0.30,
        "guarantee": 0.14, "compliance": 0.06, "owner": 0.08,
    },
    "financial": {
        "asset_liability_ratio": 0.20, "current_ratio": 0.10, "quick_ratio": 0.08,
        "interest_coverage": 0.18, "roa": 0.10, "net_margin": 0.08, "revenue_growth": 0.06,
        "ocf_to_current_liabilities": 0.20,
    },
    "operational": {"years_in_operation": 0.40, "asset_turnover": 0.20, "customer_concentration": 0.40},
    "market": {"industry_npl_ratio": 1.0},
    "credit": {
        "max_dpd_12m": 0.36, "overdue_episodes_12m": 0.24, "owner_credit_overdues": 0.20,
        "tax_credit_score": 0.12, "relationship_years": 0.08,
    },
    "guarantee": {"guarantee_score": 0.30, "collateral_coverage": 0.50, "external_guarantee_ratio": 0.20},
    "compliance": {"litigation_count": 0.60, "admin_penalties": 0.40},
    "owner": {"owner_experience_years": 1.0},
}


def judgments_from_priorities(spec: MatrixSpec, priorities: Mapping[str, float]) -> dict[Pair, Judgment]:
    """Judgments a(A, B) = w_A / w_B rounded (in log scale) to the nearest Saaty value.

    Rounding keeps the judgments close to consistent (small CR) while using only the
    values an expert would choose.
    """
    out = {}
    for a, b in spec.pairs:
        ratio = priorities[a] / priorities[b]
        k = int(np.argmin(np.abs(np.log(_SAATY) - math.log(ratio))))
        out[(a, b)] = Judgment.from_value(float(_SAATY[k]))
    return out


def default_priorities(spec: MatrixSpec) -> dict[str, float]:
    """:data:`DEFAULT_PRIORITIES` of a matrix's elements; an element it does not know (a
    formula indicator, a new criterion) gets the mean priority of the known ones, so its
    default judgments say "about as important as the others"."""
    known = DEFAULT_PRIORITIES.get(spec.key, {})
    present = [known[e] for e in spec.elements if e in known]
    fill = float(np.mean(present)) if present else 1.0
    return {e: known.get(e, fill) for e in spec.elements}


def default_judgment_set(specs: Sequence[MatrixSpec], lang: str | None) -> JudgmentSet:
    """One expert ("专家 1" / "Expert 1") with the judgments of :data:`DEFAULT_PRIORITIES`."""
    judgments = {s.key: judgments_from_priorities(s, default_priorities(s)) for s in specs}
    return JudgmentSet((Expert(t("ahp.default_expert", lang, n=1), 1.0, judgments),), RI_TABLE_NAMES[0])


def system_specs(system: IndicatorSystem) -> tuple[MatrixSpec, ...]:
    """The hierarchy of an indicator system: its criteria that have an indicator switched
    on, and each one's indicators switched on, in system order."""
    enabled = system.enabled
    criteria = [c for c in system.criteria if any(s.criterion == c for s in enabled)]
    return hierarchy_specs(criteria, enabled)


def fit_judgments(js: JudgmentSet, specs: Sequence[MatrixSpec]) -> JudgmentSet:
    """Every expert's judgments fitted to another hierarchy (the indicator system changed):
    a pair judged before keeps its judgment, whichever element now comes first; a pair
    that is new gets the default judgment (:func:`default_priorities`); pairs of elements
    no longer in a matrix are dropped."""
    experts = []
    for expert in js.experts:
        judgments: dict[str, dict[Pair, Judgment]] = {}
        for spec in specs:
            before = expert.judgments.get(spec.key, {})
            defaults = judgments_from_priorities(spec, default_priorities(spec))
            fitted: dict[Pair, Judgment] = {}
            for a, b in spec.pairs:
                if (a, b) in before:
                    fitted[(a, b)] = before[(a, b)]
                elif (b, a) in before:
                    old = before[(b, a)]
                    side: Side | None = "b" if old.more == "a" else "a" if old.more == "b" else old.more
                    fitted[(a, b)] = Judgment(side, old.intensity)
                else:
                    fitted[(a, b)] = defaults[(a, b)]
            judgments[spec.key] = fitted
        experts.append(Expert(expert.name, expert.weight, judgments))
    return JudgmentSet(tuple(experts), js.ri_table)


def new_expert_name(existing: Iterable[str], lang: str | None) -> str:
    """The first "专家 k" / "Expert k" not yet used."""
    taken = set(existing)
    k = 1
    while t("ahp.default_expert", lang, n=k) in taken:
        k += 1
    return t("ahp.default_expert", lang, n=k)


def set_judgment(js: JudgmentSet, expert: int, matrix: str, pair: Pair, judgment: Judgment) -> JudgmentSet:
    """A copy of ``js`` with one judgment of one expert replaced."""
    ex = js.experts[expert]
    judgments = {k: dict(v) for k, v in ex.judgments.items()}
    if pair not in judgments.get(matrix, {}):
        raise KeyError(f"matrix {matrix!r} has no pair {pair!r}")
    judgments[matrix][pair] = judgment
    experts = list(js.experts)
    experts[expert] = replace(ex, judgments=judgments)
    return replace(js, experts=tuple(experts))


def set_matrix(js: JudgmentSet, expert: int, matrix: str, judgments: Mapping[Pair, Judgment]) -> JudgmentSet:
    """A copy of ``js`` with all judgments of one matrix of one expert replaced."""
    ex = js.experts[expert]
    new = {k: dict(v) for k, v in ex.judgments.items()}
    if set(judgments) != set(new[matrix]):
        raise ValueError(f"judgments for {matrix!r} must cover exactly its pairs")
    new[matrix] = dict(judgments)
    experts = list(js.experts)
    experts[expert] = replace(ex, judgments=new)
    return replace(js, experts=tuple(experts))


# ============================================================================ EVALUATION


@dataclass(frozen=True, slots=True)
class MatrixOutcome:
    """One expert's matrix: the reciprocal matrix built from the rows (NaN = not judged)
    and riskcore's result, or the elements left unconnected when it cannot be computed."""

    spec: MatrixSpec
    matrix: pd.DataFrame
    result: AHPResult | None
    unconnected: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PanelOutcome:
    """The panel of one matrix: which experts were aggregated (AIJ) and riskcore's result."""

    spec: MatrixSpec
    included: tuple[str, ...]
    excluded: tuple[str, ...]
    panel: AHPPanelResult | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every number the page shows, computed by riskcore from one :class:`JudgmentSet`.

    ``source`` says where the global weights come from: the only expert's own matrices, or
    the panel's aggregate matrices (more than one expert). ``blocking`` lists the matrices
    whose judgments do not yet allow global weights (``hierarchy`` is then None).
    """

    specs: tuple[MatrixSpec, ...]
    experts: tuple[Mapping[str, MatrixOutcome], ...]
    panels: Mapping[str, PanelOutcome]
    hierarchy: AHPHierarchyResult | None
    source: Literal["expert", "panel"]
    blocking: tuple[str, ...] = field(default=())

    def spec(self, key: str) -> MatrixSpec:
        """The matrix with this key."""
        return next(s for s in self.specs if s.key == key)

    def matrix_for_hierarchy(self, key: str) -> pd.DataFrame | None:
        """The matrix of ``key`` that feeds the global weights (expert's or aggregate)."""
        if self.source == "expert":
            return self.experts[0][key].matrix if self.experts[0][key].result is not None else None
        outcome = self.panels[key]
        return outcome.panel.aggregate_matrix if outcome.panel is not None else None


@dataclass(frozen=True, slots=True)
class PanelAdvice:
    """The expert whose judgments contribute most to an inconsistent panel aggregate.

    ``expert`` is the index in the judgment set; ``panel_cr`` the aggregate's CR;
    ``cr_without`` the aggregate's CR with this expert left out (None when the expert is the
    only one aggregated); ``own_cr`` the expert's own CR and ``revision`` riskcore's
    "revise first" suggestion for the expert's own matrix (None when it is consistent).
    """

    expert: int
    name: str
    panel_cr: float
    cr_without: float | None
    own_cr: float
    revision: AHPRevision | None


def pairwise_matrix(spec: MatrixSpec, judgments: Mapping[Pair, Judgment]) -> pd.DataFrame:
    """The reciprocal matrix of the judged rows (riskcore's ``ahp_matrix_from_pairs``)."""
    rows = []
    for pair in spec.pairs:
        value = judgments.get(pair, NOT_JUDGED).value
        if value is not None:
            rows.append((pair[0], pair[1], value))
    return ahp_matrix_from_pairs(spec.elements, rows)


def unconnected(spec: MatrixSpec, judgments: Mapping[Pair, Judgment]) -> tuple[str, ...]:
    """Elements that the judged pairs do not link to the first element (empty = computable)."""
    if spec.n <= 1:
        return ()
    parent = {e: e for e in spec.elements}

    def root(e: str) -> str:
        while parent[e] != e:
            parent[e] = parent[parent[e]]
            e = parent[e]
        return e

    for pair in spec.pairs:
        if judgments.get(pair, NOT_JUDGED).judged:
            parent[root(pair[0])] = root(pair[1])
    first = root(spec.elements[0])
    return tuple(e for e in spec.elements if root(e) != first)


def evaluate_matrix(spec: MatrixSpec, judgments: Mapping[Pair, Judgment], ri_table: str) -> MatrixOutcome:
    """riskcore's AHP result for one matrix of one expert."""
    matrix = pairwise_matrix(spec, judgments)
    lonely = unconnected(spec, judgments)
    if lonely:
        return MatrixOutcome(spec, matrix, None, lonely)
    result = ahp_weights(matrix, ri_table=ri_table)
    assert isinstance(result, AHPResult)
    return MatrixOutcome(spec, matrix, result)


def evaluate(js: JudgmentSet, specs: Sequence[MatrixSpec]) -> Evaluation:
    """Each expert's matrices, the panel per matrix (more than one expert) and the hierarchy.

    The panel of a matrix aggregates (weighted geometric mean, riskcore's ``ahp_panel``)
    the experts whose judgments of that matrix connect all its elements and whose weight
    is positive; the others are listed as excluded. Global weights come from riskcore's
    ``ahp_hierarchy`` over the only expert's matrices, or over the panel's aggregate
    matrices when there is more than one expert.
    """
    if not js.experts:
        raise ValueError("a judgment set needs at least one expert")
    experts = tuple(
        {s.key: evaluate_matrix(s, ex.judgments[s.key], js.ri_table) for s in specs} for ex in js.experts
    )
    panels: dict[str, PanelOutcome] = {}
    source: Literal["expert", "panel"] = "expert" if len(js.experts) == 1 else "panel"
    if source == "panel":
        for s in specs:
            members = [
                (ex.name, ex.weight, out[s.key].matrix)
                for ex, out in zip(js.experts, experts, strict=True)
                if out[s.key].result is not None and ex.weight > 0
            ]
            names = tuple(m[0] for m in members)
            excluded = tuple(ex.name for ex in js.experts if ex.name not in names)
            panel = None
            if members:
                panel = ahp_panel({m[0]: m[2] for m in members}, {m[0]: m[1] for m in members},
                                  ri_table=js.ri_table)
            panels[s.key] = PanelOutcome(s, names, excluded, panel)
    evaluation = Evaluation(tuple(specs), experts, panels, None, source)
    top, *children = specs
    matrices = {s.key: evaluation.matrix_for_hierarchy(s.key) for s in specs}
    blocking = tuple(k for k, m in matrices.items() if m is None)
    if blocking:
        return replace(evaluation, blocking=blocking)
    hierarchy = ahp_hierarchy(
        matrices[top.key], {c.key: matrices[c.key] for c in children}, ri_table=js.ri_table
    )
    return replace(evaluation, hierarchy=hierarchy)


def panel_advice(js: JudgmentSet, evaluation: Evaluation, key: str) -> PanelAdvice | None:
    """Who to ask first when the panel aggregate of matrix ``key`` fails (CR > 0.10).

    The expert whose removal from the panel lowers the aggregate's CR most (riskcore's
    ``ahp_panel`` over the others, same expert weights and RI table); ties go to the larger
    own CR. With one expert aggregated, that expert. None when there is no panel, or its
    aggregate is consistent.
    """
    outcome = evaluation.panels.get(key)
    if outcome is None or outcome.panel is None or outcome.panel.aggregate.consistent:
        return None
    index = {ex.name: i for i, ex in enumerate(js.experts)}
    candidates = []
    for name in outcome.included:
        rest = [n for n in outcome.included if n != name]
        without = None
        if rest:
            without = ahp_panel(
                {n: evaluation.experts[index[n]][key].matrix for n in rest},
                {n: js.experts[index[n]].weight for n in rest}, ri_table=js.ri_table,
            ).aggregate.cr
        own = outcome.panel.experts[name]
        candidates.append((math.inf if without is None else without, -own.cr, index[name], without, own))
    _, _, i, without, own = min(candidates, key=lambda c: (c[0], c[1], c[2]))
    revision = None if own.consistent else ahp_revision(evaluation.experts[i][key].matrix, ri_table=js.ri_table)
    return PanelAdvice(i, js.experts[i].name, float(outcome.panel.aggregate.cr),
                       None if without is None else float(without), float(own.cr), revision)


def hierarchy_failures(hierarchy: AHPHierarchyResult) -> tuple[str, ...]:
    """Keys of the matrices behind the global weights whose CR > 0.10 (criteria first)."""
    failing = [CRITERIA_MATRIX] if not hierarchy.criteria.consistent else []
    failing += [str(k) for k, r in hierarchy.children.items() if not r.consistent]
    return tuple(failing)


# ============================================================================ LABELS


def side_label(side: Side | None, lang: str | None) -> str:
    """"A 更重要" / "A is more important", … for the selectbox of the pairwise table;
    "— 未选择" / "— not chosen" for None (the table never holds an empty cell)."""
    return t("ahp.more.none" if side is None else f"ahp.more.{side}", lang)


def side_options(lang: str | None) -> list[str]:
    """The options of the "which is more important" column, "not chosen" last."""
    return [side_label(s, lang) for s in (*SIDES, None)]


def intensity_label(k: int | None, lang: str | None) -> str:
    """"5 · 明显重要" / "5 · strong"; "— 未判断" / "— not judged" for None."""
    return t("ahp.intensity.none", lang) if k is None else t(f"ahp.intensity.{k}", lang)


def intensity_options(lang: str | None) -> list[str]:
    """The options of the intensity column: 1–9 with words, then "not judged"."""
    return [intensity_label(k, lang) for k in INTENSITIES] + [intensity_label(None, lang)]


def parse_side(label: object, lang: str | None) -> Side | None:
    """The side of a selectbox label (either language); None for an empty cell.

    Raises
    ------
    ValueError
        A label that is none of the options.
    """
    if label is None or (isinstance(label, float) and math.isnan(label)) or label == "":
        return None
    for candidate in (lang, "zh", "en"):
        for side in (*SIDES, None):
            if label == side_label(side, candidate):
                return side
    raise ValueError(f"unknown choice {label!r}")


def parse_intensity(label: object, lang: str | None) -> int | None:
    """The intensity of a selectbox label (either language); None for "not judged" or empty.

    Raises
    ------
    ValueError
        A label that is none of the options.
    """
    if label is None or (isinstance(label, float) and math.isnan(label)) or label == "":
        return None
    for candidate in (lang, "zh", "en"):
        for k in (*INTENSITIES, None):
            if label == intensity_label(k, candidate):
                return k
    raise ValueError(f"unknown intensity {label!r}")


def element_label(matrix: str, element: str, lang: str | None) -> str:
    """A criterion's label in the criteria matrix, an indicator's label otherwise."""
    return criterion_label(element, lang) if matrix == CRITERIA_MATRIX else indicator_label(element, lang)


def matrix_title(spec: MatrixSpec, lang: str | None) -> str:
    """"准则层：7 项准则" or "指标层 · 财务风险：8 项指标" (selector and headings)."""
    if spec.key == CRITERIA_MATRIX:
        return t("ahp.matrix.criteria", lang, n=spec.n)
    return t("ahp.matrix.criterion", lang, name=criterion_label(spec.key, lang), n=spec.n)


def matrix_name(key: str, lang: str | None) -> str:
    """Short name of a matrix: "准则层" or the criterion's label."""
    return t("ahp.matrix.criteria_short", lang) if key == CRITERIA_MATRIX else criterion_label(key, lang)


def format_value(value: float | None) -> str:
    """A judgment as users read it: ``5``, ``1/5``, ``1``; other values with 2 decimals;
    ``—`` when missing."""
    if value is None or not math.isfinite(value):
        return _MISSING_TEXT
    for s in SAATY_SCALE:
        if abs(s - value) <= 1e-9 * s:
            return f"{round(s)}" if s >= 1 else f"1/{round(1 / s)}"
    return f"{value:.2f}"


def judgment_sentence(a: str, b: str, value: float, lang: str | None) -> str:
    """A judgment in words: "「信用风险」比「财务风险」明显重要（5）"."""
    j = Judgment.from_value(value)
    if j.value == 1.0:
        return t("ahp.sentence.equal", lang, a=a, b=b)
    more, less = (a, b) if j.more == "a" else (b, a)
    return t("ahp.sentence", lang, a=more, b=less, word=t(f"ahp.word.{j.intensity}", lang), k=j.intensity)


def revision_text(revision: AHPRevision, matrix: str, lang: str | None) -> str:
    """The judgment to revise first, its current and suggested values in words, and the CR gain."""
    a = element_label(matrix, str(revision.row), lang)
    b = element_label(matrix, str(revision.column), lang)
    current = Judgment.from_value(revision.current).value if _on_scale(revision.current) else None
    now = judgment_sentence(a, b, revision.current, lang) if current is not None else format_value(revision.current)
    return t(
        "ahp.revision", lang, a=a, b=b, current=now,
        suggested=judgment_sentence(a, b, revision.suggested_scale, lang),
        before=f"{revision.cr_before:.4f}", after=f"{revision.cr_after_scale:.4f}",
    )


def _on_scale(value: float) -> bool:
    try:
        Judgment.from_value(value)
    except ValueError:
        return False
    return True


def file_error_text(error: JudgmentFileError, file: str, lang: str | None) -> str:
    """The message shown when a judgment file cannot be loaded."""
    return t("ahp.file_error", lang, file=file, reason=t(f"ahp.err.{error.code}", lang, **error.params))


# ============================================================================ TABLES

#: Columns of the pairwise table, with the message id of each header.
_PAIR_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("a", "ahp.col.a"), ("b", "ahp.col.b"), ("more", "ahp.col.more"),
    ("intensity", "ahp.col.intensity"), ("value", "ahp.col.value"),
)


def pair_columns(lang: str | None) -> dict[str, str]:
    """Column code → header of the pairwise table (a, b, more, intensity, value)."""
    return {code: t(message, lang) for code, message in _PAIR_COLUMNS}


def pairs_frame(spec: MatrixSpec, judgments: Mapping[Pair, Judgment], lang: str | None) -> pd.DataFrame:
    """The editable table: one row per pair (A, B), A before B in element order.

    Columns: element A, element B, which is more important (a selectbox label, "not
    chosen" when missing), intensity (a selectbox label, "not judged" when missing) and
    the resulting value a(A, B) as text (``5``, ``1/5``, ``—``). No cell is empty.
    """
    cols = pair_columns(lang)
    rows = []
    for a, b in spec.pairs:
        j = judgments.get((a, b), NOT_JUDGED)
        rows.append({
            cols["a"]: element_label(spec.key, a, lang),
            cols["b"]: element_label(spec.key, b, lang),
            cols["more"]: side_label(j.more, lang),
            cols["intensity"]: intensity_label(j.intensity, lang),
            cols["value"]: format_value(j.value),
        })
    return pd.DataFrame(rows, columns=list(cols.values()))


def apply_edits(
    spec: MatrixSpec,
    judgments: Mapping[Pair, Judgment],
    edited_rows: Mapping[Any, Mapping[str, Any]],
    lang: str | None,
) -> dict[Pair, Judgment]:
    """Apply a data editor's ``edited_rows`` (row position → {header: new label}) to the judgments.

    Within a row the side is applied before the intensity, and each keeps the row
    coherent: choosing "equal" sets the intensity to 1; choosing A or B when the intensity
    is 1 clears the intensity (how much more important is still to be chosen); choosing
    intensity 1 means equal; choosing "not judged" clears the side; choosing an intensity
    above 1 when the side is "equal" clears the side. Unknown columns (the read-only ones)
    and labels that are not options are ignored.
    """
    cols = pair_columns(lang)
    out = {p: judgments.get(p, NOT_JUDGED) for p in spec.pairs}
    for raw_row, edit in edited_rows.items():
        try:
            row = int(raw_row)
        except (TypeError, ValueError):
            continue
        if not 0 <= row < len(spec.pairs):
            continue
        pair = spec.pairs[row]
        more, k = out[pair].more, out[pair].intensity
        if cols["more"] in edit:
            try:
                more = parse_side(edit[cols["more"]], lang)
            except ValueError:
                pass
            else:
                if more == "equal":
                    k = 1
                elif more is not None and k == 1:
                    k = None
        if cols["intensity"] in edit:
            try:
                k = parse_intensity(edit[cols["intensity"]], lang)
            except ValueError:
                pass
            else:
                if k == 1:
                    more = "equal"
                elif k is None or more == "equal":
                    more = None
        out[pair] = Judgment(more, k)
    return out


def matrix_table(outcome: MatrixOutcome, lang: str | None) -> pd.DataFrame:
    """The reciprocal matrix as text (row element over column element), plus the weights.

    Judged values read ``5`` or ``1/5``; values riskcore completed for pairs not judged
    carry a ``*``; when the matrix cannot be computed the missing values read ``—`` and
    there is no weight column.
    """
    spec = outcome.spec
    labels = [element_label(spec.key, e, lang) for e in spec.elements]
    source = outcome.result.matrix if outcome.result is not None else outcome.matrix
    filled = set()
    if outcome.result is not None:
        filled = {frozenset(p) for p in outcome.result.filled}
    body: dict[str, list[Any]] = {t("ahp.col.element", lang): labels}
    for j, col in enumerate(spec.elements):
        cells = []
        for i, row in enumerate(spec.elements):
            value = float(source.iloc[i, j])
            text = format_value(value)
            if frozenset((row, col)) in filled and i != j:
                text = f"{value:.2f}*"
            cells.append(text)
        body[labels[j]] = cells
    frame = pd.DataFrame(body)
    if outcome.result is not None:
        frame[t("ahp.col.weight", lang)] = outcome.result.weights.to_numpy(dtype="float64")
    return frame


def _cr_cell(outcome: MatrixOutcome, lang: str | None) -> str:
    if outcome.result is None:
        return t("ahp.cell.incomplete", lang)
    mark = "✓" if outcome.result.consistent else "✗"
    return f"{outcome.result.cr:.4f} {mark}"


def experts_table(js: JudgmentSet, evaluation: Evaluation, lang: str | None) -> pd.DataFrame:
    """One row per expert: weight share, CR of every matrix of 3 or more elements
    (``0.0345 ✓``, ``0.1520 ✗`` or "not enough judgments") and an overall status."""
    total = sum(ex.weight for ex in js.experts)
    checked = [s for s in evaluation.specs if s.n >= 3]
    rows = []
    for ex, outcomes in zip(js.experts, evaluation.experts, strict=True):
        row: dict[str, Any] = {
            t("ahp.col.expert", lang): ex.name,
            t("ahp.col.weight_share", lang): ex.weight / total if total > 0 else 0.0,
        }
        for s in checked:
            row[matrix_name(s.key, lang)] = _cr_cell(outcomes[s.key], lang)
        incomplete = sum(outcomes[s.key].result is None for s in evaluation.specs)
        failing = sum(
            1 for s in evaluation.specs if (r := outcomes[s.key].result) is not None and not r.consistent
        )
        if incomplete:
            status = t("ahp.status.incomplete", lang, n=incomplete)
        elif failing:
            status = t("ahp.status.fail", lang, n=failing)
        else:
            status = t("ahp.status.pass", lang)
        row[t("ahp.col.status", lang)] = status
        rows.append(row)
    return pd.DataFrame(rows)


def experts_status_notes(js: JudgmentSet, evaluation: Evaluation, lang: str | None) -> list[str]:
    """One line per expert with matrices lacking judgments or failing the check, naming
    them (the table's status column only counts them)."""
    lines = []
    for ex, outcomes in zip(js.experts, evaluation.experts, strict=True):
        lacking = [s.key for s in evaluation.specs if outcomes[s.key].result is None]
        failing = [s.key for s in evaluation.specs
                   if (r := outcomes[s.key].result) is not None and not r.consistent]
        parts = []
        if lacking:
            parts.append(t("ahp.status_detail.incomplete", lang, matrices=missing_matrices_text(lacking, lang)))
        if failing:
            parts.append(t("ahp.status_detail.fail", lang, matrices=missing_matrices_text(failing, lang)))
        if parts:
            lines.append(t("ahp.status_detail", lang, name=ex.name, details=t("ahp.list_sep", lang).join(parts)))
    return lines


def experts_phrase(names: Sequence[str], lang: str | None) -> str:
    """"3 位专家（张三、李四、王五）", "1 expert (Li)"; "none" when empty."""
    if not names:
        return t("ahp.source.none", lang)
    key = "ahp.source.expert_one" if len(names) == 1 else "ahp.source.experts"
    return t(key, lang, n=len(names), names=join_list(names, lang))


def panel_source_lines(evaluation: Evaluation, lang: str | None) -> list[str]:
    """Per level, whose judgments the panel aggregated: "准则层：3 位专家（…）",
    "指标层：1 位专家（李四）". Indicator matrices aggregated from different experts are
    listed by group ("指标层 · 财务风险、经营风险：…"); matrices of one element need no
    judgment and are left out."""
    if evaluation.source != "panel":
        return []
    lines = [t("ahp.source.criteria", lang, experts=experts_phrase(evaluation.panels[CRITERIA_MATRIX].included, lang))]
    groups: dict[tuple[str, ...], list[str]] = {}
    for spec in evaluation.specs:
        if spec.key != CRITERIA_MATRIX and spec.n > 1:
            groups.setdefault(evaluation.panels[spec.key].included, []).append(spec.key)
    if len(groups) == 1:
        (names,) = groups
        lines.append(t("ahp.source.indicators", lang, experts=experts_phrase(names, lang)))
    else:
        for names, keys in groups.items():
            lines.append(t("ahp.source.indicators_of", lang, experts=experts_phrase(names, lang),
                           matrices=join_list((criterion_label(k, lang) for k in keys), lang)))
    return lines


def panel_advice_text(advice: PanelAdvice, matrix: str, lang: str | None) -> str:
    """The advice shown under a failing panel aggregate: who contributes most, and what to
    revise first (the expert's own suggestion) or, when the expert is consistent, to compare."""
    cr, own = f"{advice.panel_cr:.4f}", f"{advice.own_cr:.4f}"
    if advice.cr_without is None:
        head = t("ahp.panel_advice.only", lang, cr=cr, name=advice.name, own=own)
    else:
        head = t("ahp.panel_advice.culprit", lang, cr=cr, name=advice.name, own=own,
                 without=f"{advice.cr_without:.4f}")
    if advice.revision is not None:
        tail = t("ahp.panel_advice.revise", lang, name=advice.name,
                 revision=revision_text(advice.revision, matrix, lang))
    else:
        tail = t("ahp.panel_advice.disagree", lang, name=advice.name)
    return f"{head} {tail}"


def hierarchy_failures_text(hierarchy: AHPHierarchyResult, lang: str | None) -> str:
    """"准则层、信用风险" for the failing matrices, or the total CR when only it fails."""
    failing = hierarchy_failures(hierarchy)
    return missing_matrices_text(failing, lang) if failing else t("ahp.total_cr", lang)


def panel_weights_table(outcome: PanelOutcome, lang: str | None) -> pd.DataFrame:
    """Elements × (each aggregated expert's weights, then the panel's), as floats."""
    spec = outcome.spec
    frame = pd.DataFrame({t("ahp.col.element", lang): [element_label(spec.key, e, lang) for e in spec.elements]})
    if outcome.panel is None:
        return frame
    for name in outcome.included:
        frame[name] = outcome.panel.experts[name].weights.reindex(list(spec.elements)).to_numpy(dtype="float64")
    frame[t("ahp.col.panel", lang)] = outcome.panel.aggregate.weights.reindex(list(spec.elements)).to_numpy(
        dtype="float64")
    return frame


def panel_cr_table(js: JudgmentSet, evaluation: Evaluation, key: str, lang: str | None) -> pd.DataFrame:
    """One row per expert for one matrix (weight share in the panel, λmax, CR, status),
    then the panel's aggregate matrix."""
    outcome = evaluation.panels[key]
    shares = outcome.panel.expert_weights if outcome.panel is not None else pd.Series(dtype="float64")
    cols = [t("ahp.col.expert", lang), t("ahp.col.weight_share", lang), t("ahp.lambda_max", lang),
            t("ahp.cr", lang), t("ahp.col.status", lang)]
    rows = []
    for ex, outs in zip(js.experts, evaluation.experts, strict=True):
        res = outs[key].result
        if res is None:
            status = t("ahp.cell.incomplete", lang)
        elif ex.weight <= 0:
            status = t("ahp.status.zero_weight", lang)
        else:
            status = t("ahp.badge.pass_short" if res.consistent else "ahp.badge.fail_short", lang)
        rows.append([
            ex.name, float(shares.get(ex.name, 0.0)),
            f"{res.lambda_max:.4f}" if res else _MISSING_TEXT,
            f"{res.cr:.4f}" if res else _MISSING_TEXT, status,
        ])
    if outcome.panel is not None:
        agg = outcome.panel.aggregate
        rows.append([
            t("ahp.col.panel", lang), 1.0, f"{agg.lambda_max:.4f}", f"{agg.cr:.4f}",
            t("ahp.badge.pass_short" if agg.consistent else "ahp.badge.fail_short", lang),
        ])
    return pd.DataFrame(rows, columns=cols)


def global_table(hierarchy: AHPHierarchyResult, lang: str | None) -> pd.DataFrame:
    """Criterion, criterion weight, indicator, local weight, global weight (system order)."""
    tab = hierarchy.table
    return pd.DataFrame({
        t("ahp.col.criterion", lang): [criterion_label(str(c), lang) for c in tab["criterion"]],
        t("ahp.col.criterion_weight", lang): tab["criterion_weight"].to_numpy(dtype="float64"),
        t("ahp.col.indicator", lang): [indicator_label(str(i), lang) for i in tab["indicator"]],
        t("ahp.col.local_weight", lang): tab["local_weight"].to_numpy(dtype="float64"),
        t("ahp.col.global_weight", lang): tab["global_weight"].to_numpy(dtype="float64"),
    })


def missing_matrices_text(keys: Iterable[str], lang: str | None) -> str:
    """"准则层、财务风险" from matrix keys."""
    return join_list((matrix_name(k, lang) for k in keys), lang)


# ============================================================================ FIGURES


def _element_colors(spec: MatrixSpec) -> list[str]:
    if spec.key == CRITERIA_MATRIX:
        return [CRITERION_COLORS.get(e, OTHER_COLOR) for e in spec.elements]
    return [CRITERION_COLORS.get(spec.key, OTHER_COLOR)] * spec.n


def local_weight_bar(spec: MatrixSpec, weights: pd.Series, lang: str, *, title: str) -> go.Figure:
    """Horizontal bars of one matrix's weights, largest on top, in the criterion's colours."""
    w = weights.reindex(list(spec.elements)).astype("float64")
    order = w.sort_values(ascending=False, kind="stable").index
    colors = dict(zip(spec.elements, _element_colors(spec), strict=True))
    labels = [element_label(spec.key, str(e), lang) for e in order]
    fig = go.Figure()
    fig.add_bar(
        orientation="h", x=w[order].tolist(), y=labels, marker_color=[colors[e] for e in order],
        text=[f"{v:.1%}" for v in w[order]], textposition="outside", cliponaxis=False,
        customdata=[str(e) for e in order],
        hovertemplate="%{y}<br>" + t("ahp.chart.weight", lang) + ": %{x:.2%}<extra>%{customdata}</extra>",
        showlegend=False,
    )
    top = float(w.max()) if len(w) else 1.0
    fig.update_layout(
        template=house_template(), title={"text": title}, height=max(260, 36 * spec.n + 130),
        margin={"t": 60},
        xaxis={"title": {"text": t("ahp.chart.weight", lang)}, "tickformat": ".0%", "showgrid": True,
               "range": [0, top * 1.2 if top > 0 else 1]},
        yaxis={"categoryorder": "array", "categoryarray": labels[::-1], "ticks": "", "title": {"text": ""}},
    )
    return fig


def panel_weight_chart(outcome: PanelOutcome, lang: str, *, title: str, subtitle: str | None = None) -> go.Figure:
    """The panel's aggregate weights as bars with each aggregated expert's weight as a marker
    (hollow, one symbol per expert), largest aggregate weight on top. ``subtitle`` goes on a
    second, smaller title line (a short title is not clipped in a half-width column)."""
    spec = outcome.spec
    fig = go.Figure()
    if outcome.panel is None:
        return fig
    agg = outcome.panel.aggregate.weights.reindex(list(spec.elements)).astype("float64")
    order = list(agg.sort_values(ascending=False, kind="stable").index)
    labels = [element_label(spec.key, str(e), lang) for e in order]
    fig.add_bar(
        orientation="h", x=agg[order].tolist(), y=labels, name=t("ahp.col.panel", lang),
        marker={"color": CRITERION_COLORS.get(spec.key, CRITERION_COLORS["financial"]), "opacity": 0.55},
        # No value labels: the experts' markers would sit on them; the table beside the chart
        # gives the exact weights and the hover text each value.
        hovertemplate="%{y}: %{x:.2%}<extra>%{fullData.name}</extra>",
    )
    symbols = ("circle-open", "diamond-open", "square-open", "triangle-up-open", "x-thin-open", "star-open")
    for k, name in enumerate(outcome.included):
        w = outcome.panel.experts[name].weights.reindex(order).astype("float64")
        fig.add_scatter(
            x=w.tolist(), y=labels, mode="markers", name=name,
            marker={"symbol": symbols[k % len(symbols)], "size": 11, "color": TEXT_COLOR, "line": {"width": 1.6}},
            hovertemplate="%{y}: %{x:.2%}<extra>%{fullData.name}</extra>",
        )
    top = max(float(agg.max()), *(float(outcome.panel.experts[n].weights.max()) for n in outcome.included))
    fig.update_layout(
        template=house_template(), title={"text": title if not subtitle else f"{title}<br><sup>{subtitle}</sup>"},
        height=max(300, 40 * spec.n + 170), margin={"t": 80 if subtitle else 60, "b": 90},
        xaxis={"title": {"text": t("ahp.chart.weight", lang)}, "tickformat": ".0%", "showgrid": True,
               "range": [0, top * 1.2 if top > 0 else 1]},
        yaxis={"categoryorder": "array", "categoryarray": labels[::-1], "ticks": "", "title": {"text": ""}},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top",
                "font": {"color": MUTED_COLOR}},
    )
    return fig


# ============================================================================ FILE FORMAT


class JudgmentFileError(ValueError):
    """A judgment file that cannot be loaded: ``code`` names the problem (catalogue
    ``ahp.err.<code>``), ``params`` fill its placeholders."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


def to_json(js: JudgmentSet, specs: Sequence[MatrixSpec], *, saved_at: str | None = None) -> str:
    """The whole judgment set as JSON text (UTF-8, Chinese kept readable).

    Every pair of every matrix is written as ``{"a", "b", "more", "intensity"}``, with
    ``null`` for what is not judged; :func:`from_json` reads it back exactly.
    """
    doc: dict[str, Any] = {"format": FILE_FORMAT, "version": FILE_VERSION}
    if saved_at is not None:
        doc["saved_at"] = saved_at
    doc["ri_table"] = js.ri_table
    doc["experts"] = [
        {
            "name": ex.name,
            "weight": float(ex.weight),
            "matrices": {
                s.key: [
                    {"a": a, "b": b, "more": j.more, "intensity": j.intensity}
                    for (a, b), j in ((p, ex.judgments[s.key].get(p, NOT_JUDGED)) for p in s.pairs)
                ]
                for s in specs
            },
        }
        for ex in js.experts
    ]
    return json.dumps(doc, ensure_ascii=False, indent=2)


def from_json(data: bytes | str, specs: Sequence[MatrixSpec]) -> JudgmentSet:
    """Read a judgment file written by :func:`to_json`.

    A pair may be given as (B, A) (its side is then swapped); pairs or matrices left out
    are not judged; unknown top-level keys (``saved_at``) are ignored.

    Raises
    ------
    JudgmentFileError
        ``not_text``, ``not_json`` (line, column), ``wrong_format``, ``bad_ri`` (name),
        ``no_experts``, ``structure`` (where), ``bad_name`` (where), ``duplicate_expert``
        (name), ``bad_weight`` (name), ``unknown_matrix`` (name), ``unknown_element``
        (matrix, name), ``same_element`` (matrix, name), ``duplicate_pair`` (matrix, a, b),
        ``bad_judgment`` (where).
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JudgmentFileError("not_text") from None
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise JudgmentFileError("not_json", line=exc.lineno, column=exc.colno) from None
    if not isinstance(doc, dict) or doc.get("format") != FILE_FORMAT or doc.get("version") != FILE_VERSION:
        raise JudgmentFileError("wrong_format")
    ri_table = doc.get("ri_table", RI_TABLE_NAMES[0])
    if not isinstance(ri_table, str) or ri_table not in RI_TABLES:
        raise JudgmentFileError("bad_ri", name=str(ri_table))
    raw_experts = doc.get("experts")
    if not isinstance(raw_experts, list):
        raise JudgmentFileError("structure", where="experts")
    if not raw_experts:
        raise JudgmentFileError("no_experts")
    by_key = {s.key: s for s in specs}
    experts = []
    seen: set[str] = set()
    for e, raw in enumerate(raw_experts):
        where = f"experts[{e}]"
        if not isinstance(raw, dict):
            raise JudgmentFileError("structure", where=where)
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise JudgmentFileError("bad_name", where=f"{where}.name")
        if name in seen:
            raise JudgmentFileError("duplicate_expert", name=name)
        seen.add(name)
        weight = raw.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) \
                or weight < 0:
            raise JudgmentFileError("bad_weight", name=name)
        matrices = raw.get("matrices", {})
        if not isinstance(matrices, dict):
            raise JudgmentFileError("structure", where=f"{where}.matrices")
        judgments = blank_judgments(specs)
        for key, rows in matrices.items():
            if key not in by_key:
                raise JudgmentFileError("unknown_matrix", name=str(key))
            if not isinstance(rows, list):
                raise JudgmentFileError("structure", where=f"{where}.matrices.{key}")
            judgments[key] = _read_rows(by_key[key], rows, f"{where}.matrices.{key}")
        experts.append(Expert(name, float(weight), judgments))
    return JudgmentSet(tuple(experts), ri_table)


def _read_rows(spec: MatrixSpec, rows: list[Any], where: str) -> dict[Pair, Judgment]:
    out = {p: NOT_JUDGED for p in spec.pairs}
    done: set[Pair] = set()
    pairs = set(spec.pairs)
    for r, row in enumerate(rows):
        here = f"{where}[{r}]"
        if not isinstance(row, dict):
            raise JudgmentFileError("structure", where=here)
        a, b = row.get("a"), row.get("b")
        for element in (a, b):
            if not isinstance(element, str) or element not in spec.elements:
                raise JudgmentFileError("unknown_element", matrix=spec.key, name=str(element))
        assert isinstance(a, str) and isinstance(b, str)
        if a == b:
            raise JudgmentFileError("same_element", matrix=spec.key, name=a)
        more, intensity = row.get("more"), row.get("intensity")
        try:
            judgment = Judgment(more, intensity)
        except ValueError:
            raise JudgmentFileError("bad_judgment", where=here) from None
        pair: Pair = (a, b)
        if pair not in pairs:  # given as (B, A): swap the side
            pair = (b, a)
            swapped: Side | None = "b" if judgment.more == "a" else "a" if judgment.more == "b" else judgment.more
            judgment = Judgment(swapped, judgment.intensity)
        if pair in done:
            raise JudgmentFileError("duplicate_pair", matrix=spec.key, a=pair[0], b=pair[1])
        done.add(pair)
        out[pair] = judgment
    return out

