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
    "check_patterns",
    "check_positive_int",
    "check_y",
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


def _as_float_array(value, name: str) -> np.ndarray:
    if value is None:
        raise TypeError(f"{name} is None; pass an array")
    try:
        import torch

        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    arr = np.asarray(value)
    if arr.dtype == bool:
        return arr.astype(np.float64)
    if not (np.issubdtype(arr.dtype, np.number)) or np.iscomplexobj(arr):
        raise TypeError(
            f"{name} must hold real numbers, got dtype {arr.dtype}; "
            "convert it with np.asarray(..., dtype=float)"
        )
    return arr.astype(np.float64, copy=False)


def _check_finite(arr: np.ndarray, name: str) -> None:
    if not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.isfinite(arr).sum())
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); "
            "drop or impute them before fitting"
        )


def check_seed(seed, name: str = "seed"):
    """Return `seed` if numpy can seed a Generator with it: None, an int >= 0, or a Generator."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"{name} must be a non-negative integer, None or a "
                        f"numpy.random.Generator, got {seed!r} ({type(seed).__name__})")
    return int(seed)
