"""riskview: presentation without Streamlit — zh/en catalogue, Plotly theme and figures.

Used by the Streamlit pages and by exporters/the command line. Never imports streamlit;
riskcore never imports riskview.
"""

from riskview.i18n import t

__all__ = ["t"]
