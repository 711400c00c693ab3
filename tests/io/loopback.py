"""A real HTTP server on 127.0.0.1, in a thread, serving fixture files: the publisher in tests of ``fetch``.

Shared by tests/io/test_fetch.py, tests/io/test_processed.py and
tests/reporting/render/test_provenance.py. ``Publisher.serve(path, body)`` puts a file at an
address; ``status``, ``location``, ``content_type``, ``delay`` and ``claimed_length`` make the server
misbehave the ways real servers do.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Served:
    body: bytes
    status: int = 200
    content_type: str = "application/octet-stream"
    delay: float = 0.0
    claimed_length: int | None = None  # a Content-Length other than the body's: a download cut short
    location: str | None = None  # with a 3xx status: where the file has moved


class Publisher:
    """The files served and the server's address; ``url(path)`` is the address of one of them."""

    def __init__(self) -> None:
        self.files: dict[str, Served] = {}
        self.requests: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def serve(self, path: str, body: bytes, **options) -> str:
        self.files[path] = Served(body, **options)
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def __enter__(self) -> Publisher:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(publisher: Publisher) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            publisher.requests.append(self.path)
            served = publisher.files.get(self.path)
            if served is None:
                self.send_error(404, "Not Found")
                return
            time.sleep(served.delay)
            self.send_response(served.status)
            self.send_header("Content-Type", served.content_type)
            if served.location:
                self.send_header("Location", served.location)
            length = served.claimed_length if served.claimed_length is not None else len(served.body)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                self.wfile.write(served.body)
            if served.claimed_length is not None:
                self.close_connection = True

        def log_message(self, *args) -> None:  # keep the test output clean
            pass

    return Handler


def refused_url(path: str = "/sac.xlsx") -> str:
    """An address on 127.0.0.1 where nothing listens: connecting is refused, as with no network."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
