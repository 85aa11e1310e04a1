"""The byte-level shortcuts of riskcore.ingest._text must give exactly what the Arrow
kernels they skip would give."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from riskcore.ingest import _text
from riskcore.ingest.read import _TOTAL_LABEL_RE2, _total_labels

# Every whitespace character Python or Arrow may trim, next to CJK text, full-width
# punctuation and the characters whose UTF-8 bytes share lead bytes with whitespace.
_ALPHABET = st.sampled_from(
    list(" \t\n\r\x0b\x0c\x1c\x1f\u0085\u00a0\u1680\u2000\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
    + list("a1L.-计合小总：:（）¥é€\u3001\u300c\u2014\u00b7\u1e00司行")
)
_CELLS = st.lists(st.text(_ALPHABET, max_size=6), min_size=0, max_size=40)


@settings(max_examples=400, deadline=None)
@given(_CELLS)
def test_trimmed_equals_arrow_trim(cells: list[str]) -> None:
    text = pa.array(cells, pa.large_string())
    assert _text.trimmed(text).to_pylist() == pc.utf8_trim_whitespace(text).to_pylist()


@settings(max_examples=300, deadline=None)
@given(_CELLS)
def test_total_labels_equal_the_pattern_on_every_cell(cells: list[str]) -> None:
    text = _text.trimmed(pa.array(cells, pa.large_string()))
    # The shortcut must agree with the RE2 pattern run on every cell (RE2's \s is ASCII only).
    expected = pc.fill_null(pc.match_substring_regex(text, _TOTAL_LABEL_RE2), False).to_pylist()
    assert _total_labels(text).tolist() == expected


def test_total_labels_found_with_spacing_case_and_colons() -> None:
    cells = ["合计", "合 计：", "本页小计:", "TOTAL", "Grand Total", "sub-total", "总计", "合计数", "统计", "Totals", "001"]
    assert _total_labels(pa.array(cells, pa.large_string())).tolist() == [
        True, True, True, True, True, True, True, False, False, False, False]


def test_column_without_whitespace_is_not_copied() -> None:
    text = pa.array(["QD01", "益佳商贸（青岛）有限公司", "2024-06-30"], pa.large_string())
    assert _text.trimmed(text) is text
    spaced = pa.array(["QD01", "益佳商贸\u3000"], pa.large_string())
    assert _text.trimmed(spaced).to_pylist() == ["QD01", "益佳商贸"]


def test_sliced_and_null_holding_arrays() -> None:
    text = pa.array([" a ", "b", None, "\u00a0c", "d"], pa.large_string()).slice(1, 4)
    assert _text.trimmed(text).to_pylist() == ["b", None, "c", "d"]
    assert _text.lengths(text).tolist() == [1, 0, 3, 1]
    assert _text.all_ascii(pa.array(["abc", "12"], pa.large_string()))
    assert not _text.all_ascii(pa.array(["abc", "１２"], pa.large_string()))
    assert _text.normalised(pa.array(["１２（万元）"], pa.large_string())).to_pylist() == ["12(万元)"]


def test_any_byte_in() -> None:
    assert _text.any_byte_in(np.array([65, 32, 66], np.uint8), b" ")
    assert not _text.any_byte_in(np.array([65, 66], np.uint8), b" \t")
    assert not _text.any_byte_in(np.zeros(0, np.uint8), b" ")
