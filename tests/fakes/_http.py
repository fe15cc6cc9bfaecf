"""A loopback HTTP server in a daemon thread: the transport both fake APIs sit behind.

Each fake supplies one function from `HttpRequest` to `HttpResponse`; this module owns sockets,
threads and shutdown so the fakes only describe how the real service answers.
"""

import json
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # keys lower-cased
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class HttpResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Sent piece by piece instead of `body` (a slow server); `headers` then say the length.
    stream: Iterable[bytes] | None = None

    @classmethod
    def json(
        cls, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> "HttpResponse":
        return cls(
            status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        )


Handler = Callable[[HttpRequest], HttpResponse]


class LoopbackServer:
    """Serves `handle` on 127.0.0.1 at a free port until `stop()`."""

    def __init__(self, handle: Handler) -> None:
        self._handle = handle
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        if self._server is not None:
            return
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _request_handler(self._handle))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-http-{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None


def _request_handler(handle: Handler) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        # HTTP/1.0 closes the connection after each answer, so stop() never waits on an idle
        # keep-alive socket held open by a client's connection pool.
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the fakes record calls themselves; stderr noise would bury test output

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            request = HttpRequest(
                method=self.command,
                path=url.path,
                query=parse_qs(url.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            try:
                response = handle(request)
            except Exception:
                # A bug in a fake must show up in the test's output, not as a hung client.
                response = HttpResponse(
                    500, traceback.format_exc().encode(), {"Content-Type": "text/plain"}
                )
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.stream is None:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            try:
                for piece in [response.body] if response.stream is None else response.stream:
                    self.wfile.write(piece)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a simulated timeout); nothing left to tell it

    return RequestHandler
