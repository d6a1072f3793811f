"""The demo's HTTP server (also the tests' site server) answers as a small real server does."""

from __future__ import annotations

import socket
import struct
import threading

from siteaudit.demo.server import SiteServer, send


def test_a_client_that_hangs_up_before_its_answer_leaves_no_traceback_on_stderr(tmp_path, capsys):
    hung_up, answered = threading.Event(), threading.Event()

    def slow(handler):
        hung_up.wait(5)
        try:
            send(handler, 200, b"x" * 4_000_000)  # far more than the socket buffers take after a reset
        finally:
            answered.set()

    with SiteServer(tmp_path, routes={"/slow": slow}) as server:
        client = socket.create_connection(("127.0.0.1", server.port))
        client.sendall(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        client.close()
        hung_up.set()
        assert answered.wait(5)
        for thread in threading.enumerate():  # the request's thread reports its error after the route returns
            if "process_request_thread" in thread.name:
                thread.join(5)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err
