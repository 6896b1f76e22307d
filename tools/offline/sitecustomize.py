"""Refuse network connections outside this machine in every Python process the tests start.

``conftest.py`` puts this folder on ``PYTHONPATH`` and sets ``COURSE_OFFLINE=1`` for the test run, so
the notebook kernels that nbval starts (and anything they start) import this module at start-up.
pytest-socket guards only the pytest process itself; this guards the kernels. Connections to
loopback addresses and Unix sockets (how Jupyter talks to its kernels) stay allowed.
"""

import os

if os.environ.get("COURSE_OFFLINE") == "1":
    import ipaddress
    import socket

    class OfflineError(ConnectionRefusedError):
        """Raised instead of opening a connection that would leave this machine."""

    def _is_local(host) -> bool:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host in ("localhost", "", None):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def _check(address) -> None:
        if isinstance(address, tuple) and address and not _is_local(address[0]):
            raise OfflineError(f"COURSE_OFFLINE: the course runs offline; refused a connection to {address[0]!r} "
                               "(tests must not use the network; load data from the repository or a pinned package)")

    _connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
    _getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        _check(address)
        return _connect(self, address)

    def connect_ex(self, address):
        _check(address)
        return _connect_ex(self, address)

    def sendto(self, data, *args):
        _check(args[-1] if args else None)
        return _sendto(self, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            try:
                ipaddress.ip_address(str(host if not isinstance(host, bytes) else host.decode()).split("%")[0])
            except ValueError:  # a name would need DNS, which leaves the machine
                raise OfflineError(f"COURSE_OFFLINE: the course runs offline; refused to look up {host!r}") from None
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
    socket.OfflineError = OfflineError
