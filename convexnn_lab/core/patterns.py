"""Hyperplane arrangement patterns D_i = diag(1[X u >= 0]) (chapter 1).

A pattern is the 0/1 vector ``1[X u >= 0]`` of a direction u that lies in an open
cell (region) of the central arrangement {u : x_j^T u = 0}, j = 1..n
(notation section of chapter 00). ``enumerate_patterns`` lists them all, exactly;
``sample_patterns`` draws some at random.

How the exact enumeration works.  Reduce X to its row space (rank r), so the
arrangement is essential and every open cell is a pointed cone.  A pointed cone has
extreme rays, and each ray is the line where r-1 independent hyperplanes meet: the
generalized cross product h of their normals spans it.  Around the ray +h (or -h)
every row off the ray keeps the sign of x_j^T h, and the rows through it split
the neighbourhood into the cells of a smaller arrangement of rank r-1.  When
exactly the r-1 chosen rows pass through h (general position) those cells are all
2^(r-1) sign choices; otherwise the smaller arrangement is enumerated the same way.
Visiting every choice of r-1 rows therefore finds every open cell, and nothing else.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .._internal.memory import available_memory, format_gib
from .._internal.progress import LazyBar
from .._internal.validation import (
    check_bool,
    check_choice,
    check_positive_int,
    check_seed,
    check_tolerance,
    check_X,
)

__all__ = [
    "cover_bound",
    "enumerate_patterns",
    "general_position_count",
    "generalized_cross_product",
    "patterns_of_directions",
    "sample_patterns",
    "unique_patterns",
]

_TOL = 1e-10
# sane range of `tol` in enumerate_patterns: cosines carry rounding errors of about
# 1e-15, and a row within an angle of about tol of a hyperplane counts as lying on it
_TOL_RANGE = (1e-13, 1e-6)


def general_position_count(n: int, r: int) -> int:
    """Number of patterns of n points of rank r in general position.

    ``2 * sum_{k=0}^{r-1} C(n-1, k)``: the number of regions of a central
    arrangement of n hyperplanes in general position in R^r.  It is also an upper
    bound on the number of patterns of any X of rank r with n rows.
    """
    n = check_positive_int(n, "n")
    r = check_positive_int(r, "r", minimum=0)
    if r == 0:
        return 1
    return 2 * sum(math.comb(n - 1, k) for k in range(r))


def cover_bound(n: int, r: int) -> float:
    """Cover's bound ``2 r (e (n-1) / r)^r`` on the number of patterns (inf where it
    exceeds the largest float)."""
    n = check_positive_int(n, "n")
    r = check_positive_int(r, "r")
    log = math.log(2.0 * r) + r * math.log(math.e * max(n - 1, 1) / r)
    return math.exp(log) if log < 709.0 else math.inf


def generalized_cross_product(U) -> np.ndarray:
    """Generalized cross product of d-1 vectors in R^d.

    ``x(U) = sum_i (-1)^(i-1) det(U with column i deleted) e_i`` (1-based i), so that
    ``x^T x(U) = det([x; U])`` for every x in R^d: the result is orthogonal to every
    row of U, and zero exactly when the rows are linearly dependent.

    Parameters
    ----------
    U : array_like of shape (d-1, d), or (B, d-1, d) for a batch

    Returns
    -------
    ndarray of shape (d,), or (B, d)
    """
    arr = np.asarray(U, dtype=np.float64)
    if arr.ndim not in (2, 3) or arr.shape[-1] != arr.shape[-2] + 1:
        raise ValueError(
            "U must have shape (d-1, d) (or (B, d-1, d) for a batch): d-1 vectors in "
            f"R^d, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError("U contains NaN or infinite values")
    batched = arr.ndim == 3
    if not batched:
        arr = arr[None]
    d = arr.shape[-1]
    out = np.empty(arr.shape[:-2] + (d,))
    if d == 1:
        out[:] = 1.0
    else:
        for i in range(d):
            minor = np.delete(arr, i, axis=-1)
            out[:, i] = (-1) ** i * np.linalg.det(minor)
    return out if batched else out[0]


def unique_patterns(patterns: np.ndarray, *, return_index: bool = False):
    """Unique rows of a bool pattern matrix, in order of first appearance."""
    patterns = np.asarray(patterns, dtype=bool)
    packed = np.packbits(patterns, axis=1)
    _, first = np.unique(packed, axis=0, return_index=True)
    first = np.sort(first)
    if return_index:
        return patterns[first], first
    return patterns[first]


def patterns_of_directions(X, U) -> np.ndarray:
    """Patterns ``1[X u >= 0]`` of the columns of U.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    U : ndarray of shape (d, m)

    Returns
    -------
    ndarray of bool, shape (m, n)
    """
    return (np.asarray(X) @ np.asarray(U) >= 0).T


def enumerate_patterns(
    X,
    *,
    max_patterns: int = 500_000,
    return_directions: bool = False,
    tol: float = _TOL,
    progress: bool = True,
):
    """All activation patterns of X: one row per open cell of its arrangement.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Data matrix (add a column of ones first for a bias).
    max_patterns : int
        Refuse (with a ValueError) when the arrangement may have more patterns than
        this, or when visiting it would take more than ``50 * max_patterns``
        hyperplane intersections.
    return_directions : bool
        Also return, for each pattern, a direction u strictly inside its cell
        (``1[X u >= 0]`` reproduces the pattern and no entry of ``X u`` is 0).
    tol : float, in [1e-13, 1e-6]
        Rows whose cosine with a direction is below `tol` count as passing through it
        (also the relative threshold for the rank of X).  Smaller
        values mistake rounding errors for signs; larger ones merge distinct thin cells,
        so patterns go missing (with ``tol=1e-5`` a Gaussian X of shape (30, 3) already
        loses 2 of its 872).
    progress : bool
        A progress bar over the hyperplane intersections to visit (their number is known
        before the first), drawn once the enumeration has run for a second.

    Returns
    -------
    patterns : ndarray of bool, shape (P, n)
        Unique rows, sorted lexicographically (False < True).  Rows of X that are
        zero (every entry 0) are always active (``0 >= 0``); a row is zero only then,
        however small its entries.
    directions : ndarray of shape (d, P), only if `return_directions`

    Raises
    ------
    ValueError
        If the arrangement is too large to enumerate; the message gives the
        estimated count and suggests :func:`sample_patterns`.  If `tol` is NaN,
        infinite or outside [1e-13, 1e-6].
    TypeError
        If `tol` is not a real number.

    See Also
    --------
    sample_patterns : random patterns for data of high rank (chapter 1).
    """
    X = check_X(X)
    n, d = X.shape
    max_patterns = check_positive_int(max_patterns, "max_patterns")
    return_directions = check_bool(return_directions, "return_directions")
    tol = check_tolerance(
        tol, "tol", low=_TOL_RANGE[0], high=_TOL_RANGE[1],
        meaning="it is the cosine below which a row of X counts as lying on a hyperplane: "
        "smaller values mistake rounding errors (about 1e-15) for signs, larger ones merge "
        f"distinct thin cells so patterns go missing; keep the default {_TOL:g}",
    )
    nonzero, Xu = _unit_rows(X)
    if Xu.shape[0] == 0:
        return _single_cell(n, d, return_directions)
    basis = _row_space(X, nonzero, Xu, tol)  # (d, r): u = basis @ z
    r = basis.shape[1]
    Xr = Xu @ basis
    Xr /= np.linalg.norm(Xr, axis=1, keepdims=True)
    m = Xr.shape[0]
    estimate = general_position_count(m, r)
    visits = math.comb(m, r - 1) * 2 ** (r - 1)
    if estimate > max_patterns or visits > 50 * max_patterns:
        raise ValueError(
            f"X has rank {r} and {m} nonzero rows: its arrangement may have up to "
            f"{_count(estimate)} patterns (Cover's bound {cover_bound(m, r):.3g}), and "
            f"enumerating them visits {_count(math.comb(m, r - 1))} hyperplane "
            "intersections; "
            f"that is over max_patterns={max_patterns:,}. Use "
            "sample_patterns(X, n_patterns) instead, reduce the rank "
            "(chapter 3), or raise max_patterns if you have the memory"
        )
    bar = LazyBar(math.comb(m, r - 1), f"enumerate patterns (rank {r}, {m} rows)",
                  disable=not check_bool(progress, "progress"))
    pats_r, dirs_r = _enumerate_essential(Xr, tol, return_directions, bar)
    bar.close()
    pats = np.ones((pats_r.shape[0], n), dtype=bool)
    pats[:, nonzero] = pats_r
    order = np.lexsort(np.packbits(pats, axis=1).T[::-1])
    pats = pats[order]
    if return_directions:
        return pats, basis @ dirs_r[order].T
    return pats


def _unit_rows(X):
    """The rows of X that are not zero, scaled to unit length: (mask (n,), rows (m, d)).

    A row is zero only when every entry is 0: a pattern depends on a row's direction
    alone, so a row of norm 1e-11 splits cells exactly as its unit row does.  Norms are
    taken after dividing each row by its largest entry, so tiny or huge rows neither
    underflow nor overflow.
    """
    top = np.abs(X).max(axis=1)
    nonzero = top > 0
    scaled = X[nonzero] / top[nonzero, None]
    return nonzero, scaled / np.linalg.norm(scaled, axis=1, keepdims=True)


def _row_space(X, nonzero, U, tol: float):
    """An orthonormal basis (d, r) of the span of the rows of X, with the rank r decided on
    the unit rows U (so a tiny row in a direction of its own counts) with the relative
    threshold `tol`.  Where X's own rows (scaled by their largest entry) give the same
    rank, their singular vectors are the basis: the same as before unit rows decided the
    rank, so sampled patterns do not move."""
    def svd_basis(A):
        _, s, vt = np.linalg.svd(A, full_matrices=False)
        return vt[:int((s > tol * s[0] * max(A.shape)).sum())].T

    unit = svd_basis(U)
    raw = svd_basis(X[nonzero] / np.abs(X).max())
    return raw if raw.shape[1] == unit.shape[1] else unit


def _single_cell(n: int, d: int, want_dirs: bool):
    """The one pattern of an all-zero X: ``x^T u = 0 >= 0`` for every u, all ones."""
    pats = np.ones((1, n), dtype=bool)
    if want_dirs:
        u = np.zeros((d, 1))
        u[0, 0] = 1.0
        return pats, u
    return pats


def _count(k: int) -> str:
    """A count for a message: digits up to 10^9, else "about 10^N" (a count such as
    C(2400, 384) is beyond a float)."""
    if k < 10**9:
        return f"{k:,}"
    return f"{float(k):.3g}" if k < 10**300 else f"about 10^{len(str(k)) - 1}"


def _enumerate_essential(Z: np.ndarray, tol: float, want_dirs: bool, bar=None):
    """Cells of the arrangement of the unit rows of Z (m, r), rank r.

    Returns unique patterns (P, m) and, if `want_dirs`, interior directions (P, r);
    `bar` (the top level's) counts the (r-1)-subsets of rows visited.
    """
    m, r = Z.shape
    if r == 1:
        pats = np.stack([Z[:, 0] > 0, Z[:, 0] < 0])
        dirs = np.array([[1.0], [-1.0]])
        return pats, (dirs if want_dirs else None)
    k = r - 1
    signs = np.array(list(itertools.product((True, False), repeat=k)), dtype=bool)
    sign_vals = np.where(signs, 1.0, -1.0)  # (2^k, k)
    chunk = max(1, int(2e7 // (2 ** r * m)))
    found_p, found_d = [], []
    seen_degenerate = set()
    combos = itertools.combinations(range(m), k)
    while True:
        idx = np.fromiter(
            itertools.chain.from_iterable(itertools.islice(combos, chunk)), dtype=np.intp
        ).reshape(-1, k)
        if idx.shape[0] == 0:
            break
        if bar is not None:
            bar.update(idx.shape[0])
        A = Z[idx]  # (B, k, r)
        h = generalized_cross_product(A)
        hn = np.linalg.norm(h, axis=1)
        ok = hn > tol
        idx, A, h = idx[ok], A[ok], h[ok] / hn[ok, None]
        if idx.shape[0] == 0:
            continue
        z = h @ Z.T  # (B, m)
        on_ray = np.abs(z) <= tol
        generic = on_ray.sum(axis=1) == k
        # general position at this ray: all 2^k sign choices around +h and -h
        if generic.any():
            gi, gz, gA = idx[generic], z[generic], A[generic]
            B = gi.shape[0]
            for orient in (1.0, -1.0):
                base = np.broadcast_to(orient * gz > 0, (2 ** k, B, m)).copy()
                base[:, np.arange(B)[:, None], gi] = signs[:, None, :]
                base = base.reshape(-1, m)
                if want_dirs:
                    c = np.einsum("brk,sk->sbr", np.linalg.pinv(gA), sign_vals)
                    dirs = _nudge(orient * h[generic], c, Z, gz)
                    found_d.append(dirs.reshape(-1, r))
                found_p.append(base)
        # degenerate rays: more than k rows pass through; recurse on those rows
        for b in np.flatnonzero(~generic):
            through = np.flatnonzero(on_ray[b])
            key = tuple(through)
            if key in seen_degenerate:
                continue
            seen_degenerate.add(key)
            Q = _complement(h[b])  # (r, r-1)
            L = Z[through] @ Q
            L /= np.linalg.norm(L, axis=1, keepdims=True)
            local_p, local_d = _enumerate_essential(L, tol, want_dirs)
            for orient in (1.0, -1.0):
                base = np.broadcast_to(orient * z[b] > 0, (local_p.shape[0], m)).copy()
                base[:, through] = local_p
                found_p.append(base)
                if want_dirs:
                    c = (local_d @ Q.T)[:, None, :]  # (P_local, 1, r)
                    dirs = _nudge(orient * h[b][None], c, Z, z[b][None])
                    found_d.append(dirs.reshape(-1, r))
        if len(found_p) > 64:
            found_p, found_d = _dedupe(found_p, found_d, want_dirs)
    found_p, found_d = _dedupe(found_p, found_d, want_dirs)
    return found_p[0], (found_d[0] if want_dirs else None)


def _nudge(h: np.ndarray, c: np.ndarray, Z: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Directions h + eps * c that keep the sign of every row off the ray.

    h : (B, r) rays, c : (S, B, r) offsets, z : (B, m) = h @ Z.T (up to sign).
    Returns (S, B, r).
    """
    zc = np.einsum("sbr,mr->sbm", c, Z)
    off = np.abs(z) > _TOL
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(off[None] & (np.abs(zc) > 0), np.abs(z)[None] / np.abs(zc), np.inf)
    eps = np.minimum(0.5 * ratio.min(axis=2), 1.0)  # (S, B)
    return h[None] + eps[..., None] * c


def _complement(h: np.ndarray) -> np.ndarray:
    """Orthonormal basis (r, r-1) of the hyperplane orthogonal to unit vector h."""
    q, _ = np.linalg.qr(np.column_stack([h, np.eye(h.shape[0])]))
    return q[:, 1 : h.shape[0]]


def _dedupe(found_p, found_d, want_dirs):
    pats = np.concatenate(found_p)
    pats, first = unique_patterns(pats, return_index=True)
    dirs = np.concatenate(found_d)[first] if want_dirs else None
    return [pats], ([dirs] if want_dirs else [])


def sample_patterns(
    X,
    n_patterns: int,
    method: str = "gaussian",
    seed=0,
    *,
    return_directions: bool = False,
    image_shape=None,
    patch: int = 3,
):
    """Random activation patterns of X.

    Parameters
    ----------
    X : array_like of shape (n, d)
    n_patterns : int
        Number of random directions to draw; duplicates are dropped, so fewer
        patterns may come back.
    method : {"gaussian", "cross_product", "conv"}
        "gaussian": u ~ N(0, I_d), pattern ``1[X u >= 0]``.
        "conv": convolutional gates (chapter 6): a random ``patch x patch`` filter
        (all channels, N(0, 1) weights) on a random patch of the image, zero elsewhere;
        needs `image_shape` = (C, H, W) with rows of X flattened channel-major (a last
        bias column, if present, gets weight 0).
        "cross_product": the hyperplane through r-1 randomly chosen data points
        (generalized cross product in the row space of X, rank r), and one of the
        cells around it chosen at random (chapter 5).  Every pattern is that of an
        open cell: the chosen points get a sign just off the hyperplane, every other
        point keeps its side; draws where another point lies on the hyperplane too
        are discarded.
    seed : None, int >= 0 or numpy.random.Generator

    Returns
    -------
    patterns : ndarray of bool, shape (P, n), P <= n_patterns, in order of discovery
    directions : ndarray of shape (d, P), only if `return_directions`
        Gaussian: the generating directions. Cross product: a direction strictly
        inside each cell.

    Raises
    ------
    MemoryError
        If the draws would need more memory than is available (about
        ``n_patterns * (8 d + 9 n)`` bytes for "gaussian" and "conv", more for
        "cross_product"); the message gives the estimate and suggests fewer patterns.
    TypeError, ValueError
        If `seed` is not None, an integer >= 0 or a numpy Generator, and for bad `X`,
        `n_patterns` or `method`.

    Notes
    -----
    An X whose rows are all zero has exactly one pattern, all ones (``0 >= 0`` for
    every direction): every method returns that single pattern.
    """
    X = check_X(X)
    n_patterns = check_positive_int(n_patterns, "n_patterns")
    check_choice(method, "method", ("gaussian", "cross_product", "conv"))
    seed = check_seed(seed)
    _check_sampling_memory(X, n_patterns, method)
    rng = np.random.default_rng(seed)
    n, d = X.shape
    if method in ("gaussian", "conv"):
        G = (rng.standard_normal((d, n_patterns)) if method == "gaussian"
             else conv_gates(image_shape, n_patterns, d=d, patch=patch, rng=rng))
        pats, first = unique_patterns(patterns_of_directions(X, G), return_index=True)
        return (pats, G[:, first]) if return_directions else pats
    return _sample_cross_product(X, n_patterns, rng, return_directions)


def _sampling_bytes(n: int, d: int, n_patterns: int, method: str) -> int:
    """Rough peak bytes of :func:`sample_patterns` (its largest temporaries at once)."""
    if method == "cross_product":
        r = min(n, d)  # rank bound
        k = max(r - 1, 1)
        # rays and their SVDs, (P, n) float64 products in `_nudge`, bool patterns, and the
        # list of index arrays the draws are stacked from
        per = 8 * (5 * n + 2 * k * r + k * k + 2 * r * r + k + r + d) + 3 * n + 120
    else:
        # directions (d, P) and products X @ G (n, P) in float64, patterns (P, n) bool,
        # packed patterns and the sort of np.unique
        per = 8 * (d + n) + n + 2 * (-(-n // 8)) + 24
    return n_patterns * per


def _check_sampling_memory(X: np.ndarray, n_patterns: int, method: str) -> None:
    n, d = X.shape
    need = _sampling_bytes(n, d, n_patterns, method)
    free = available_memory()
    if need <= free:
        return
    hint = ""
    # the bound is a sum of binomials: cheap for a low rank, huge and useless otherwise
    bound = general_position_count(n, min(n, d)) if min(n, d) <= 64 else None
    if bound is not None and bound < n_patterns:
        hint = (f" (X has {n} rows and rank <= {min(n, d)}, so at most {_count(bound)} distinct "
                "patterns exist and duplicates are dropped anyway)")
    raise MemoryError(
        f"sample_patterns with n_patterns={n_patterns:,} and method={method!r} needs about "
        f"{format_gib(need)} of memory for X of shape {X.shape} (directions d x n_patterns "
        f"and products n x n_patterns in float64, patterns n_patterns x n bool), but only "
        f"{format_gib(free)} is available; pass a smaller n_patterns{hint}, or sample in "
        "batches with different seeds and merge them with unique_patterns"
    )


def conv_gates(image_shape, n_gates: int, *, d: int | None = None, patch: int = 3,
               rng=None) -> np.ndarray:
    """Gate vectors that are random filters on random patches of an image.

    Parameters
    ----------
    image_shape : (C, H, W)
    n_gates : int
    d : int, optional
        Length of a gate: C*H*W, or C*H*W + 1 when X carries a bias column (weight 0).
    patch : int
        Filter size (patch x patch, every channel).
    rng : None, int >= 0 or numpy.random.Generator
        Seed or generator of the filters and patches.

    Returns
    -------
    ndarray of shape (d, n_gates): each column is nonzero on one C x patch x patch block.
    """
    if image_shape is None or len(image_shape) != 3:
        raise ValueError("method='conv' needs image_shape=(C, H, W), e.g. (3, 32, 32) for "
                         f"CIFAR-10 or (1, 8, 8) for digits; got {image_shape!r}")
    C, H, W = (check_positive_int(v, "image_shape") for v in image_shape)
    patch = check_positive_int(patch, "patch")
    if patch > min(H, W):
        raise ValueError(f"patch={patch} does not fit an image of {H}x{W}")
    size = C * H * W
    d = size if d is None else d
    if d not in (size, size + 1):
        raise ValueError(f"X has {d} columns but image_shape {image_shape} has {size} "
                         "pixels (one more column is allowed for a bias)")
    rng = np.random.default_rng(check_seed(rng, "rng"))
    G = np.zeros((d, n_gates))
    for k in range(n_gates):
        i = rng.integers(0, H - patch + 1)
        j = rng.integers(0, W - patch + 1)
        block = np.zeros((C, H, W))
        block[:, i:i + patch, j:j + patch] = rng.standard_normal((C, patch, patch))
        G[:size, k] = block.ravel()
    return G


def _sample_cross_product(X, n_patterns, rng, return_directions):
    n, d = X.shape
    nonzero, Xu = _unit_rows(X)
    if not nonzero.any():
        # no hyperplane to sample: the whole space is one cell (as in enumerate_patterns)
        return _single_cell(n, d, return_directions)
    basis = _row_space(X, nonzero, Xu, _TOL)
    r = basis.shape[1]
    Z = X[nonzero] @ basis
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    m = Z.shape[0]
    k = r - 1
    if r == 1 or m < k:
        G = rng.standard_normal((d, n_patterns))
        pats, first = unique_patterns(patterns_of_directions(X, G), return_index=True)
        return (pats, G[:, first]) if return_directions else pats
    idx = np.stack([rng.choice(m, size=k, replace=False) for _ in range(n_patterns)])
    A = Z[idx]  # (B, k, r)
    # null vector of each (k, r) block: the generalized cross product up to scale
    h = np.linalg.svd(A)[2][:, -1, :]
    z = h @ Z.T
    on_ray = np.abs(z) <= 1e-9
    ok = on_ray.sum(axis=1) == k
    idx, A, h, z = idx[ok], A[ok], h[ok], z[ok]
    B = idx.shape[0]
    if B == 0:
        raise ValueError(
            "every sampled hyperplane passed through more than r-1 data points "
            "(the data are degenerate); use method='gaussian'"
        )
    orient = np.where(rng.random(B) < 0.5, 1.0, -1.0)
    s_vals = np.where(rng.random((B, k)) < 0.5, 1.0, -1.0)
    pats_nz = orient[:, None] * z > 0
    pats_nz[np.arange(B)[:, None], idx] = s_vals > 0
    c = np.einsum("brk,bk->br", np.linalg.pinv(A), s_vals)[None]
    dirs = _nudge(orient[:, None] * h, c, Z, z)[0]
    pats = np.ones((B, n), dtype=bool)
    pats[:, nonzero] = pats_nz
    pats, first = unique_patterns(pats, return_index=True)
    if return_directions:
        return pats, basis @ dirs[first].T
    return pats
