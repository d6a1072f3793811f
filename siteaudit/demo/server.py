"""A small threaded HTTP server on 127.0.0.1 for the demo site and the tests.

It serves a folder and lets callers add routes (redirects, throttling, search) as plain functions.
"""

from __future__ import annotations

import os
import sys
import threading
import urllib.parse
from collections.abc import Callable
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Route = Callable[[SimpleHTTPRequestHandler], None]


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up before its answer is written (a browser closing a tab, a crawler's timeout) is
    normal; only other errors get socketserver's traceback on stderr."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class SiteServer:
    """Serve `root` on 127.0.0.1, or on `host` when it is another loopback address (a free port unless given), in
    a daemon thread."""

    def __init__(self, root: str | Path, routes: dict[str, Route] | None = None, port: int = 0,
                 content_types: dict[str, str] | None = None, ssl_context: Any = None,
                 host: str = "127.0.0.1") -> None:
        self.root = str(root)
        self.routes = routes or {}
        self.content_types = content_types or {}
        self.requests: list[tuple[str, str]] = []
        self.bytes_sent: dict[str, int] = {}
        server = self

        class Handler(SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=server.root, **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def guess_type(self, path: Any) -> str:
                text = str(path)
                rel = "/" + os.path.relpath(text, server.root).replace(os.sep, "/") \
                    if text.startswith(server.root) else text
                if rel in server.content_types:
                    return server.content_types[rel]
                ctype = super().guess_type(path)
                return "text/html; charset=utf-8" if ctype == "text/html" else ctype

            def copyfile(self, source: Any, outputfile: Any) -> None:
                """Send a file in chunks, counting what was written (tests assert on it)."""
                path = urllib.parse.urlsplit(self.path).path
                try:
                    while chunk := source.read(16384):
                        outputfile.write(chunk)
                        server.bytes_sent[path] = server.bytes_sent.get(path, 0) + len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _dispatch(self) -> bool:
                server.requests.append((self.command, self.path))
                path = urllib.parse.urlsplit(self.path).path
                route = server.routes.get(path) or server.routes.get(self.path)
                if route:
                    route(self)
                    return True
                return False

            def do_GET(self) -> None:
                if not self._dispatch():
                    super().do_GET()

            def do_HEAD(self) -> None:
                if not self._dispatch():
                    super().do_HEAD()

            def do_POST(self) -> None:
                """Logged like any request (tests assert no form was submitted), then refused unless routed."""
                if not self._dispatch():
                    send(self, 405, b"", {"Allow": "GET, HEAD"})

        bind = host if host.startswith("127.") else "127.0.0.1"  # 127.0.0.2, .3: other hosts on loopback
        self.httpd = QuietServer((bind, port), Handler)
        self.httpd.daemon_threads = True
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base = f"{'https' if ssl_context else 'http'}://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(handler: SimpleHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
         content_type: str = "text/html; charset=utf-8") -> None:
    """Answer a request from a route."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def set_file_times(root: str | Path, when: datetime) -> None:
    """Give `root` (a file, or every file below a folder) the modification time `when`: the server's
    Last-Modified then depends on the caller's clock, not on the day the files were written."""
    root = Path(root)
    stamp = when.timestamp()
    for path in [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]:
        os.utime(path, (stamp, stamp))


def redirect(location: str, status: int = 301) -> Route:
    def route(handler: SimpleHTTPRequestHandler) -> None:
        send(handler, status, b"", {"Location": location})

    return route
