import numpy as np

from utils import exercises


def test_check_close_reports_each_case(capsys):
    assert exercises.check_close("answer", 2.0, 2.0)
    assert not exercises.check_close("answer", 3.0, 2.0, hint="Use log base 2.")
    assert not exercises.check_close("answer", None, 2.0)
    assert not exercises.check_close("answer", np.ones(3), np.ones(2))
    assert not exercises.check_close("answer", "two", 2.0)
    assert not exercises.check_close("answer", float("nan"), 2.0)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✅")
    assert out[1].startswith("❌") and "expected about 2" in out[1] and "log base 2" in out[1]
    assert out[2].startswith("⏳") and "not attempted" in out[2]
    assert "shape" in out[3] and "expected a number" in out[4] and "NaN" in out[5]


def test_call_safely_reports_learner_errors(capsys):
    ok, value = exercises.call_safely("my_function", lambda x: 1 / x, 0)
    assert not ok and value is None
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert exercises.call_safely("f", lambda: 3) == (True, 3)


def test_is_blank():
    assert exercises.is_blank(None) and exercises.is_blank(...)
    assert not exercises.is_blank(0)


def test_attempt_sorts_blank_error_and_ok(capsys):
    assert exercises.attempt("task", None) == ("blank", None)
    assert exercises.attempt("task", lambda: None) == ("blank", None)
    assert exercises.attempt("task", 3) == ("error", None)
    assert exercises.attempt("task", lambda x: 1 / x, 0) == ("error", None)
    assert exercises.attempt("task", lambda x: x + 1, 1) == ("ok", 2)
    out = capsys.readouterr().out
    assert out.count("not attempted") == 2 and "expected a function, got int" in out and "ZeroDivisionError" in out


def test_check_function_and_arrays(capsys):
    assert exercises.check_function("task", print) is None
    assert exercises.check_function("task", None) is False
    assert exercises.check_function("task", "text") is False
    assert exercises.check_function("task", 3, "(size, kernel) -> int") is False
    assert exercises.to_array([[1, 2]]).shape == (1, 2)
    assert exercises.to_array([[1], [2, 3]]) is None  # ragged
    assert exercises.as_float_array("task", [1.0, 2.0], (2,)).dtype == np.float64
    assert exercises.as_float_array("task", [1.0, 2.0], (3,)) is None
    assert exercises.as_float_array("task", "abc", ()) is None
    out = capsys.readouterr().out
    assert "expected shape (3,), got (2,)" in out and "expected an array of numbers" in out
    assert "task: expected a function, got str" in out and "task: expected a function (size, kernel) -> int, got int" in out


def test_as_number_rejects_what_is_not_one_finite_number(capsys):
    assert exercises.as_number("task", np.float32(2.5)) == 2.5
    assert exercises.as_number("task", np.array([[3.0]])) == 3.0
    assert exercises.as_number("task", 14.0, whole=True) == 14 and isinstance(exercises.as_number("task", 14.0, whole=True), int)
    for junk in (14.9, "14", {"modes": 14}, np.arange(3), float("inf"), None):
        assert exercises.as_number("task", junk, whole=True, hint="Count the modes.") is None
    out = capsys.readouterr().out.splitlines()
    assert all(line.startswith("❌ task: ") and line.endswith("Count the modes.") for line in out) and len(out) == 6
    assert "got 14.9, expected a whole number" in out[0]  # not truncated to 14
    assert "got str" in out[1] and "got dict" in out[2] and "array of shape (3,)" in out[3] and "got inf" in out[4]
