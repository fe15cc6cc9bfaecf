"""A TCP forwarder on loopback that a test can cut: the database "going away" for real.

Put it between the app's DATABASE_URL and the real server. `cut()` closes every forwarded
connection (as when the server restarts or the network drops) and refuses new ones until
`restore()`: the app sees the same socket errors it would in production, through its own
driver and pool, with nothing patched.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `target`; `cut()` and `restore()` switch it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._lock = threading.Lock()
        self._cut = False
        self._open: set[socket.socket] = set()
        self.refused = 0  # connections turned away while cut: the app tried
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopping = False
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    def url_for(self, database_url: str) -> str:
        """`database_url` with its host:port replaced by the proxy's."""
        host_port = f"{self.target[0]}:{self.target[1]}"
        if host_port not in database_url:
            raise ValueError(f"{database_url} does not point at {host_port}")
        return database_url.replace(host_port, f"127.0.0.1:{self.port}", 1)

    def cut(self) -> None:
        """Drop every open connection and turn new ones away until `restore()`."""
        with self._lock:
            self._cut = True
            doomed, self._open = self._open, set()
        for sock in doomed:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self._stopping = True
        self.cut()
        _close(self._listener)

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._cut:
                    self.refused += 1
                    _close(client)
                    continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._cut:  # cut while we were connecting
                    self.refused += 1
                    _close(client)
                    _close(upstream)
                    continue
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink, self._forget),
                                 name="tcp-proxy-pipe", daemon=True).start()

    def _forget(self, *socks: socket.socket) -> None:
        with self._lock:
            self._open.difference_update(socks)
        for sock in socks:
            _close(sock)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket,
              done: Callable[..., None]) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        done(source, sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
