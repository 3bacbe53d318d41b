"""Input checks shared by the public API.

Every public function validates its arguments here, so an error always names the
argument, says what was wrong and how to fix it.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_X",
    "check_Xy",
    "check_beta",
    "check_bool",
    "check_choice",
    "check_device",
    "check_optional_count",
    "check_patterns",
    "check_positive_int",
    "check_seed",
    "check_tolerance",
    "check_y",
    "refuse_masked",
]


def check_X(X, name: str = "X", *, min_rows: int = 1) -> np.ndarray:
    """Return `X` as a float64 array of shape (n, d), or raise a clear error."""
    arr = _as_float_array(X, name)
    if arr.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D of shape (n, d), got a 1-D array of shape {arr.shape}; "
            f"for a single feature use {name}.reshape(-1, 1)"
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D of shape (n, d), got shape {arr.shape}")
    if arr.shape[0] < min_rows or arr.shape[1] == 0:
        raise ValueError(
            f"{name} is empty (shape {arr.shape}); it needs at least {min_rows} row(s) "
            "and one column"
        )
    _check_finite(arr, name)
    _check_scale(arr, name)
    return arr


def check_y(y, n: int, name: str = "y", *, allow_matrix: bool = False) -> np.ndarray:
    """Return `y` as float64 of shape (n,) (or (n, c) if `allow_matrix`)."""
    arr = _as_float_array(y, name)
    if arr.ndim == 2 and arr.shape[1] == 1 and not allow_matrix:
        arr = arr[:, 0]
    if arr.ndim == 2 and not allow_matrix:
        raise ValueError(
            f"{name} must be 1-D of shape ({n},), got shape {arr.shape}; "
            "vector outputs are not supported here"
        )
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D of shape ({n},), got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(
            f"{name} has {arr.shape[0]} entries but X has {n} rows; "
            "they must describe the same samples"
        )
    _check_finite(arr, name)
    _check_scale(arr, name)
    return arr


def check_Xy(X, y, *, allow_matrix: bool = False):
    """Validate a data matrix and its targets together."""
    X = check_X(X)
    return X, check_y(y, X.shape[0], allow_matrix=allow_matrix)


def check_beta(beta, name: str = "beta", *, allow_zero: bool = False) -> float:
    """Return the regularization strength as a float; it must be > 0."""
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(beta).__name__}")
    beta = float(beta)
    if not np.isfinite(beta):
        raise ValueError(f"{name} must be finite, got {beta}")
    if beta > SCALE_RANGE[1] or 0 < beta < SCALE_RANGE[0]:
        raise ValueError(f"{name} is {beta:.1e}, outside [{SCALE_RANGE[0]:g}, "
                         f"{SCALE_RANGE[1]:g}]: no float64 computation with it can be "
                         "trusted; rescale the data and beta together")
    if beta < 0 or (beta == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"{name} must be {bound}, got {beta}; it is the weight decay of the network "
            "(try a small positive value such as 1e-3)"
        )
    return beta


def check_patterns(patterns, n: int, name: str = "patterns") -> np.ndarray:
    """Return `patterns` as a bool array of shape (P, n)."""
    arr = np.asarray(patterns)
    if arr.size == 0:
        raise ValueError(
            f"{name} is empty; pass at least one pattern "
            "(enumerate_patterns(X) or sample_patterns(X, P))"
        )
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D of shape (P, n), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(
            f"{name} is empty; pass at least one pattern "
            "(enumerate_patterns(X) or sample_patterns(X, P))"
        )
    if arr.shape[1] != n:
        hint = " (did you pass the transpose?)" if arr.shape[0] == n else ""
        raise ValueError(
            f"{name} must have one column per row of X: expected shape (P, {n}), "
            f"got {arr.shape}{hint}"
        )
    if arr.dtype != bool:
        if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, (0, 1)).all():
            raise TypeError(
                f"{name} must be boolean (or 0/1), got dtype {arr.dtype} with other values"
            )
        arr = arr.astype(bool)
    return arr


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Return `value` as int, requiring `value >= minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_bool(value, name: str) -> bool:
    """Return `value` if it is a bool (numpy's too); strings such as "False" are refused."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r} "
                    f"({type(value).__name__})")


def check_device(device) -> str:
    """Return a torch device name: None -> "cuda" when a GPU is visible, else "cpu"."""
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"device must be 'cpu', 'cuda' or 'cuda:k' (a string), got "
                        f"{device!r} ({type(device).__name__})")
    kind, _, index = device.partition(":")
    if kind not in ("cpu", "cuda") or (index and not (kind == "cuda" and index.isdigit())):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:k', got {device!r}")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but torch sees no GPU; use "
                         "device='cpu'")
    if index and int(index) >= torch.cuda.device_count():
        raise ValueError(f"device={device!r}: torch sees {torch.cuda.device_count()} GPU(s), "
                         "numbered from 0")
    return device


def check_choice(value, name: str, choices) -> str:
    """Return `value` if it is one of `choices`."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def refuse_masked(value, name: str) -> None:
    """A masked array's hidden entries would be used as if they were data: refuse it."""
    if isinstance(value, np.ma.MaskedArray) and np.ma.is_masked(value):
        raise ValueError(f"{name} is a masked array with {int(np.ma.count_masked(value))} "
                         "masked entries, which would be used as data; fill or drop them "
                         f"first ({name}.filled(...) or {name}[~{name}.mask.any(axis=1)])")


