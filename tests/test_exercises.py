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
