"""The indicator system as a versioned, user-editable configuration (issue #4 item 1).

DOMAIN.md §3.2 suggests a default hierarchy and says the committee will want its own: the
thesis templates differ. An :class:`IndicatorSystem` is that configuration as a value:
the criteria (准则层) in display order and, per indicator, its criterion, direction,
whether it is used, what happens when a borrower's value is missing, winsorising bounds
and, for an indicator the committee adds, a formula (:mod:`riskcore.formula`).

Systems are immutable and validated on construction, so a system that exists can be
built into a matrix (:func:`riskcore.indicators.build_indicator_matrix` with
``system=``); edits return new systems (:meth:`IndicatorSystem.with_setting`). They
serialise to a small JSON document (:func:`to_json` / :func:`from_json`) that the store
keeps as numbered versions (:meth:`riskcore.store.LedgerStore.save_system`), so a ranking
can always say which system, and which version of it, produced it.
"""

from __future__ import annotations

import dataclasses
import json
import keyword
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias, get_args

import numpy as np

from riskcore.formula import (
    FORMULA_FIELDS,
    FORMULA_FUNCTIONS,
    Formula,
    FormulaError,
    parse_formula,
)
from riskcore.indicators import (
    CRITERIA,
    DEFAULT_INDICATORS,
    INDICATOR_BOUNDS,
    affected_borrowers,
)

__all__ = [
    "BUILTIN_KEYS",
    "DIRECTIONS",
    "FORMAT",
    "FORMAT_VERSION",
    "FORMULA_FIELDS",
    "FORMULA_FUNCTIONS",
    "MISSING_POLICIES",
    "Formula",
    "FormulaError",
    "IndicatorSetting",
    "IndicatorSystem",
    "MissingPolicy",
    "affected_borrowers",
    "default_system",
    "from_json",
    "parse_formula",
    "to_json",
]

MissingPolicy: TypeAlias = Literal["industry_median", "exclude", "worst"]
"""What happens to a borrower whose value of an indicator is missing or undefined:

* ``industry_median``: imputed with the median of the same industry among the rated
  borrowers (then the overall median, then 0.0), the historical default;
* ``exclude``: the borrower is left out of the matrix (and so of the ranking);
* ``worst``: imputed with the worst observed value (min for a benefit indicator, max for
  a cost one), i.e. "no information counts against the borrower", the prudent choice
  for e.g. missing tax ratings.
"""

MISSING_POLICIES: Final[tuple[str, ...]] = get_args(MissingPolicy)
"""The policies in display order (industry_median first: the default)."""
DIRECTIONS: Final[tuple[str, ...]] = ("benefit", "cost")

BUILTIN_KEYS: Final[tuple[str, ...]] = tuple(i.key for i in DEFAULT_INDICATORS)
"""Keys computed by :mod:`riskcore.indicators` (``formula`` None)."""

FORMAT: Final[str] = "sme-risk-indicator-system"
FORMAT_VERSION: Final[int] = 1
_SETTING_FIELDS: Final[tuple[str, ...]] = (
    "key", "criterion", "direction", "enabled", "missing", "unit", "source", "formula", "bounds",
)
_TOP_FIELDS: Final[tuple[str, ...]] = ("format", "version", "name", "criteria", "indicators")


# ============================================================================ CHECKS
# Shared by the dataclasses (which name the indicator key) and from_json (which names the
# JSON path), so both report the same reason.


def _check_key(key: object) -> str | None:
    if not isinstance(key, str):
        return f"expected text, got {key!r}"
    if not key.isidentifier() or keyword.iskeyword(key):
        return f"{key!r} is not a valid identifier (letters, digits and _, not starting with a digit)"
    return None


def _check_text(value: object, *, empty_ok: bool) -> str | None:
    if not isinstance(value, str):
        return f"expected text, got {value!r}"
    if not empty_ok and not value.strip():
        return "must not be empty"
    return None


def _check_direction(value: object) -> str | None:
    return None if value in DIRECTIONS else f"{value!r} is not benefit or cost"


def _check_missing(value: object) -> str | None:
    if value in MISSING_POLICIES:
        return None
    return f"{value!r} is not one of {', '.join(MISSING_POLICIES)}"


def _check_enabled(value: object) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, got {value!r}"


