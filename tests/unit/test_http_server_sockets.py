"""The API's HTTP protocol turns Nagle's algorithm off on every connection, also on the socket
uvicorn binds for `serve --workers` (protocol number 0, which asyncio does not take for TCP): with
Nagle on, each kept-alive answer waited for the client's delayed ACK, about 40 ms."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.config import Config
from uvicorn.server import ServerState

from infrastructure.api.http_server import ConnectionLimits, LimitedH11Protocol


async def _nodelay_of_accepted_connection() -> int:
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds it
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    config = Config(app=lambda *_: None, http="h11")
    config.load()
    limits = ConnectionLimits(header_seconds=5, body_seconds=5, max_connections=10)
    made: asyncio.Future[asyncio.Transport] = asyncio.get_running_loop().create_future()

    class Recording(LimitedH11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            made.set_result(transport)

    server = await asyncio.get_running_loop().create_server(
        lambda: Recording(config=config, server_state=ServerState(), app_state={}, limits=limits),
        sock=listening,
    )
    try:
        _, writer = await asyncio.open_connection(*listening.getsockname())
        transport = await asyncio.wait_for(made, 5)
        accepted = transport.get_extra_info("socket")
        assert accepted.proto == 0  # the case asyncio leaves alone
        nodelay = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        return nodelay
    finally:
        server.close()


def test_connections_on_a_socket_bound_for_workers_send_without_waiting_for_acks() -> None:
    assert asyncio.run(_nodelay_of_accepted_connection()) != 0
