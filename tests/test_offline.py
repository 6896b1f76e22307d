"""Tests run with every non-loopback connection refused (pytest-socket, see pyproject.toml)."""

import socket

import pytest
from pytest_socket import SocketBlockedError, SocketConnectBlockedError


def test_outside_connections_are_refused():
    with pytest.raises((SocketBlockedError, SocketConnectBlockedError)):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_loaders_work_offline():
    from utils import data

    assert len(data.load_mnist5k(limit=10).x_train) == 10
    assert data.load_first_names(limit=5).train
    assert data.load_shakespeare(limit_chars=100).train