def _check_formula(key: str, value: object) -> str | None:
    if value is None:
        if key not in BUILTIN_KEYS:
            return f"None, but {key!r} is not a built-in indicator; give a formula"
        return None
    if not isinstance(value, str):
        return f"expected text or null, got {value!r}"
    if key in BUILTIN_KEYS:
        return f"{key!r} is a built-in indicator; give the formula indicator another key"
    try:
        parse_formula(value)
    except ValueError as exc:
        return str(exc)
    return None


def _check_bounds(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return f"expected a pair (lower, upper), got {value!r}"
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
            return f"expected numbers, got {value!r}"
    lo, hi = float(value[0]), float(value[1])
    if not lo < hi:
        return f"lower bound {lo!r} is not below upper bound {hi!r}"
    return None


def _setting_problem(values: Mapping[str, object]) -> tuple[str, str] | None:
    """First (field, reason) wrong with one indicator's values, or None."""
    problem = _check_key(values["key"])
    if problem:
        return "key", problem
    key = str(values["key"])
    checks: tuple[tuple[str, str | None], ...] = (
        ("criterion", _check_text(values["criterion"], empty_ok=False)),
        ("direction", _check_direction(values["direction"])),
        ("enabled", _check_enabled(values["enabled"])),
        ("missing", _check_missing(values["missing"])),
        ("unit", _check_text(values["unit"], empty_ok=True)),
        ("source", _check_text(values["source"], empty_ok=True)),
        ("formula", _check_formula(key, values["formula"])),
        ("bounds", _check_bounds(values["bounds"])),
    )
    for name, reason in checks:
        if reason:
            return name, reason
    return None


def _system_problem(
    name: object, criteria: Sequence[object], indicators: Sequence[IndicatorSetting]
) -> tuple[str, str] | None:
    """First (path, reason) wrong with a system's parts, or None; indicators already valid."""
    problem = _check_text(name, empty_ok=False)
    if problem:
        return "name", problem
    seen: dict[object, int] = {}
    for i, c in enumerate(criteria):
        problem = _check_text(c, empty_ok=False)
        if problem:
            return f"criteria[{i}]", problem
        if c in seen:
            return f"criteria[{i}]", f"{c!r} repeats criteria[{seen[c]}]"
        seen[c] = i
    keys: dict[str, int] = {}
    for i, s in enumerate(indicators):
        if s.key in keys:
            return f"indicators[{i}].key", f"{s.key!r} repeats indicators[{keys[s.key]}]"
        keys[s.key] = i
        if s.criterion not in seen:
            return (f"indicators[{i}].criterion",
                    f"{s.criterion!r} is not one of the criteria ({', '.join(map(str, criteria))})")
    if not any(s.enabled for s in indicators):
        return "indicators", "no indicator is enabled; at least one is needed to rank borrowers"
    return None


# ============================================================================ TYPES


@dataclass(frozen=True)
class IndicatorSetting:
    """One indicator of a system, as the committee configured it.

    Attributes
    ----------
    key
        Identifier and matrix column, e.g. ``"roa"`` (letters, digits, ``_``; Chinese
        letters allowed).
    criterion
        The criterion it belongs to (one of :attr:`IndicatorSystem.criteria`).
    direction
        ``"benefit"`` (higher is better for the borrower) or ``"cost"``.
    enabled
        Whether it enters the matrix; a disabled indicator stays in the system so that
        switching it back on keeps its settings.
    missing
        :data:`MissingPolicy` for borrowers whose value is missing or undefined.
    unit
        Display unit (``"ratio"``, ``"times"``, ``"years"``, ...).
    source
        How it is computed, in words or symbols (shown to users).
    formula
        None for a built-in indicator (computed by :mod:`riskcore.indicators`, with its
        documented rules for zero denominators); the formula text for a user-defined
        one (:func:`riskcore.formula.parse_formula`).
    bounds
        Winsorising bounds ``(lower, upper)`` applied before the missing-value policy;
        ±inf for no bound. None → :attr:`effective_bounds` (the built-in bounds, or
        none for a formula).

    Raises
    ------
    ValueError
        On construction, naming the key and the field: key not an identifier, bad
        direction or policy, a built-in key with a formula, an unknown key without one,
        a formula that does not parse, bounds not a pair with lower < upper.
    """

    key: str
    criterion: str
    direction: Literal["benefit", "cost"]
    enabled: bool = True
    missing: MissingPolicy = "industry_median"
    unit: str = ""
    source: str = ""
    formula: str | None = None
    bounds: tuple[float, float] | None = None
    _parsed: Formula | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.enabled, np.bool_):  # a data-editor column hands numpy booleans
            object.__setattr__(self, "enabled", bool(self.enabled))
        problem = _setting_problem({f: getattr(self, f) for f in _SETTING_FIELDS})
        if problem:
            raise ValueError(f"indicator {self.key!r}, {problem[0]}: {problem[1]}")
        if self.bounds is not None:  # (0, 5) and (0.0, 5.0) are the same bounds
            object.__setattr__(self, "bounds", (float(self.bounds[0]), float(self.bounds[1])))
        if self.formula is not None:
            object.__setattr__(self, "_parsed", parse_formula(self.formula))

    @property
    def is_builtin(self) -> bool:
        """True when computed by :mod:`riskcore.indicators` rather than by a formula."""
        return self.formula is None

    @property
    def parsed(self) -> Formula | None:
        """The parsed formula (None for a built-in indicator)."""
        return self._parsed

    @property
    def effective_bounds(self) -> tuple[float, float]:
        """The bounds applied: :attr:`bounds`, else the built-in ones, else (−inf, inf)."""
        if self.bounds is not None:
            return self.bounds
        return INDICATOR_BOUNDS.get(self.key, (-math.inf, math.inf)) if self.is_builtin else (-math.inf, math.inf)


