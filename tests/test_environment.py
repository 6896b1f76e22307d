"""Set-up promises: pinned requirements, a conda file that agrees, CI calling the README's test command."""

import pathlib
import platform
import re
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import colab_install  # noqa: E402


def _pins(lines):
    return {m.group(1).lower(): m.group(2) for m in (re.match(r"^\s*(?:-\s*)?([A-Za-z0-9_.\-]+)==(\S+)\s*$", line) for line in lines) if m}


def test_requirements_are_all_pinned():
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines and all("==" in line for line in lines), "every requirement must be pinned with =="


def test_environment_yml_lists_the_same_packages():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert _pins(pip_section) == _pins((ROOT / "requirements.txt").read_text().splitlines())
    assert any(str(item).startswith("python=3.1") for item in environment["dependencies"])


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)


def test_installed_versions_match_the_pins():
    from importlib.metadata import version

    pins = _pins((ROOT / "requirements.txt").read_text().splitlines())
    mismatched = {name: (pin, version(name)) for name, pin in pins.items() if version(name) != pin}
    assert not mismatched, f"installed packages differ from requirements.txt: {mismatched}; run `make install`"


def test_colab_installer_keeps_what_colab_has():
    runtime = colab_install.runtime_requirements() + colab_install.nodeps_requirements()
    names = [name for name, _ in runtime]
    assert "tensorflow" in names and "pytest" not in names and "jupyterlab" not in names
    installed = {"tensorflow": "2.17.1", "keras": "3.5.0", "numpy": "1.26.4", "scipy": "1.11.0"}
    steps = colab_install.plan(runtime, installed)
    wanted = [*steps.tensorflow, *steps.data_only, *(f"{n}=={v}" for n, v in steps.constrained)]
    assert not any(spec.startswith(("tensorflow==", "keras==", "numpy==", "scipy==")) for spec in wanted)
    # the data-only packages go in without dependencies; tests/test_colab_install.py runs the real thing
    assert sorted(spec.split("==")[0] for spec in steps.data_only) == sorted(colab_install.DATA_ONLY)
    installed["tensorflow"] = "2.15.0"  # too old: the course's pin is installed
    assert any(spec.startswith("tensorflow==") for spec in colab_install.plan(runtime, installed).tensorflow)


def test_data_only_wheels_are_pinned_locked_and_installed_without_dependencies():
    from importlib.metadata import version

    nodeps = colab_install.nodeps_requirements()
    assert ("molsets", "0.3.1") in nodeps, "requirements-nodeps.txt must pin molsets (MOSES data, notebook 16)"
    lock = _lock()
    assert all(lock.get(colab_install.normalize(name)) == pin for name, pin in nodeps), "run `make lock`"
    assert all(version(name) == pin for name, pin in nodeps), "run `make install`"
    assert {colab_install.normalize(name) for name, _ in nodeps} <= set(colab_install.DATA_ONLY)
    out = subprocess.run(["make", "-n", "-B", "-C", str(ROOT), "install", "VENV=/nonexistent/venv"], capture_output=True, text=True)
    assert "--no-deps -r requirements-nodeps.txt" in out.stdout
    # what molsets 0.3.1 would drag in is absent: its code is never imported, only its CSV files read
    import importlib.util

    assert importlib.util.find_spec("torch") is None and importlib.util.find_spec("pomegranate") is None


