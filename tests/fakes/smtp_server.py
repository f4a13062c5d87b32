"""A tiny threaded SMTP server with STARTTLS, enough for smtplib: EHLO, STARTTLS, AUTH PLAIN,
MAIL, RCPT, DATA, RSET, QUIT. Received messages land in ``messages``."""

from __future__ import annotations

import socketserver
import ssl
import threading
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    tls: bool


@dataclass
class SmtpServer:
    context: ssl.SSLContext | None = None
    messages: list[Received] = field(default_factory=list)

    def start(self) -> SmtpServer:
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def finish(self) -> None:
                super().finish()
                if isinstance(self.connection, ssl.SSLSocket):
                    self.connection.close()  # the wrapped socket is ours to close

            def handle(self) -> None:
                tls, sender, recipients = False, "", []
                self.reply("220 localhost ESMTP fake")
                while line := self.rfile.readline():
                    verb = line.decode().strip().split(" ", 1)[0].upper()
                    arg = line.decode().strip()[len(verb):].strip()
                    if verb == "EHLO":
                        extensions = ["250-localhost", "250-AUTH PLAIN"]
                        if outer.context and not tls:
                            extensions.append("250-STARTTLS")
                        self.reply("\r\n".join(extensions + ["250 8BITMIME"]))
                    elif verb == "STARTTLS" and outer.context:
                        self.reply("220 go ahead")
                        self.connection = outer.context.wrap_socket(self.connection, server_side=True)
                        self.rfile = self.connection.makefile("rb")
                        self.wfile = self.connection.makefile("wb")
                        tls = True
                    elif verb == "AUTH":
                        self.reply("235 ok")
                    elif verb == "MAIL":
                        sender, recipients = arg.split(":", 1)[1].strip("<> "), []
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        recipients.append(arg.split(":", 1)[1].strip("<> "))
                        self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        chunks = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            chunks.append(chunk)
                        outer.messages.append(Received(sender, recipients, b"".join(chunks), tls))
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 ok")

        class Server(socketserver.ThreadingTCPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # a client that refuses our certificate is a case under test, not noise

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
