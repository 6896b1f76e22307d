"""Argument checks shared by the public helpers: each error names the argument,
what was expected and what was given, and hints at the fix."""

from __future__ import annotations

import pathlib
from collections.abc import Iterable
from typing import Any

import numpy as np


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:120]


def as_array(
    name: str,
    value: Any,
    *,
    ndim: int | Iterable[int] | None = None,
    shape: tuple | None = None,
    numeric: bool = True,
    finite: bool = True,
    min_len: int = 0,
) -> np.ndarray:
    """Convert ``value`` to a NumPy array and check its rank, shape and values."""
    if value is None:
        raise TypeError(f"{name} must be an array, got None")
    try:
        array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    except Exception as error:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like, got {_describe(value)} ({error})") from None
    if numeric and not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
                f"got shape {array.shape}"
            )
    if shape is not None:
        if len(shape) != array.ndim or any(s is not None and s != a for s, a in zip(shape, array.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {array.shape}")
    if len(array) < min_len if array.ndim else min_len > 0:
        raise ValueError(f"{name} needs at least {min_len} items, got {len(array) if array.ndim else 0}")
    if finite and numeric and array.size and np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
            raise ValueError(
                f"{name} holds {bad} NaN or infinite values; check for an exploding loss "
                "or a division by zero before this call"
            )
    return array


def positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Check that ``value`` is an int of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def number_in(name: str, value: Any, low: float, high: float, *, inclusive: bool = True) -> float:
    """Check that ``value`` is a real number within [low, high] (or (low, high))."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    value = float(value)
    ok = low <= value <= high if inclusive else low < value < high
    if not ok or not np.isfinite(value):
        brackets = "[]" if inclusive else "()"
        raise ValueError(f"{name} must be in {brackets[0]}{low}, {high}{brackets[1]}, got {value}")
    return value


def one_of(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def existing_file(name: str, path: Any, *, hint: str = "") -> pathlib.Path:
    """Check that ``path`` names an existing file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{name}: no file at {path}. {hint}".strip())
    return path
