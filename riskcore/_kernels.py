"""Two-thread numba kernels for entropy weights and grey relational coefficients on big books.

numpy needs ~50x a column-sum pass for entropy + GRA on 2 cores (one ``log`` alone costs
7.5x); these kernels need about a fifth of that: fewer passes, threads that release the
GIL. They are used only from ``KERNEL_MIN_CELLS`` cells, so the app never pays numba's
start-up (about 3 s to compile on a new machine, well under 1 s from numba's on-disk
cache) for an ordinary branch book. Results equal the numpy path to the last bit for the
coefficients and to ~1e-15 for entropy (tests/test_kernels.py).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from types import ModuleType
from typing import Any

import numpy as np

from riskcore._inputs import BoolArray, FloatArray

#: Matrices with at least this many cells go through the kernels (if numba imports).
KERNEL_MIN_CELLS = 2_000_000


@lru_cache(maxsize=1)
def _module() -> ModuleType | None:
    try:
        from riskcore import _numba_kernels
    except ImportError:  # pragma: no cover - numba is pinned in requirements.txt
        return None
    return _numba_kernels


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="riskcore")


def available() -> bool:
    """True when numba imports."""
    return _module() is not None


def use_kernels(x: FloatArray) -> bool:
    """Whether ``x`` is big enough (and contiguous) to go through the kernels."""
    contiguous = x.flags.c_contiguous or x.flags.f_contiguous
    return x.size >= KERNEL_MIN_CELLS and contiguous and available()


def _split(x: FloatArray, kernel: Any, *args: Any, out_rows: int = 0) -> list[FloatArray]:
    """Run ``kernel(x, lo, hi, col_major, *args[, out])`` on row blocks in parallel threads."""
    n = x.shape[0]
    k = _pool()._max_workers  # noqa: SLF001 - the pool is ours
    step = max(1, -(-n // k))
    blocks = [(lo, min(n, lo + step)) for lo in range(0, n, step)] or [(0, 0)]
    col_major = not x.flags.c_contiguous
    outs = [np.empty((out_rows, x.shape[1])) for _ in blocks]

    def run(i: int) -> None:
        lo, hi = blocks[i]
        if out_rows:
            kernel(x, lo, hi, col_major, *args, outs[i])
        else:
            kernel(x, lo, hi, col_major, *args)

    list(_pool().map(run, range(len(blocks))))
    return outs


def column_range(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Column minima, maxima and counts of non-finite cells, in one pass."""
    mod = _module()
    assert mod is not None
    stacked = np.stack(_split(x, mod.column_range, out_rows=3))
    return stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0), stacked[:, 2].sum(axis=0)


def entropy_sums(
    x: FloatArray, offset: FloatArray, scale: FloatArray, constant: BoolArray, *, shift: float = 0.0
) -> tuple[FloatArray, FloatArray]:
    """Column sums of q and q ln q, q = (x - offset) / scale + shift."""
    mod = _module()
    assert mod is not None
    safe_scale = np.where(constant, 1.0, scale)
    stacked = np.stack(_split(x, mod.entropy_sums, offset, safe_scale, float(shift), out_rows=2))
    return stacked[:, 0].sum(axis=0), stacked[:, 1].sum(axis=0)


def grey_coefficients(
    x: FloatArray, offset: FloatArray, scale: FloatArray, constant: BoolArray, rho: float
) -> FloatArray:
    """Deng coefficients against the ideal borrower for min-max data (same layout as ``x``)."""
    mod = _module()
    assert mod is not None
    xi = np.empty_like(x)
    safe_scale = np.where(constant, 1.0, scale)
    _split(x, mod.grey_coefficients, offset, safe_scale, constant, float(rho), xi)
    return xi


def entropy_grey(
    x: FloatArray, offset: FloatArray, scale: FloatArray, constant: BoolArray, rho: float
) -> tuple[tuple[FloatArray, FloatArray], FloatArray]:
    """Entropy sums (q = z, no shift) and Deng coefficients from one read of ``x``."""
    mod = _module()
    assert mod is not None
    xi = np.empty_like(x)
    safe_scale = np.where(constant, 1.0, scale)
    stacked = np.stack(_split(x, mod.entropy_grey, offset, safe_scale, constant, float(rho), xi, out_rows=2))
    return (stacked[:, 0].sum(axis=0), stacked[:, 1].sum(axis=0)), xi