def _as_float_array(value, name: str) -> np.ndarray:
    if value is None:
        raise TypeError(f"{name} is None; pass an array")
    refuse_masked(value, name)
    if _is_sparse(value):
        raise TypeError(
            f"{name} is a scipy sparse matrix ({type(value).__name__} of shape "
            f"{value.shape}); convexnn_lab needs dense arrays: pass {name}.toarray()"
        )
    try:
        import torch

        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    try:
        arr = np.asarray(value)
    except ValueError as exc:
        ragged = _row_lengths(value)
        if ragged is None:
            raise
        raise ValueError(
            f"{name} is ragged: {ragged}; every row must have the same number of "
            "entries (pad or drop the short rows)"
        ) from exc
    if arr.dtype == bool:
        return arr.astype(np.float64)
    if not (np.issubdtype(arr.dtype, np.number)) or np.iscomplexobj(arr):
        raise TypeError(
            f"{name} must hold real numbers, got dtype {arr.dtype}; "
            "convert it with np.asarray(..., dtype=float)"
        )
    return arr.astype(np.float64, copy=False)


def _is_sparse(value) -> bool:
    # scipy is a dependency, but only look it up when the object could be sparse
    if not hasattr(value, "toarray") or not hasattr(value, "shape"):
        return False
    try:
        import scipy.sparse
    except ImportError:  # pragma: no cover - scipy is a dependency
        return False
    return bool(scipy.sparse.issparse(value))


def _row_lengths(value) -> str | None:
    """Say how a nested sequence is ragged, e.g. "... lengths (2 in rows 0, 2; 1 in row 1)"."""
    try:
        rows = list(value)
    except TypeError:
        return None
    found: dict = {}
    for i, row in enumerate(rows):
        length = len(row) if hasattr(row, "__len__") and not isinstance(row, str) else None
        found.setdefault(length, []).append(i)
    if len(found) < 2:
        # the rows agree in length; the nesting inside them is ragged
        return "its rows have equal lengths but the sequences inside them do not" if rows else None
    parts = []
    for length, idx in found.items():
        shown = ", ".join(str(i) for i in idx[:5]) + (", ..." if len(idx) > 5 else "")
        what = "a scalar" if length is None else str(length)
        parts.append(f"{what} in row{'s' if len(idx) > 1 else ''} {shown}")
    return f"its rows have different lengths ({'; '.join(parts)})"


def _check_finite(arr: np.ndarray, name: str) -> None:
    if not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.isfinite(arr).sum())
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); "
            "drop or impute them before fitting"
        )


# the entries' magnitudes float64 computes with: squares, norms and products of entries
# outside this range underflow to 0 or overflow to inf (and scipy's NNLS aborts the
# interpreter on the infinities)
SCALE_RANGE = (1e-100, 1e100)


def _check_scale(arr: np.ndarray, name: str) -> None:
    top = float(np.abs(arr).max(initial=0.0))
    if top and not SCALE_RANGE[0] <= top <= SCALE_RANGE[1]:
        raise ValueError(
            f"{name}'s largest entry is {top:.1e}, outside [{SCALE_RANGE[0]:g}, "
            f"{SCALE_RANGE[1]:g}]: squares and products of such entries "
            f"{'underflow to 0' if top < 1 else 'overflow to inf'} in float64, so no result "
            f"could be trusted; rescale it (e.g. {name} / np.abs({name}).max()), and beta "
            "with the loss (for the squared loss, scaling X and y by c scales beta by c^2)")


def check_tolerance(value, name: str, *, low: float, high: float, meaning: str) -> float:
    """Return a tolerance as a float, requiring ``low <= value <= high``.

    Parameters
    ----------
    value : float
    name : str
        The argument's name, for the message.
    low, high : float
        The sane range.
    meaning : str
        What the tolerance does and why the range is what it is; ends the message.

    Raises
    ------
    TypeError
        If `value` is not a real number.
    ValueError
        If `value` is NaN, infinite or outside ``[low, high]``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must lie in [{low:g}, {high:g}], got {value}; {meaning}")
    return value


def check_seed(seed, name: str = "seed"):
    """Return a seed that ``numpy.random.default_rng`` takes reproducibly.

    Parameters
    ----------
    seed : None, int >= 0 or numpy.random.Generator
        None draws fresh entropy (not reproducible); a Generator is used as it is.
    name : str
        The argument's name, for the message.

    Returns
    -------
    None, int or numpy.random.Generator

    Raises
    ------
    TypeError
        If `seed` is a bool, a float, a string or any other type.
    ValueError
        If `seed` is a negative integer.
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        shown = repr(seed) if len(repr(seed)) <= 40 else repr(seed)[:37] + "..."
        hint = ""
        whole = isinstance(seed, numbers.Real) and np.isfinite(seed) and float(seed).is_integer()
        if whole and not isinstance(seed, bool) and seed >= 0:
            hint = f" ({name}={int(seed)} works)"
        raise TypeError(
            f"{name} must be None, an integer >= 0 or a numpy.random.Generator, got "
            f"{type(seed).__name__} {shown}{hint}; pass e.g. {name}=0 for reproducible results"
        )
    if seed < 0:
        raise ValueError(
            f"{name} must be an integer >= 0, got {seed}; numpy seeds are non-negative "
            f"(pass e.g. {name}={-int(seed)})"
        )
    return int(seed)


def check_optional_count(value, name: str):
    """Return None, or `value` as an int >= 1 (a number of rows to keep).

    Raises
    ------
    TypeError
        If `value` is neither None nor an integer.
    ValueError
        If `value` is below 1 (a negative count is not a slice end here).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer or None (every row), got "
                        f"{type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1 or None (every row), got {value}; it is the "
                         "number of rows to keep, not a slice end")
    return int(value)