def test_makefile_has_the_documented_targets():
    out = subprocess.run(["make", "-n", "-C", str(ROOT), "lab", "test", "execute"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "jupyter lab notebooks/" in out.stdout and "COURSE_MODE=smoke" in out.stdout and "nbtool.py execute" in out.stdout


# ----------------------------------------------------------------------------- lock file

def _lock():
    lines = [line for line in (ROOT / "requirements.lock").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*==[^\s=]+", line) for line in lines), "lock lines must be name==version"
    return {colab_install.normalize(line.split("==")[0]): line.split("==")[1] for line in lines}


def test_lock_agrees_with_requirements():
    lock = _lock()
    pins = {colab_install.normalize(name): version for name, version in _pins((ROOT / "requirements.txt").read_text().splitlines()).items()}
    disagree = {name: (pin, lock.get(name)) for name, pin in pins.items() if lock.get(name) != pin}
    assert not disagree, f"requirements.lock disagrees with requirements.txt (pin, lock): {disagree}; run `make lock`"


def test_lock_covers_every_installed_distribution():
    from importlib.metadata import distributions

    lock = _lock()
    installed = {colab_install.normalize(d.metadata["Name"]): d.version for d in distributions()}
    for tool in ("pip", "setuptools", "wheel"):  # pip freeze leaves out the installers themselves
        installed.pop(tool, None)
    unlocked = {name: (version, lock.get(name)) for name, version in installed.items() if lock.get(name) != version}
    assert not unlocked, f"installed packages missing from requirements.lock or at other versions (installed, locked): {unlocked}"
    made = re.search(r"^# Made with Python (\d+\.\d+)\.\d+ on (\S+) (\S+)\.$", (ROOT / "requirements.lock").read_text(), re.M)
    assert made, "requirements.lock must say where it was made: run `make lock`"
    if made.groups() == (".".join(platform.python_version_tuple()[:2]), platform.system(), platform.machine()):
        # where the lock was made nothing may be left over; elsewhere some entries apply only there (e.g. `overrides` < 3.12)
        assert not set(lock) - set(installed), f"locked but not installed: {sorted(set(lock) - set(installed))}; run `make lock`"


def test_make_install_uses_the_lock():
    out = subprocess.run(["make", "-n", "-B", "-C", str(ROOT), "install", "VENV=/nonexistent/venv"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "-r requirements.txt -c requirements.lock" in out.stdout


# ----------------------------------------------------------------------------- Makefile refusals

def _fake_python(tmp_path, version, venv_fails=False):
    """A stand-in interpreter: reports `version`, and fails `-m venv` when asked to."""
    script = tmp_path / "fakepython"
    venv = 'echo "Error: ensurepip is not available" >&2; exit 1' if venv_fails else 'mkdir -p "$3/bin"; exit 0'
    script.write_text(f'#!/bin/sh\nif [ "$1" = "-c" ]; then echo {version}; exit 0; fi\n'
                      f'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then {venv}; fi\necho "unexpected: $*" >&2; exit 3\n')
    script.chmod(0o755)
    return script


def _make(tmp_path, python, target="install"):
    venv = tmp_path / "venv"
    out = subprocess.run(["make", "-C", str(ROOT), target, f"PYTHON={python}", f"VENV={venv}", f"LOCK_VENV={tmp_path / 'lockvenv'}",
                          f"OLDEST_VENV={tmp_path / 'oldestvenv'}"],
                         capture_output=True, text=True, timeout=60)
    return out, venv


@pytest.mark.parametrize("version, advice", [
    ("3.10", "the course needs Python 3.11 3.12 3.13 (TensorFlow 2.21's wheels)"),
    ("3.14", "TensorFlow 2.21 has no wheels for it yet"),
    ("3.15", "TensorFlow 2.21 has no wheels for it yet"),
])
@pytest.mark.parametrize("target", ["install", "lock"])
def test_makefile_refuses_unsupported_python(tmp_path, version, advice, target):
    out, venv = _make(tmp_path, _fake_python(tmp_path, version), target)
    assert out.returncode != 0
    assert f"is Python {version}" in out.stderr and advice in out.stderr and "PYTHON=python3.1" in out.stderr
    assert "Platforms and Python versions" in out.stderr and "pip" not in out.stdout
    assert not venv.exists() and not (tmp_path / "lockvenv").exists()


def test_oldest_environment_refuses_python_3_13(tmp_path):
    out, _ = _make(tmp_path, _fake_python(tmp_path, "3.13"), "oldest")  # TensorFlow 2.16.2 has wheels up to 3.12
    assert out.returncode != 0 and "TensorFlow 2.16.2 has no wheels for it yet" in out.stderr and "PYTHON=python3.12" in out.stderr
    assert not (tmp_path / "oldestvenv").exists()


def test_makefile_explains_a_missing_venv_module(tmp_path):
    out, venv = _make(tmp_path, _fake_python(tmp_path, "3.12", venv_fails=True))
    assert out.returncode != 0
    assert "ensurepip is not available" in out.stderr  # Python's own message, then ours
    assert "sudo apt install python3-venv" in out.stderr and "python3.12-venv" in out.stderr
    assert not venv.exists()


def test_makefile_accepts_supported_python(tmp_path):
    # 3.13 passes the check and creates the venv; the fake then has no pip, which is where this test stops
    out, venv = _make(tmp_path, _fake_python(tmp_path, "3.13"))
    assert "is Python" not in out.stderr and "venv module" not in out.stderr
    assert (venv / "bin").is_dir() and "pip install" in out.stdout
