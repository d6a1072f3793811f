"""A TCP relay on 127.0.0.1 that holds every request for a fixed time before passing it on: a slow server.

    python3 delay_proxy.py LISTEN_PORT UPSTREAM_PORT [DELAY_S] [COUNT_FILE]

Each chunk a client sends (a request, on a keep-alive connection one after the other) waits DELAY_S
(default 0.1) before it reaches the upstream; answers flow back at once. On SIGTERM it writes how many
requests it relayed to COUNT_FILE. Standard library only; binds loopback only.
"""

from __future__ import annotations

import asyncio
import signal
import sys


class Relay:
    def __init__(self, upstream_port: int, delay: float) -> None:
        self.upstream_port = upstream_port
        self.delay = delay
        self.requests = 0

    async def client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        back = asyncio.create_task(self.pipe(up_reader, writer, delay=False))
        await self.pipe(reader, up_writer, delay=True)
        await back

    async def pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: bool) -> None:
        try:
            while chunk := await reader.read(65536):
                if delay:
                    self.requests += chunk.count(b"HTTP/1.")
                    await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except (ConnectionError, OSError):
                pass


async def main(listen: int, upstream: int, delay: float, count_file: str | None) -> None:
    relay = Relay(upstream, delay)
    server = await asyncio.start_server(relay.client, "127.0.0.1", listen, backlog=512)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    if count_file:
        with open(count_file, "w") as out:
            out.write(f"{relay.requests}\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit("usage: delay_proxy.py LISTEN_PORT UPSTREAM_PORT [DELAY_S] [COUNT_FILE]")
    asyncio.run(main(int(args[0]), int(args[1]), float(args[2]) if len(args) > 2 else 0.1,
                     args[3] if len(args) > 3 else None))
