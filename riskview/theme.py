"""The house Plotly template ("risklens") and the fixed colours of the dashboard.

Importing this module registers the template; figures use ``template=TEMPLATE``
(``"simple_white+risklens"``) and are shown with ``st.plotly_chart(..., theme=None)`` so
Streamlit's own theme does not override fonts and colours.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Final

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE_NAME: Final = "risklens"
TEMPLATE: Final = f"simple_white+{TEMPLATE_NAME}"

#: CJK-capable first: Noto Sans CJK SC (Linux, `fonts-noto-cjk`), Microsoft YaHei
#: (Windows), PingFang SC (macOS).
FONT_FAMILY: Final = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
FONT_SIZE: Final = 14
TITLE_SIZE: Final = 18
TEXT_COLOR: Final = "#1F2933"
MUTED_COLOR: Final = "#5F6B7A"
GRID_COLOR: Final = "#E4E7EB"

#: Restrained colorway for series without a fixed meaning.
COLORWAY: Final = ("#1F5A96", "#C8553D", "#2A9D8F", "#D9A441", "#8E6BB8", "#6C757D", "#5B8E3E")

#: Five-level loan classes, always in this order and these colours (green → dark red).
CLASS_ORDER: Final = (1, 2, 3, 4, 5)
CLASS_COLORS: Final = MappingProxyType(
    {1: "#2E7D4F", 2: "#E0A82E", 3: "#E07B39", 4: "#C0392B", 5: "#6E1F1F"}
)

#: Criteria (准则层) of the indicator system, in riskcore.indicators.CRITERIA order.
CRITERION_ORDER: Final = (
    "financial",
    "operational",
    "market",
    "credit",
    "guarantee",
    "compliance",
    "owner",
)
CRITERION_COLORS: Final = MappingProxyType(
    {
        "financial": "#1F5A96",
        "operational": "#2A9D8F",
        "market": "#8E6BB8",
        "credit": "#C8553D",
        "guarantee": "#D9A441",
        "compliance": "#6C757D",
        "owner": "#5B8E3E",
    }
)
OTHER_COLOR: Final = "#9AA5B1"

#: Rating bands by grade quintile: A = lowest risk … E = highest risk.
BAND_ORDER: Final = ("A", "B", "C", "D", "E")
BAND_COLORS: Final = MappingProxyType(
    {"A": "#2E7D4F", "B": "#86B25A", "C": "#E0C04E", "D": "#E07B39", "E": "#C0392B"}
)


def _template() -> go.layout.Template:
    axis = {
        "automargin": True,
        "gridcolor": GRID_COLOR,
        "linecolor": "#9AA5B1",
        "tickcolor": "#9AA5B1",
        "title": {"font": {"size": FONT_SIZE, "color": MUTED_COLOR}, "standoff": 8},
        "tickfont": {"size": 13},
    }
    return go.layout.Template(
        layout={
            "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": TEXT_COLOR},
            "title": {
                "font": {"family": FONT_FAMILY, "size": TITLE_SIZE, "color": TEXT_COLOR},
                "x": 0,
                "xanchor": "left",
                "xref": "container",
                "pad": {"l": 12},
                "subtitle": {"font": {"size": 13, "color": MUTED_COLOR}},
            },
            "colorway": list(COLORWAY),
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "margin": {"l": 10, "r": 20, "t": 80, "b": 50},
            "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 13}},
            "legend": {"font": {"size": 13}, "title": {"font": {"size": 13, "color": MUTED_COLOR}}},
            "xaxis": axis,
            "yaxis": axis,
            "separators": ".,",
        }
    )


def register() -> None:
    """Register (or re-register) the house template with plotly.io."""
    pio.templates[TEMPLATE_NAME] = _template()
    house_template.cache_clear()


@lru_cache(maxsize=1)
def house_template() -> go.layout.Template:
    """``TEMPLATE`` merged once: a template given by name is re-merged for every figure."""
    return pio.templates[TEMPLATE]


register()
