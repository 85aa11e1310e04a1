"""riskcore: the numerical core of the SME credit-risk dashboard.

Pure Python over numpy / pandas / scipy (and numba for big books). Returns numbers,
codes and structured records; never imports streamlit or plotly.
"""

from riskcore.grey import GreyFactorResult, GreyResult, grey_factor_degrees, grey_relational
from riskcore.objectives import Direction, LoanClass
from riskcore.system import (
    FORMULA_FIELDS,
    Formula,
    IndicatorSetting,
    IndicatorSystem,
    MissingPolicy,
    affected_borrowers,
    default_system,
    from_json,
    parse_formula,
    to_json,
)
from riskcore.weights.ahp import (
    CR_THRESHOLD,
    RI_SOURCES,
    RI_TABLES,
    SAATY_SCALE,
    AHPBatchResult,
    AHPHierarchyResult,
    AHPPanelResult,
    AHPResult,
    AHPRevision,
    ahp_hierarchy,
    ahp_matrix_from_pairs,
    ahp_panel,
    ahp_revision,
    ahp_weights,
    random_index,
)
from riskcore.weights.combine import combine_weights
from riskcore.weights.entropy import EntropyOverTime, EntropyResult, entropy_over_time, entropy_weights

__all__ = [
    "Direction", "LoanClass",
    "EntropyResult", "entropy_weights", "EntropyOverTime", "entropy_over_time",
    "AHPResult", "AHPBatchResult", "AHPHierarchyResult", "AHPPanelResult", "AHPRevision",
    "ahp_weights", "ahp_hierarchy", "ahp_panel", "ahp_revision", "ahp_matrix_from_pairs",
    "random_index", "RI_TABLES", "RI_SOURCES", "SAATY_SCALE", "CR_THRESHOLD",
    "combine_weights",
    "GreyResult", "GreyFactorResult", "grey_relational", "grey_factor_degrees",
    "IndicatorSetting", "IndicatorSystem", "MissingPolicy", "default_system", "to_json", "from_json",
    "Formula", "parse_formula", "FORMULA_FIELDS", "affected_borrowers",
]
