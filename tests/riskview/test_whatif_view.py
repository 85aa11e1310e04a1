import numpy as np
import pandas as pd

from riskcore.whatif import assign_bands, band_cutoffs, compare_rankings
from riskview.whatif_view import band_figure, borrower_names, criterion_figure, format_correlation, movers_table, \
    scenarios_table, top_table


def _book():
    idx = pd.Index([f"b{i}" for i in range(20)])
    base = pd.Series(np.linspace(0.2, 0.9, 20), index=idx)
    new = base.copy()
    new.iloc[[0, 19]] = new.iloc[[19, 0]].to_numpy()  # the riskiest and the safest swap
    return base, new, pd.DataFrame({"borrower_name": [f"企业{i}" for i in range(20)]}, index=idx)


def test_top_and_movers_tables():
    base, new, borrowers = _book()
    c = compare_rankings(base, new, top_n=3)
    bands = assign_bands(new, band_cutoffs(base))
    top = top_table(new, c, bands, borrower_names(borrowers), 3, "en")
    assert top["Borrower ID"].tolist() == ["b19", "b1", "b2"]
    assert top["Baseline rank"].tolist() == [20, 2, 3] and top["Change (+ riskier)"].tolist() == [19, 0, 0]
    movers = movers_table(c, borrower_names(borrowers), "zh")
    assert movers["客户号"].tolist() == ["b0", "b19"] and movers["名次变化（+ 更危险）"].tolist() == [-19, 19]


def test_figures_count_every_borrower_and_speak_the_language():
    base, new, _ = _book()
    cut = band_cutoffs(base)
    fig = band_figure(assign_bands(base, cut), assign_bands(new, cut), "zh")
    assert [sum(tr.y) for tr in fig.data] == [20, 20] and fig.layout.title.text.startswith("评级分布")
    crit = criterion_figure(pd.Series({"financial": 0.6, "credit": 0.4}), pd.Series({"financial": 0.5}), "en")
    assert list(crit.data[1].x) == [50.0, 0.0] and crit.layout.xaxis.title.text == "Weight (%)"


def test_scenarios_table_without_nan():
    scenarios = {"A": {"criterion_weights": {"financial": 0.7, "credit": 0.3}, "alpha": 0.0, "rho": 0.5,
                       "spearman": 0.91234, "kendall": None, "kept": 40, "top_n": 50}}
    table = scenarios_table(scenarios, ["financial", "credit"], "en")
    assert table["A"].tolist() == ["70.0%", "30.0%", "0.00", "0.50", "0.912", "—", "40 / 50"]
    assert format_correlation(None) == "—"
