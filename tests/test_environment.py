"""Set-up promises: pinned requirements, a conda file that agrees, CI calling the README's test command."""

import pathlib
import re
import subprocess
import sys

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
    runtime = colab_install.runtime_requirements()
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


def test_makefile_has_the_documented_targets():
    out = subprocess.run(["make", "-n", "-C", str(ROOT), "lab", "test", "execute"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "jupyter lab notebooks/" in out.stdout and "COURSE_MODE=smoke" in out.stdout and "nbtool.py execute" in out.stdout
