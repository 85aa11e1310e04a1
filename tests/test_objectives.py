import pytest

from riskcore import Direction, LoanClass


@pytest.mark.parametrize("label", ["benefit", "Benefit", "max", "+", "＋", "效益型", "正向", "正向指标", 1, Direction.BENEFIT])
def test_benefit_labels(label):
    assert Direction.from_label(label) is Direction.BENEFIT


@pytest.mark.parametrize("label", ["cost", "COST", "min", "-", "−", "成本型", "负向", "逆向", -1])
def test_cost_labels(label):
    assert Direction.from_label(label) is Direction.COST


@pytest.mark.parametrize(
    ("label", "expected"),
    [("正常", 1), ("正常类", 1), ("Pass", 1), ("normal", 1), (1, 1), ("１", 1),
     ("关注", 2), ("关注类", 2), ("special mention", 2), ("Special_Mention", 2),
     ("次级", 3), ("substandard", 3), ("可疑类", 4), ("doubtful", 4), ("损失", 5), ("Loss", 5), ("5", 5),
     # sub-grades of banks' internal ten/twelve-grade scales
     ("正常一级", 1), ("正常4", 1), ("关注二级", 2), ("关注(3)", 2), ("次级一级", 3), ("可疑二级", 4), ("损失1级", 5)],
)
def test_loan_class_labels(label, expected):
    assert LoanClass.from_label(label) == expected


def test_loan_class_order_and_npl():
    assert LoanClass.NORMAL < LoanClass.SPECIAL_MENTION < LoanClass.SUBSTANDARD < LoanClass.DOUBTFUL < LoanClass.LOSS
    assert [c.is_npl for c in LoanClass] == [False, False, True, True, True]


def test_unknown_labels_raise_with_the_accepted_forms():
    with pytest.raises(ValueError, match=r"unknown loan class '6'; use 正常/关注/次级/可疑/损失"):
        LoanClass.from_label("6")
    with pytest.raises(ValueError, match=r"unknown direction 'better'"):
        Direction.from_label("better")


@pytest.mark.parametrize("label", ["正常七级", "正常级", "逾期", "不良", "一级", "正常一级二级"])
def test_labels_that_are_not_a_class_are_refused(label):
    with pytest.raises(ValueError, match="unknown loan class"):
        LoanClass.from_label(label)
