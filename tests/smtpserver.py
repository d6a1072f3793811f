"""A small real SMTP server on 127.0.0.1 for tests: EHLO, STARTTLS (with a given certificate), AUTH PLAIN,
MAIL, RCPT, DATA, QUIT, over as many connections as come. Received mails are parsed and kept in order."""

from __future__ import annotations

import base64
import email
import email.policy
import socketserver
import ssl
import threading
from email.message import EmailMessage
from typing import Any


class SmtpServer:
    def __init__(self, tls: ssl.SSLContext | None = None, password: str | None = None) -> None:
        self.tls, self.password = tls, password
        self.messages: list[EmailMessage] = []
        self.over_tls: list[bool] = []          # per received mail: was STARTTLS in force?
        self.logins: list[str] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 10

            def handle(self) -> None:
                outer.session(self)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmtpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def session(self, h: socketserver.StreamRequestHandler) -> None:
        secure = False

        def say(line: str) -> None:
            h.wfile.write(line.encode() + b"\r\n")
            h.wfile.flush()

        say("220 test ESMTP")
        while line := h.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                extensions = ["STARTTLS"] if self.tls and not secure else []
                extensions += ["AUTH PLAIN"] if self.password is not None else []
                lines = ["test", *extensions]   # the server's name first, then one extension a line
                for n, text in enumerate(lines):
                    say(f"250{' ' if n == len(lines) - 1 else '-'}{text}")
            elif verb == "STARTTLS" and self.tls and not secure:
                say("220 go ahead")
                h.connection = self.tls.wrap_socket(h.connection, server_side=True)
                h.rfile, h.wfile = h.connection.makefile("rb"), h.connection.makefile("wb")
                secure = True
            elif verb == "AUTH":
                given = base64.b64decode(command.split()[-1]).split(b"\0")[-1].decode()
                self.logins.append(given)
                say("235 ok" if given == self.password else "535 no")
            elif verb == "DATA":
                say("354 go on")
                data = []
                while (chunk := h.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.messages.append(email.message_from_bytes(b"".join(data), policy=email.policy.default))
                self.over_tls.append(secure)
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")
