"""Column-at-a-time helpers for ledger text held as Arrow ``large_string`` arrays.

A 200,000-row ledger has 30 such columns; every Arrow kernel pass over all of them costs
about 0.1 s. These helpers look at the raw offsets and bytes with numpy instead, to skip
passes that would change nothing: trimming a column whose cells neither start nor end in
anything that could be whitespace, or scanning a column for total labels whose cells end
in no byte a total label can end in.
"""

from __future__ import annotations

import functools
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Bytes that may start or end a whitespace character: ASCII whitespace (Python's and
# Arrow's: \t \n \v \f \r, the 0x1C-0x1F separators, space) and the lead bytes of the
# Unicode ones (U+0085 and U+00A0 are C2 xx; U+1680 is E1; U+2000-U+205F are E2; U+3000 is E3).
_ASCII_SPACE: Final = bytes([0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20])
_LEAD_OF_SPACE_2: Final = bytes([0xC2])
_LEAD_OF_SPACE_3: Final = bytes([0xE1, 0xE2, 0xE3])


def any_byte_in(values: np.ndarray, wanted: bytes) -> bool:
    """Whether any of the uint8 ``values`` is one of the ``wanted`` bytes. Deleting every
    other byte with bytes.translate is several times faster than a numpy table lookup."""
    return bool(np.ascontiguousarray(values, dtype=np.uint8).tobytes().translate(None, _all_but(wanted)))


@functools.lru_cache(maxsize=32)
def _all_but(wanted: bytes) -> bytes:
    return bytes(b for b in range(256) if b not in wanted)


def large_text(values: Any) -> pa.LargeStringArray:
    """A pandas Series, Arrow array or chunked array of text as one ``large_string`` array
    (nulls kept). Non-text pandas columns are converted with ``astype("str")``."""
    if isinstance(values, pd.Series):
        if not isinstance(values.dtype, pd.StringDtype):
            values = values.astype("str")
        values = pa.array(values, from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if values.type != pa.large_string():
        values = values.cast(pa.large_string())
    return values


def _offsets_and_bytes(text: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    _, offsets_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data


def lengths(text: pa.LargeStringArray) -> np.ndarray:
    """Byte length of every cell (0 for empty and null cells)."""
    if len(text) == 0:
        return np.zeros(0, dtype=np.int64)
    offsets, _ = _offsets_and_bytes(text)
    sizes = np.diff(offsets)
    if text.null_count:
        sizes = np.where(np.asarray(text.is_null()), 0, sizes)
    return sizes


def last_bytes(text: pa.LargeStringArray, back: int = 1) -> np.ndarray:
    """The byte ``back`` places from the end of every cell, 0 where the cell is shorter."""
    offsets, data = _offsets_and_bytes(text)
    sizes = lengths(text)
    if len(sizes) and sizes.min() >= back:  # the usual case: one gather, no masks
        gathered: np.ndarray = data[offsets[1:] - back]
        return gathered
    found = np.zeros(len(text), dtype=np.uint8)
    long_enough = sizes >= back
    found[long_enough] = data[offsets[1:][long_enough] - back]
    return found


def _may_need_trim(text: pa.LargeStringArray) -> bool:
    """False only when no cell starts or ends with a byte sequence that could be whitespace."""
    if len(text) == 0:
        return False
    if text.null_count:
        return True
    offsets, data = _offsets_and_bytes(text)
    sizes = np.diff(offsets)
    if sizes.max() == 0:
        return False
    starts = offsets[:-1] if sizes.min() > 0 else offsets[:-1][sizes > 0]
    if any_byte_in(data[starts], _ASCII_SPACE + _LEAD_OF_SPACE_2 + _LEAD_OF_SPACE_3):
        return True
    ends = offsets[1:]
    if sizes.min() < 3:  # too short for the gathers below to stay inside their cells
        ends = ends[sizes >= 3]
        if any_byte_in(last_bytes(text), _ASCII_SPACE) or any_byte_in(last_bytes(text, 2), _LEAD_OF_SPACE_2):
            return True
    return (any_byte_in(data[ends - 1], _ASCII_SPACE) or any_byte_in(data[ends - 2], _LEAD_OF_SPACE_2)
            or any_byte_in(data[ends - 3], _LEAD_OF_SPACE_3))


def trimmed(text: pa.LargeStringArray) -> pa.LargeStringArray:
    """``text`` without leading and trailing (Unicode) whitespace, skipping the pass when no
    cell can have any."""
    return pc.utf8_trim_whitespace(text) if _may_need_trim(text) else text


def all_ascii(text: pa.LargeStringArray) -> bool:
    """Whether every byte of every cell is ASCII (NFKC normalisation then changes nothing)."""
    if len(text) == 0:
        return True
    offsets, data = _offsets_and_bytes(text)
    used = data[offsets[0]:offsets[-1]]
    return bool(used.size == 0 or used.max() < 0x80)


def normalised(text: pa.LargeStringArray) -> pa.LargeStringArray:
    """NFKC form (full-width digits and brackets from Chinese input methods become ASCII),
    skipping the pass on ASCII-only columns."""
    return text if all_ascii(text) else pc.utf8_normalize(text, form="NFKC")
