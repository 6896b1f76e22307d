"""Install what Google Colab lacks for the course, keeping what Colab already has.

Called by the setup cell of every notebook when it runs on Colab. It reads the course's
runtime packages from requirements.txt (the part above the "tooling" marker), skips every
package that is already installed, and keeps Colab's TensorFlow when it is 2.16 or newer.
"""

from __future__ import annotations

import importlib.metadata
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOOLING_MARKER = "# --- tooling"
MIN_TENSORFLOW = (2, 16)


def runtime_requirements(path: pathlib.Path = ROOT / "requirements.txt") -> list[tuple[str, str]]:
    """(name, pinned version) pairs of the runtime section of requirements.txt."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(TOOLING_MARKER):
            break
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip())
        if match:
            pairs.append((match.group(1), match.group(2)))
    return pairs


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def missing(pairs: list[tuple[str, str]]) -> list[str]:
    """Pinned specs for the packages that are not installed (TensorFlow: not installed or too old)."""
    wanted = []
    for name, version in pairs:
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if name == "tensorflow" and installed and version_tuple(installed) >= MIN_TENSORFLOW:
            continue
        if name == "keras" and installed and version_tuple(installed) >= (3, 0):
            continue
        if installed is None or (name == "tensorflow" and version_tuple(installed) < MIN_TENSORFLOW):
            wanted.append(f"{name}=={version}")
    return wanted


def main() -> None:
    specs = missing(runtime_requirements())
    if not specs:
        print("Colab already has everything the course needs.")
        return
    print("Installing:", " ".join(specs))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *specs], check=True)
    if any(spec.startswith(("tensorflow==", "keras==")) for spec in specs):
        print("TensorFlow/Keras were upgraded: use Runtime > Restart session, then run the notebook again.")


if __name__ == "__main__":
    main()
