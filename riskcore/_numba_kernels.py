"""numba kernels behind :mod:`riskcore._kernels`; imported only when a big book needs them.

Each kernel handles rows [lo, hi) so that threads can split a matrix; each walks the
array in memory order (rows of a C array, columns of a Fortran one, which is what
``DataFrame.to_numpy()`` returns). Defined at module level so numba's on-disk cache works.

Speed comes from LLVM vectorising the loops (AVX2 on the usual x86 server), which needs
loops without branches, without calls and without numba's division-by-zero check
(``error_model="numpy"``; every divisor here is non-zero by construction). So the cells
are taken in blocks of about ``_BLOCK`` in memory order. A block of a C array is whole
rows, so its position k always holds column k % m: per-column offsets and scales are
laid out as a block-sized "tile", and each position of the block keeps its own partial
sums (which also makes the sums more accurate than one running total). Blocks stay in L1.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

#: Cells per block (whole rows of a C array): each thread keeps this many partial sums.
_BLOCK = 512

# --- ln z without libm ----------------------------------------------------------------
# np.log inside a kernel is a call to the scalar libm log (llvmlite from PyPI has no SVML),
# which stops LLVM from vectorising the loop around it: it was ~60% of entropy + GRA.
# _xlogx_block has fdlibm's __ieee754_log (error < 1 ulp) rewritten without branches: the
# exponent k and the mantissa m come from the float's bits by integer operations (bit
# casts, not frexp), z = 2**k m with m in [sqrt(1/2), sqrt(2)); with f = m - 1 and
# s = f / (2 + f) (|s| < 0.172), ln m = 2 atanh(s) = f - (f^2/2 - s (f^2/2 + R)), R a
# degree-7 minimax polynomial in s^2 (fdlibm's Lg1..Lg7, here by Estrin's scheme).
# tests/test_kernels.py checks it against np.log: never more than 1 ulp apart (and < 0.8
# ulp from the exact value on 43,000 inputs checked with mpmath when it was written).

_LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits: k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # bits of sqrt(1/2)
_MANTISSA = (1 << 52) - 1
_BIAS = (1023 << 52) - _SQRT_HALF_BITS
_ROUND_BITS = 0x4338000000000000  # bits of 1.5 * 2**52: adding a small integer i to them
_ROUND_1023 = 6755399441055744.0 + 1023.0  # gives the float 1.5 * 2**52 + i; subtract these
_TINY = 2.2250738585072014e-308  # smallest normal float64
_TWO54 = 18014398509481984.0  # 2**54: scales a subnormal into the normal range, exactly


def _bit_cast(source: Any, target: Any, llvm_target: Any) -> Any:
    """A numba intrinsic reinterpreting a ``source`` scalar's bits as a ``target`` scalar:
    one LLVM bitcast, free and vectorisable (numba has no scalar ``view``)."""

    def typer(typingctx: Any, x: Any) -> Any:  # pragma: no cover - run by numba's compiler
        if x != source:
            return None

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.bitcast(args[0], llvm_target)

        return target(source), codegen

    typer.__name__ = f"bits_{source}_to_{target}"
    return intrinsic(typer)


#: _bits(x: float64) -> int64 and _from_bits(i: int64) -> float64, in nopython code only.
_bits: Any = _bit_cast(types.float64, types.int64, ir.IntType(64))
_from_bits: Any = _bit_cast(types.int64, types.float64, ir.DoubleType())


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy", fastmath={"contract"})
def _xlogx_block(z: Any, f: Any, lnz: Any, acc: Any, w: int) -> None:  # pragma: no cover
    """lnz[k] = ln z[k] and acc[k] += z[k] ln z[k] for k < w; z finite and >= 0.

    z = 0 adds 0 (0 ln 0 = 0, by a select, not a branch) and leaves a meaningless lnz.
    ``f`` is scratch. Two loops, each with few enough constants to keep them all in
    registers (one loop carrying all of them spent half its instructions reloading them).
    Only this function may fuse a * b + c into one rounding (fastmath "contract"): the
    kernels' own arithmetic must round exactly as numpy's does.
    """
    for k in range(w):
        v = z[k]
        sub = v < _TINY
        t = _bits(v * _TWO54 if sub else v) + _BIAS
        # t = bits(z) - bits(sqrt(1/2)) + 1023 << 52 is >= 0: its top 12 bits are k + 1023
        # and its low 52 bits plus bits(sqrt(1/2)) are the bits of m.
        f[k] = _from_bits((t & _MANTISSA) + _SQRT_HALF_BITS) - 1.0
        lnz[k] = (_from_bits(((t >> 52) & 0x7FF) + _ROUND_BITS) - _ROUND_1023) - (54.0 if sub else 0.0)
    for k in range(w):
        fk = f[k]
        dk = lnz[k]
        hfsq = 0.5 * fk * fk
        s = fk / (2.0 + fk)
        s2 = s * s
        s4 = s2 * s2
        s8 = s4 * s4
        r = s2 * ((_LG1 + s2 * _LG2) + s4 * (_LG3 + s2 * _LG4) + s8 * ((_LG5 + s2 * _LG6) + s4 * _LG7))
        ln = dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - fk)
        lnz[k] = ln
        v = z[k] * ln
        acc[k] += v if z[k] > 0.0 else 0.0


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def log(z: Any, out: Any) -> None:  # pragma: no cover
    """out = ln z for a 1-D array of finite z > 0, as the kernels compute it (for the tests)."""
    f = np.empty(_BLOCK)
    acc = np.zeros(_BLOCK)
    for b0 in range(0, z.size, _BLOCK):
        w = min(_BLOCK, z.size - b0)
        _xlogx_block(z[b0:b0 + w], f, out[b0:b0 + w], acc, w)


# --- the kernels: *_rows walk a C array's rows lo..hi in blocks of whole rows, *_cols a
# Fortran array's columns (rows lo..hi of each) in blocks of _BLOCK cells. ----------------


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def _range_block(xb: Any, lim: Any, new: Any, bad: Any, w: int) -> None:  # pragma: no cover
    """new[0] = min(lim[0], xb), new[1] = max(lim[1], xb) slot by slot (slots w.. copied);
    bad += xb - xb, which is 0, or NaN from then on once a cell is NaN or infinite.

    Writing the limits to another array is what keeps the loop fast: storing
    ``v if v < lim[0, k] else lim[0, k]`` back into ``lim`` compiles to a masked store
    (vmaskmovpd), microcoded on AMD, which made the pass 2x slower.
    """
    mn, mx, nmn, nmx = lim[0], lim[1], new[0], new[1]
    for k in range(w):
        v = xb[k]
        nmn[k] = v if v < mn[k] else mn[k]
        nmx[k] = v if v > mx[k] else mx[k]
        bad[k] += v - v
    for k in range(w, mn.size):
        nmn[k] = mn[k]
        nmx[k] = mx[k]


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def column_range_rows(x: Any, lo: int, hi: int, out: Any) -> None:  # pragma: no cover
    """out[0] = column minima, out[1] = maxima over rows lo..hi; out[2] is non-zero (NaN)
    for columns with a NaN or an infinite value, where the minima and maxima mean nothing."""
    m = x.shape[1]
    width = max(1, _BLOCK // m) * m
    lim = np.empty((2, width))  # per slot of a block: minima, maxima
    new = np.empty((2, width))
    bad = np.zeros(width)
    for k in range(width):
        lim[0, k], lim[1, k] = np.inf, -np.inf
    xs = x[lo:hi].ravel()  # a view: x is C-contiguous
    total = (hi - lo) * m
    for b0 in range(0, total, width):
        w = min(width, total - b0)
        _range_block(xs[b0:b0 + w], lim, new, bad, w)
        lim, new = new, lim
    for j in range(m):
        a, b, c = np.inf, -np.inf, 0.0
        for k in range(j, width, m):
            a = lim[0, k] if lim[0, k] < a else a
            b = lim[1, k] if lim[1, k] > b else b
            c += bad[k]
        out[0, j], out[1, j], out[2, j] = a, b, c


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def column_range_cols(x: Any, lo: int, hi: int, out: Any) -> None:  # pragma: no cover
    """:func:`column_range_rows` for a Fortran-contiguous x."""
    m = x.shape[1]
    n = hi - lo
    xt = x.T  # C-contiguous: row j of xt is column j of x
    lim = np.empty((2, _BLOCK))
    new = np.empty((2, _BLOCK))
    bad = np.empty(_BLOCK)
    for j in range(m):
        xs = xt[j, lo:hi]
        lim[0, :] = np.inf
        lim[1, :] = -np.inf
        bad[:] = 0.0
        for b0 in range(0, n, _BLOCK):
            w = min(_BLOCK, n - b0)
            _range_block(xs[b0:b0 + w], lim, new, bad, w)
            lim, new = new, lim
        a, b, c = np.inf, -np.inf, 0.0
        for k in range(_BLOCK):
            a = lim[0, k] if lim[0, k] < a else a
            b = lim[1, k] if lim[1, k] > b else b
            c += bad[k]
        out[0, j], out[1, j], out[2, j] = a, b, c


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def entropy_sums_rows(
    x: Any, lo: int, hi: int, offset: Any, scale: Any, shift: float, out: Any
) -> None:  # pragma: no cover
    """out[0, j] = sum q, out[1, j] = sum q ln q with q = (x - offset_j) / scale_j + shift.

    ``scale`` must be non-zero (constant columns are given scale 1; their entropy is set
    to 1 by the caller).
    """
    m = x.shape[1]
    width = max(1, _BLOCK // m) * m
    off = np.empty(width)  # per-column values laid out over a block
    sc = np.empty(width)
    for k in range(width):
        off[k] = offset[k % m]
        sc[k] = scale[k % m]
    acc_s = np.zeros(width)
    acc_l = np.zeros(width)
    qb = np.empty(width)
    f = np.empty(width)
    lnq = np.empty(width)
    xs = x[lo:hi].ravel()
    total = (hi - lo) * m
    for b0 in range(0, total, width):
        w = min(width, total - b0)
        xb = xs[b0:b0 + w]
        for k in range(w):
            q = (xb[k] - off[k]) / sc[k] + shift
            acc_s[k] += q
            qb[k] = q
        _xlogx_block(qb, f, lnq, acc_l, w)
    for j in range(m):  # add up each column's partial sums
        s, sl = 0.0, 0.0
        for k in range(j, width, m):
            s += acc_s[k]
            sl += acc_l[k]
        out[0, j], out[1, j] = s, sl


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def entropy_sums_cols(
    x: Any, lo: int, hi: int, offset: Any, scale: Any, shift: float, out: Any
) -> None:  # pragma: no cover
    """:func:`entropy_sums_rows` for a Fortran-contiguous x."""
    m = x.shape[1]
    n = hi - lo
    xt = x.T
    acc_s = np.empty(_BLOCK)
    acc_l = np.empty(_BLOCK)
    qb = np.empty(_BLOCK)
    f = np.empty(_BLOCK)
    lnq = np.empty(_BLOCK)
    for j in range(m):
        xs = xt[j, lo:hi]
        a, b = offset[j], scale[j]
        acc_s[:] = 0.0
        acc_l[:] = 0.0
        for b0 in range(0, n, _BLOCK):
            w = min(_BLOCK, n - b0)
            xb = xs[b0:b0 + w]
            for k in range(w):
                q = (xb[k] - a) / b + shift
                acc_s[k] += q
                qb[k] = q
            _xlogx_block(qb, f, lnq, acc_l, w)
        s, sl = 0.0, 0.0
        for k in range(_BLOCK):
            s += acc_s[k]
            sl += acc_l[k]
        out[0, j], out[1, j] = s, sl


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def grey_coefficients_rows(
    x: Any, lo: int, hi: int, offset: Any, scale: Any, constant: Any, rho: float, xi: Any
) -> None:  # pragma: no cover
    """xi = rho / ((1 - z) + rho), z = (x - offset) / scale (1 for constant columns).

    This is Deng's coefficient with the ideal reference z = 1 and, for min-max data,
    Delta_min = 0 and Delta_max = 1 (the caller handles the all-constant case).
    ``xi`` has the layout of ``x``. Constant columns: x - offset = 0 and scale 1, so
    adding 1 gives z = 1 exactly; adding 0 elsewhere changes no z (bar the sign of a
    zero, which xi ignores).
    """
    m = x.shape[1]
    width = max(1, _BLOCK // m) * m
    off = np.empty(width)  # per-column values laid out over a block
    sc = np.empty(width)
    one = np.empty(width)
    for k in range(width):
        off[k] = offset[k % m]
        sc[k] = scale[k % m]
        one[k] = 1.0 if constant[k % m] else 0.0
    xs = x[lo:hi].ravel()  # views: x and xi are C-contiguous
    xo = xi[lo:hi].ravel()
    total = (hi - lo) * m
    for b0 in range(0, total, width):
        w = min(width, total - b0)
        xb = xs[b0:b0 + w]
        ob = xo[b0:b0 + w]
        for k in range(w):
            z = (xb[k] - off[k]) / sc[k] + one[k]
            ob[k] = rho / ((1.0 - z) + rho)


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def grey_coefficients_cols(
    x: Any, lo: int, hi: int, offset: Any, scale: Any, constant: Any, rho: float, xi: Any
) -> None:  # pragma: no cover
    """:func:`grey_coefficients_rows` for a Fortran-contiguous x (and xi)."""
    m = x.shape[1]
    n = hi - lo
    xt, xit = x.T, xi.T
    for j in range(m):
        xs = xt[j, lo:hi]
        xo = xit[j, lo:hi]
        if constant[j]:
            xo[:] = 1.0  # rho / ((1 - 1) + rho)
            continue
        a, b = offset[j], scale[j]
        for i in range(n):
            z = (xs[i] - a) / b
            xo[i] = rho / ((1.0 - z) + rho)


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def entropy_grey_rows(
    x: Any, lo: int, hi: int, offset: Any, scale: Any, constant: Any, rho: float, xi: Any, out: Any
) -> None:  # pragma: no cover
    """Both at once from one read of x: out[0] = sum z, out[1] = sum z ln z, and xi.

    z and xi round exactly as in :func:`grey_coefficients_rows` (and numpy). Constant
    columns get z = 1 here; the caller sets their entropy to 1 regardless.
    """
    m = x.shape[1]
    width = max(1, _BLOCK // m) * m
    off = np.empty(width)  # per-column values laid out over a block
    sc = np.empty(width)
    one = np.empty(width)
    for k in range(width):
        off[k] = offset[k % m]
        sc[k] = scale[k % m]
        one[k] = 1.0 if constant[k % m] else 0.0
    acc_s = np.zeros(width)
    acc_l = np.zeros(width)
    zb = np.empty(width)
    f = np.empty(width)
    lnz = np.empty(width)
    xs = x[lo:hi].ravel()
    xo = xi[lo:hi].ravel()
    total = (hi - lo) * m
    for b0 in range(0, total, width):
        w = min(width, total - b0)
        xb = xs[b0:b0 + w]
        ob = xo[b0:b0 + w]
        for k in range(w):
            z = (xb[k] - off[k]) / sc[k] + one[k]
            ob[k] = rho / ((1.0 - z) + rho)
            acc_s[k] += z
            zb[k] = z
        _xlogx_block(zb, f, lnz, acc_l, w)
    for j in range(m):  # add up each column's partial sums
        s, sl = 0.0, 0.0
        for k in range(j, width, m):
            s += acc_s[k]
            sl += acc_l[k]
        out[0, j], out[1, j] = s, sl


@numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
def entropy_grey_cols(
    x: Any, lo: int, hi: int, offset: Any, scale: Any, constant: Any, rho: float, xi: Any, out: Any
) -> None:  # pragma: no cover
    """:func:`entropy_grey_rows` for a Fortran-contiguous x (and xi)."""
    m = x.shape[1]
    n = hi - lo
    xt, xit = x.T, xi.T
    acc_s = np.empty(_BLOCK)
    acc_l = np.empty(_BLOCK)
    zb = np.empty(_BLOCK)
    f = np.empty(_BLOCK)
    lnz = np.empty(_BLOCK)
    for j in range(m):
        xs = xt[j, lo:hi]
        xo = xit[j, lo:hi]
        if constant[j]:
            xo[:] = 1.0
            out[0, j], out[1, j] = float(n), 0.0
            continue
        a, b = offset[j], scale[j]
        acc_s[:] = 0.0
        acc_l[:] = 0.0
        for b0 in range(0, n, _BLOCK):
            w = min(_BLOCK, n - b0)
            xb = xs[b0:b0 + w]
            ob = xo[b0:b0 + w]
            for k in range(w):
                z = (xb[k] - a) / b
                ob[k] = rho / ((1.0 - z) + rho)
                acc_s[k] += z
                zb[k] = z
            _xlogx_block(zb, f, lnz, acc_l, w)
        s, sl = 0.0, 0.0
        for k in range(_BLOCK):
            s += acc_s[k]
            sl += acc_l[k]
        out[0, j], out[1, j] = s, sl
