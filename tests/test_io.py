import pytest

from utils import io


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "sub" / "value.json"
    io.atomic_write_json(target, {"a": 1})
    io.atomic_write_json(target, {"a": 2})
    assert io.read_json(target) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["value.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "keep.txt"
    io.atomic_write_text(target, "old")
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_bad_inputs(tmp_path):
    with pytest.raises(TypeError, match="data must be bytes"):
        io.atomic_write_bytes(tmp_path / "x", "text")
    with pytest.raises(TypeError, match="text must be a str"):
        io.atomic_write_text(tmp_path / "x", b"bytes")
    with pytest.raises(FileNotFoundError, match="no JSON file"):
        io.read_json(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        io.read_json(tmp_path / "bad.json")
