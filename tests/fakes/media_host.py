"""A fake file host on loopback HTTP: Twilio's storage behind a MediaUrl's redirect, or any
other server a MediaUrl (or a redirect) might name.

It records every request with its headers, so a test can see whether a request reached it
at all and whether the account's credentials came along. It serves files whole, as
redirects, or one byte at a time (a server that dribbles, to hold a client's thread).
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from tests.fakes._http import HttpRequest, HttpResponse, LoopbackServer


@dataclass(frozen=True)
class HostRequest:
    method: str
    path: str
    headers: dict[str, str]  # keys lower-cased


class FakeMediaHost:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = LoopbackServer(self._handle)
        self._answers: dict[str, HttpResponse] = {}
        self._dribbles: dict[str, tuple[bytes, str, float]] = {}
        self._requests: list[HostRequest] = []
        self._bytes_dribbled = 0

    def start(self) -> "FakeMediaHost":
        self._stopping.clear()
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # ends any dribble still going
        self._server.stop()

    def __enter__(self) -> "FakeMediaHost":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._server.base_url

    def serve(self, path: str, content: bytes, content_type: str) -> str:
        """GET `path` answers `content` (no credentials asked); returns the full URL."""
        return self._answer(path, HttpResponse(200, content, {"Content-Type": content_type}))

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self._answer(path, HttpResponse(status, b"", {"Location": location}))

    def dribble(self, path: str, content: bytes, content_type: str, every: float) -> str:
        """GET `path` sends `content` one byte each `every` seconds."""
        with self._lock:
            self._dribbles[path] = (content, content_type, every)
        return self.url + path

    @property
    def requests(self) -> list[HostRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def bytes_dribbled(self) -> int:
        with self._lock:
            return self._bytes_dribbled

    def _answer(self, path: str, response: HttpResponse) -> str:
        with self._lock:
            self._answers[path] = response
        return self.url + path

    def _handle(self, request: HttpRequest) -> HttpResponse:
        with self._lock:
            self._requests.append(HostRequest(request.method, request.path, request.headers))
            if request.path in self._dribbles:
                content, content_type, every = self._dribbles[request.path]
                return HttpResponse(200, headers={"Content-Type": content_type,
                                                  "Content-Length": str(len(content))},
                                    stream=self._drip(content, every))
            return self._answers.get(request.path) or HttpResponse(404, b"not found")

    def _drip(self, content: bytes, every: float) -> Iterator[bytes]:
        for index in range(len(content)):
            if self._stopping.wait(every):
                return
            with self._lock:
                self._bytes_dribbled += 1
            yield content[index:index + 1]