@dataclass(frozen=True)
class IndicatorSystem:
    """A named indicator system: criteria in display order and the indicators' settings.

    Attributes
    ----------
    name
        The name it is saved under (versions are per name).
    criteria
        Criterion keys or names in display order; a criterion may have no indicator.
    indicators
        Settings in display and matrix-column order.

    Raises
    ------
    ValueError
        On construction: an empty name, a repeated criterion, a repeated indicator key,
        an indicator whose criterion is not listed, or no enabled indicator (nothing
        could be ranked). Messages name the indicator and the field.
    """

    name: str
    criteria: tuple[str, ...]
    indicators: tuple[IndicatorSetting, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "criteria", tuple(self.criteria))
        object.__setattr__(self, "indicators", tuple(self.indicators))
        for i, s in enumerate(self.indicators):
            if not isinstance(s, IndicatorSetting):
                raise ValueError(f"indicators[{i}]: expected an IndicatorSetting, got {type(s).__name__}")
        problem = _system_problem(self.name, self.criteria, self.indicators)
        if problem:
            path, reason = problem
            if path.startswith("indicators["):
                index = int(path[len("indicators["):path.index("]")])
                field_name = path.rsplit(".", 1)[1]
                raise ValueError(f"indicator {self.indicators[index].key!r}, {field_name}: {reason}")
            raise ValueError(f"{path}: {reason}")

    @property
    def enabled(self) -> tuple[IndicatorSetting, ...]:
        """The enabled settings, in order: the matrix columns."""
        return tuple(s for s in self.indicators if s.enabled)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every indicator key, enabled or not."""
        return tuple(s.key for s in self.indicators)

    def setting(self, key: str) -> IndicatorSetting:
        """The setting of ``key``; KeyError naming the system when absent."""
        for s in self.indicators:
            if s.key == key:
                return s
        raise KeyError(f"no indicator {key!r} in system {self.name!r}")

    def with_setting(self, key: str, **changes: Any) -> IndicatorSystem:
        """A copy with indicator ``key`` changed, e.g. ``with_setting("roa", enabled=False)``.

        Raises
        ------
        KeyError
            No indicator ``key``.
        ValueError
            The change makes the setting or the system invalid (e.g. disabling the last
            enabled indicator).
        """
        old = self.setting(key)
        unknown = sorted(set(changes) - set(_SETTING_FIELDS))
        if unknown:
            raise TypeError(f"IndicatorSetting has no field(s) {unknown}")
        new = dataclasses.replace(old, **changes)
        return dataclasses.replace(self, indicators=tuple(new if s.key == key else s for s in self.indicators))

    def with_indicator(self, setting: IndicatorSetting) -> IndicatorSystem:
        """A copy with ``setting`` appended (its key must be new)."""
        return dataclasses.replace(self, indicators=(*self.indicators, setting))

    def without_indicator(self, key: str) -> IndicatorSystem:
        """A copy without indicator ``key`` (KeyError when absent)."""
        self.setting(key)
        return dataclasses.replace(self, indicators=tuple(s for s in self.indicators if s.key != key))

    def renamed(self, name: str) -> IndicatorSystem:
        """A copy under another name (saved as a separate version line)."""
        return dataclasses.replace(self, name=name)


def default_system(name: str = "default") -> IndicatorSystem:
    """The DOMAIN.md §3.2 default: the 23 built-in indicators in 7 criteria, all enabled,
    missing values imputed by industry median (the behaviour before systems existed)."""
    return IndicatorSystem(
        name=name,
        criteria=CRITERIA,
        indicators=tuple(
            IndicatorSetting(key=i.key, criterion=i.criterion, direction=i.direction, enabled=True,
                             missing="industry_median", unit=i.unit, source=i.source)
            for i in DEFAULT_INDICATORS
        ),
    )


# ============================================================================ JSON


def _bound_to_json(v: float) -> float | None:
    return None if math.isinf(v) else v


def to_json(system: IndicatorSystem) -> str:
    """The system as a JSON document (format :data:`FORMAT`, version :data:`FORMAT_VERSION`).

    Keys are in a fixed order and text is kept as UTF-8 (``ensure_ascii=False``), so the
    same system always gives the same text: the store compares texts to tell whether a
    save changes anything. Infinite bounds are written as ``null``.
    """
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": system.name,
        "criteria": list(system.criteria),
        "indicators": [
            {
                "key": s.key,
                "criterion": s.criterion,
                "direction": s.direction,
                "enabled": s.enabled,
                "missing": s.missing,
                "unit": s.unit,
                "source": s.source,
                "formula": s.formula,
                "bounds": None if s.bounds is None else [_bound_to_json(s.bounds[0]), _bound_to_json(s.bounds[1])],
            }
            for s in system.indicators
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False)


def _bounds_from_json(path: str, value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{path}: expected [lower, upper] or null, got {value!r}")
    out: list[float] = []
    for side, v, inf in ((0, value[0], -math.inf), (1, value[1], math.inf)):
        if v is None:
            out.append(inf)
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{path}[{side}]: expected a number or null, got {v!r}")
        else:
            out.append(float(v))
    return out[0], out[1]


def _fields(path: str, obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ValueError(f"{path or '(document)'}: expected a JSON object, got {type(obj).__name__}")
    prefix = f"{path}." if path else ""
    for name in names:
        if name not in obj:
            raise ValueError(f"{prefix}{name}: missing")
    extra = [k for k in obj if k not in names]
    if extra:
        raise ValueError(f"{prefix}{extra[0]}: unknown field")
    return obj


def from_json(text: str) -> IndicatorSystem:
    """Read a system written by :func:`to_json` (or by hand, in the same format).

    Raises
    ------
    ValueError
        Naming the JSON path and the reason, e.g.
        ``indicators[3].direction: 'up' is not benefit or cost``: text that is not JSON,
        another format or version, a missing or unknown field, a value of the wrong type
        or any rule of :class:`IndicatorSetting` / :class:`IndicatorSystem`.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except TypeError:
        raise ValueError(f"expected JSON text, got {type(text).__name__}") from None
    if isinstance(doc, dict):
        if "format" not in doc:
            raise ValueError("format: missing")
        if doc["format"] != FORMAT:
            raise ValueError(f"format: {doc['format']!r} is not {FORMAT!r}")
        if "version" in doc and (doc["version"] != FORMAT_VERSION or isinstance(doc["version"], bool)):
            raise ValueError(f"version: {doc['version']!r} is not supported (this code reads version {FORMAT_VERSION})")
    top = _fields("", doc, _TOP_FIELDS)
    criteria = top["criteria"]
    if not isinstance(criteria, list):
        raise ValueError(f"criteria: expected a list, got {criteria!r}")
    items = top["indicators"]
    if not isinstance(items, list):
        raise ValueError(f"indicators: expected a list, got {items!r}")
    settings: list[IndicatorSetting] = []
    for i, item in enumerate(items):
        path = f"indicators[{i}]"
        values = dict(_fields(path, item, _SETTING_FIELDS))
        values["bounds"] = _bounds_from_json(f"{path}.bounds", values["bounds"])
        problem = _setting_problem(values)
        if problem:
            raise ValueError(f"{path}.{problem[0]}: {problem[1]}")
        settings.append(IndicatorSetting(**values))
    problem = _system_problem(top["name"], criteria, settings)
    if problem:
        raise ValueError(f"{problem[0]}: {problem[1]}")
    return IndicatorSystem(name=top["name"], criteria=tuple(criteria), indicators=tuple(settings))
