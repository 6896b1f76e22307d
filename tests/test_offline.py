"""Tests run with every non-loopback connection refused: in the pytest process (pytest-socket, see
pyproject.toml) and in every Python process they start, notebook kernels included
(tools/offline/sitecustomize.py, switched on by conftest.py)."""

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys

import pytest
from pytest_socket import SocketBlockedError, SocketConnectBlockedError

ROOT = pathlib.Path(__file__).resolve().parent.parent
# TEST-NET-1 (RFC 5737): reserved for documentation, never routed. The kernel tests also run in a
# network namespace of their own with no interface up, so even a broken guard sends nothing.
OUTSIDE = ("192.0.2.1", 9)
PROBE = f"""
import socket
try:
    socket.create_connection({OUTSIDE!r}, timeout=2)
    outcome = "connected"
except Exception as error:
    outcome = type(error).__name__ + ": " + str(error)
print("OUTCOME", outcome)
"""


def test_outside_connections_are_refused():
    with pytest.raises((SocketBlockedError, SocketConnectBlockedError)):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_loaders_work_offline():
    from utils import data

    assert len(data.load_mnist5k(limit=10).x_train) == 10
    assert data.load_first_names(limit=5).train
    assert data.load_shakespeare(limit_chars=100).train


def test_subprocesses_inherit_the_guard():
    assert os.environ.get("COURSE_OFFLINE") == "1" and "tools/offline" in os.environ.get("PYTHONPATH", "")


def _isolated_network() -> list[str]:
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs `unshare -n` (root or user namespaces) to run the kernel without any network; CI has it")
    return ["unshare", "-n"]


def _run_in_kernel(code: str, env: dict, tmp_path: pathlib.Path) -> str:
    """Start a Jupyter kernel the way nbval does (this Python, this environment), run code, return its stdout."""
    from jupyter_client import KernelManager

    outputs = []
    spec_dir = tmp_path / "kernels" / "course-offline-probe"
    spec_dir.mkdir(parents=True)
    argv = [*_isolated_network(), sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec_dir / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "probe", "language": "python"}))
    old_path = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(tmp_path)
    try:
        manager = KernelManager(kernel_name="course-offline-probe", transport="ipc", ip=str(tmp_path / "ipc"))
        manager.start_kernel(env=env)
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            reply = client.execute_interactive(code, timeout=60, output_hook=lambda msg: outputs.append(msg))
            assert reply["content"]["status"] == "ok", reply["content"]
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    finally:
        if old_path is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old_path
    return "".join(msg["content"].get("text", "") for msg in outputs if msg["msg_type"] == "stream")


def test_a_notebook_kernel_cannot_reach_outside(tmp_path):
    text = _run_in_kernel(PROBE, dict(os.environ), tmp_path)
    assert "OUTCOME OfflineError: COURSE_OFFLINE" in text, text


def test_the_kernel_probe_would_notice_a_missing_guard(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "COURSE_OFFLINE"}
    text = _run_in_kernel(PROBE, env, tmp_path)
    assert "OUTCOME" in text and "COURSE_OFFLINE" not in text and "connected" not in text, text
