"""Two-thread numba kernels for entropy weights and grey relational coefficients on big books.

numpy needs ~50x a column-sum pass B for entropy + GRA on 2 cores (one ``log`` alone
costs 7.5x); with these kernels the fused ``grey_relational(..., weights="entropy")`` takes
about 3-4.5 B on the 2-core development machine (benchmarks/bench_core.py): two passes
(column ranges, then z, xi and the entropy sums in one), threads that release the GIL, and
loops LLVM vectorises (see :mod:`riskcore._numba_kernels`, which also has its own branch-free
log: libm's cannot be vectorised). They are used only from ``KERNEL_MIN_CELLS`` cells, so
the app never pays numba's start-up (about 3.5-4 s to compile on a new machine, about 1 s
from numba's on-disk cache) for an ordinary branch book. Results equal the numpy path to
the last bit for the coefficients and to ~1e-15 for entropy (tests/test_kernels.py).
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


def _split(x: FloatArray, name: str, *args: Any, out_rows: int = 0) -> list[FloatArray]:
    """Run kernel ``name`` (``name_rows`` on a C array, ``name_cols`` on a Fortran one) as
    ``kernel(x, lo, hi, *args[, out])`` on row blocks in parallel threads.

    Array arguments that matter for layout (``xi``) are made with ``np.empty_like(x)``.
    """
    mod = _module()
    assert mod is not None
    kernel = getattr(mod, f"{name}_rows" if x.flags.c_contiguous else f"{name}_cols")
    n = x.shape[0]
    k = _pool()._max_workers  # noqa: SLF001 - the pool is ours
    step = max(1, -(-n // k))
    blocks = [(lo, min(n, lo + step)) for lo in range(0, n, step)] or [(0, 0)]
    outs = [np.empty((out_rows, x.shape[1])) for _ in blocks]

    def run(i: int) -> None:
        lo, hi = blocks[i]
        if out_rows:
            kernel(x, lo, hi, *args, outs[i])
        else:
            kernel(x, lo, hi, *args)

    list(_pool().map(run, range(len(blocks))))
    return outs


def column_range(x: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Column minima and maxima, and a mask of columns with a NaN or infinite cell, in one
    pass (minima and maxima of such columns mean nothing)."""
    stacked = np.stack(_split(x, "column_range", out_rows=3))
    return stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0), stacked[:, 2].sum(axis=0) != 0.0


def entropy_sums(
    x: FloatArray, offset: FloatArray, scale: FloatArray, constant: BoolArray, *, shift: float = 0.0
) -> tuple[FloatArray, FloatArray]:
    """Column sums of q and q ln q, q = (x - offset) / scale + shift."""
    safe_scale = np.where(constant, 1.0, scale)
    stacked = np.stack(_split(x, "entropy_sums", offset, safe_scale, float(shift), out_rows=2))
    return stacked[:, 0].sum(axis=0), stacked[:, 1].sum(axis=0)


def grey_coefficients(
    x: FloatArray, offset: FloatArray, scale: FloatArray, constant: BoolArray, rho: float
) -> FloatArray:
    """Deng coefficients against the ideal borrower for min-max data (same layout as ``x``)."""
    xi = np.empty_like(x)
    safe_scale = np.where(constant, 1.0, scale)
    _split(x, "grey_coefficients", offset, safe_scale, constant, float(rho), xi)
    return xi


def entropy_grey(
    x: FloatArray, offset: FloatArray, scale: FloatArray, constant: BoolArray, rho: float
) -> tuple[tuple[FloatArray, FloatArray], FloatArray]:
    """Entropy sums (q = z, no shift) and Deng coefficients from one read of ``x``."""
    xi = np.empty_like(x)
    safe_scale = np.where(constant, 1.0, scale)
    stacked = np.stack(_split(x, "entropy_grey", offset, safe_scale, constant, float(rho), xi, out_rows=2))
    return (stacked[:, 0].sum(axis=0), stacked[:, 1].sum(axis=0)), xi
