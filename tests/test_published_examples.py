"""Known answers from published worked examples (tests/data/published_examples.json).

Each case is computed through the variant it names; tolerance is half a unit of the
last printed decimal, as the file says.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskcore

CASES = json.loads((Path(__file__).parent / "data" / "published_examples.json").read_text("utf-8"))["cases"]


def half_unit(decimals: int) -> float:
    return 0.5 * 10.0 ** (-decimals)


def test_ahp_saaty2008_drinks_eigenvector_and_cr():
    """Saaty (2008), relative consumption of drinks: eigenvector weights, CR with RI(7) = 1.35."""
    case = CASES["ahp_saaty2008_drinks"]
    pub = case["published"]
    matrix = pd.DataFrame(case["matrix"], index=case["labels"], columns=case["labels"])
    result = riskcore.ahp_weights(matrix, method="eigen", ri_table=pub["ri_table"])
    assert list(result.weights.index) == case["labels"]
    np.testing.assert_allclose(result.weights.to_numpy(), pub["weights"], atol=half_unit(pub["decimals"]))
    assert result.ri == 1.35
    assert result.cr == pytest.approx(pub["cr"], abs=half_unit(pub["cr_decimals"]))
    assert result.consistent
    assert result.ri_table == "saaty2005"


def test_entropy_elsayed2017_proportion_raw():
    """Elsayed, Dawood & Karthikeyan (2017): entropy weights on raw proportions."""
    case = CASES["entropy_elsayed2017"]
    pub = case["published"]
    result = riskcore.entropy_weights(case["matrix"], case["types"], method="proportion")
    np.testing.assert_allclose(result.weights.to_numpy(), pub["weights"], atol=half_unit(pub["decimals"]))
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_gra_yildirim_onder2015_deng_global():
    """Yildirim & Onder (2015): Deng GRA with min-max normalisation, global Delta extremes."""
    case = CASES["gra_yildirim_onder2015"]
    pub = case["published"]
    result = riskcore.grey_relational(case["matrix"], case["types"], case["weights"], rho=case["rho"])
    np.testing.assert_allclose(result.grades.to_numpy(), pub["grades"], atol=half_unit(pub["decimals"]))
    assert int(result.grades.to_numpy().argmax()) + 1 == pub["best_index_1based"]
    # The file prints full-precision grades; they agree far beyond the 4 printed decimals.
    np.testing.assert_allclose(result.grades.to_numpy(), pub["grades"], atol=1e-12)
