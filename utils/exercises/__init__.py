"""The exercise pattern: every notebook's exercises are checked by functions from here.

A learner cell leaves its answer as ``None`` (or a function that returns ``None``) until the
learner fills it in; checkers then print a friendly "not attempted yet" note and return
False instead of raising, so "Run all" never stops at an exercise. When an answer is given
the checker says what is right or wrong and why, and returns True or False. Solution cells
(hidden by default) call the same checker inside ``assert`` so CI proves every solution works.

Notebook-specific checkers live in ``utils/exercises/nbNN.py``; the generic ones are below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

PASS = "✅"
FAIL = "❌"
TODO = "⏳"


def report(ok: bool, message: str) -> bool:
    """Print a pass/fail line and return ``ok``. Example: ``report(x == 3, "x is 3")``"""
    print(f"{PASS if ok else FAIL} {message}")
    return bool(ok)


def not_attempted(what: str) -> bool:
    """Print that an exercise is still open; return False. Example: ``not_attempted("Exercise 1")``"""
    print(f"{TODO} {what}: not attempted yet. Fill in the cell above and run it again.")
    return False


def is_blank(answer: Any) -> bool:
    """True for an answer the learner has not filled in (None, Ellipsis, or a function returning None)."""
    return answer is None or answer is Ellipsis


def call_safely(what: str, function: Callable, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """Call a learner's function; on an exception print what went wrong instead of crashing."""
    try:
        return True, function(*args, **kwargs)
    except Exception as error:  # the learner's code may fail in any way
        print(f"{FAIL} {what} raised {type(error).__name__}: {error}")
        return False, None


def check_close(what: str, answer: Any, expected: Any, *, rtol: float = 1e-3, atol: float = 1e-6, hint: str = "") -> bool:
    """Check a number or array against the expected value, with a hint when it is wrong.

    Example: ``check_close("bits per character", my_bpc, 2.05, rtol=0.01)``
    """
    if is_blank(answer):
        return not_attempted(what)
    try:
        given = np.asarray(answer.numpy() if hasattr(answer, "numpy") else answer, dtype="float64")
    except (TypeError, ValueError):
        return report(False, f"{what}: expected a number or array, got {type(answer).__name__}")
    wanted = np.asarray(expected, dtype="float64")
    if given.shape != wanted.shape:
        return report(False, f"{what}: expected shape {wanted.shape}, got {given.shape}. {hint}".strip())
    if not np.all(np.isfinite(given)):
        return report(False, f"{what}: your answer holds NaN or infinity. {hint}".strip())
    if np.allclose(given, wanted, rtol=rtol, atol=atol):
        return report(True, f"{what}: correct.")
    shown = f"{float(given):.4g} (expected about {float(wanted):.4g})" if given.ndim == 0 else "values differ from the expected ones"
    return report(False, f"{what}: {shown}. {hint}".strip())


def attempt(what: str, answer: Any, *args: Any) -> tuple[str, Any]:
    """Call the learner's function on known inputs: ``("blank" | "error" | "ok", result)``.

    Blank answers (None, or a function that still returns None) print "not attempted"; a
    non-function or a function that raises prints why. Example: ``status, out = attempt(what, f, x)``
    """
    if is_blank(answer):
        not_attempted(what)
        return "blank", None
    if not callable(answer):
        report(False, f"{what}: expected a function, got {type(answer).__name__}")
        return "error", None
    ok, result = call_safely(what, answer, *args)
    if not ok:
        return "error", None
    if result is None:
        not_attempted(what)
        return "blank", None
    return "ok", result


def check_function(what: str, function: Any, signature: str = "") -> bool | None:
    """None when ``function`` can be called; otherwise print why not and return False.

    ``signature`` (e.g. ``"(size, kernel, stride) -> int"``) is shown when a non-function is passed.
    Example: ``verdict = check_function(what, f); if verdict is not None: return verdict``
    """
    if is_blank(function):
        return not_attempted(what)
    if not callable(function):
        expected = f"a function {signature}".rstrip()
        return report(False, f"{what}: expected {expected}, got {type(function).__name__}")
    return None


def to_array(value: Any, dtype: str | None = None) -> np.ndarray | None:
    """A learner's result (array, list or tensor) as a NumPy array, or None when it is not array-like."""
    try:
        return np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=dtype)
    except (TypeError, ValueError):
        return None


def as_float_array(what: str, result: Any, shape: tuple) -> np.ndarray | None:
    """A learner's result as a float64 array of the expected shape, or None after saying what is wrong."""
    array = to_array(result, "float64")
    if array is None:
        report(False, f"{what}: expected an array of numbers, got {type(result).__name__}")
        return None
    if array.shape != shape:
        report(False, f"{what}: expected shape {shape}, got {array.shape}")
        return None
    return array


def as_number(what: str, result: Any, *, whole: bool = False, hint: str = "") -> float | None:
    """A learner's result as one finite float (an int when ``whole``), or None after saying what is wrong.

    Arrays with more than one value, strings, dicts, NaN and infinity are reported, never raised;
    with ``whole=True`` a value such as 14.9 is rejected rather than truncated to 14.
    Example: ``value = as_number(what, result, whole=True); if value is None: return False``
    """
    array = None if isinstance(result, (str, bytes, dict)) else to_array(result, "float64")
    if array is None or array.size != 1:
        shown = type(result).__name__ if array is None else f"an array of shape {array.shape}"
        report(False, f"{what}: expected one number, got {shown}. {hint}".strip())
        return None
    value = float(array.reshape(()))
    if not np.isfinite(value):
        report(False, f"{what}: got {value}, expected a finite number. {hint}".strip())
        return None
    if whole:
        if value != round(value):
            report(False, f"{what}: got {value:g}, expected a whole number (a count or a size). {hint}".strip())
            return None
        return int(round(value))
    return value
