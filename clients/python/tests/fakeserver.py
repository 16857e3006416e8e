"""A scripted stand-in for the recorder's /feed and /webrtc/sessions/{id},
built on asyncio streams alone so that it behaves the same whatever
version of websockets the client runs on, and can misbehave at will:
refuse the upgrade, cut the connection, close with any code.

The real server is tested by the Go side (live_test.go)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
from typing import Awaitable, Callable, Dict, List, Optional, Tuple

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def message(batch: int, *, frames: int = 3, frame_samples: int = 160, channels: int = 1, rate: int = 8000,
            fps: int = 50, dropped: int = 0, voice: Tuple[bool, ...] = (), first_frame: Optional[int] = None,
            session_id: str = "s1") -> bytes:
    """A feed message as the server would send it; sample k of the batch is
    (batch * 1000 + k) % 32768."""
    header = {
        "v": 1, "session_id": session_id, "batch": batch,
        "first_frame": batch * 16 if first_frame is None else first_frame,
        "frames": frames, "sample_rate": rate, "channels": channels, "fps": fps, "batch_size": 16,
        "frame_samples": [frame_samples] * frames,
        "features": [{"rms": 0.1, "peak": 0.2, "voice": voice[i] if i < len(voice) else False, "mouth": 0.3}
                     for i in range(frames)],
        "dropped": dropped, "sent_unix_ms": 1767225600000,
    }
    js = json.dumps(header).encode()
    n = frames * frame_samples * channels
    pcm = struct.pack(f"<{n}h", *((batch * 1000 + k) % 32768 for k in range(n)))
    return struct.pack("<I", len(js)) + js + pcm


class Request:
    def __init__(self, method: str, path: str, headers: Dict[str, str]) -> None:
        self.method, self.path, self.headers = method, path, headers


class Conn:
    """One accepted /feed request."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request) -> None:
        self.reader, self.writer, self.request = reader, writer, request
        self.close_received: Optional[Tuple[int, str]] = None
        self.closed = asyncio.Event()
        self._sent_close = False
        self._reading: Optional[asyncio.Task] = None

    async def reject(self, status: int, headers: Tuple[Tuple[str, str], ...] = (), body: bytes = b"no") -> None:
        lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers] + [
            f"Content-Length: {len(body)}", "Connection: close", "", ""]
        self.writer.write("\r\n".join(lines).encode() + body)
        await self.writer.drain()
        self.writer.close()

    async def accept(self) -> None:
        key = self.request.headers["sec-websocket-key"].encode()
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode()
        self.writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        await self.writer.drain()
        self._reading = asyncio.ensure_future(self._read())

    async def send(self, data, opcode: Optional[int] = None) -> None:
        if isinstance(data, str):
            data, opcode = data.encode(), opcode or 1
        self._frame(opcode or 2, data)
        await self.writer.drain()

    async def close(self, code: int = 1000, reason: str = "session ended") -> None:
        """Closes as the server does: a close frame, then the client's
        reply (or 2 s), then the TCP connection."""
        self._sent_close = True
        self._frame(8, struct.pack("!H", code) + reason.encode())
        await self.writer.drain()
        try:
            await asyncio.wait_for(self.closed.wait(), 2)
        except asyncio.TimeoutError:
            pass
        self.writer.close()

    def drop(self) -> None:
        """Cuts the connection without a close frame."""
        self.writer.transport.abort()

    def _frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        self.writer.write(head + payload)

    async def _read(self) -> None:
        """Reads the client's frames: answers pings and its close."""
        try:
            while True:
                b0, b1 = await self.reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    (n,) = struct.unpack("!H", await self.reader.readexactly(2))
                elif n == 127:
                    (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
                mask = await self.reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(await self.reader.readexactly(n)))
                opcode = b0 & 0x0F
                if opcode == 9:
                    self._frame(10, data)
                elif opcode == 8:
                    code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                    self.close_received = (code, data[2:].decode())
                    if not self._sent_close:
                        self._sent_close = True
                        self._frame(8, data[:2])
                    self.writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.closed.set()


Handler = Callable[[Conn], Awaitable[None]]


class FakeServer:
    """Serves /feed/* with handler(conn), called once per connection, and
    GET /webrtc/sessions/{id} from session_state (None: 404)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.session_state: Optional[str] = "live"
        self.requests: List[Request] = []
        self.errors: List[BaseException] = []  # raised by the handler: the test's own bugs
        self.port = 0
        self._server: Optional[asyncio.AbstractServer] = None
        self._tasks: List[asyncio.Task] = []

    async def __aenter__(self) -> "FakeServer":
        await self.listen()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop_listening()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.errors:
            raise AssertionError(f"the fake server's script failed: {self.errors[0]!r}") from self.errors[0]

    def url(self, path: str = "/feed/s1") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def feed_requests(self) -> List[Request]:
        return [r for r in self.requests if r.path.startswith("/feed/")]

    async def listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop_listening(self) -> None:
        """Refuses new connections (the port stays known for listen)."""
        if self._server is not None:
            # Not wait_closed: since Python 3.12 it also waits for the open
            # connections, which the scripts close themselves.
            self._server.close()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._tasks.append(asyncio.current_task())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        lines = head.decode().split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        req = Request(method, path, headers)
        self.requests.append(req)
        if path.startswith("/webrtc/sessions/"):
            state = self.session_state
            status, body = (200, json.dumps({"state": state}).encode()) if state else (404, b"{}")
            writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
            writer.close()
            return
        conn = Conn(reader, writer, req)
        try:
            await self.handler(conn)
        except (ConnectionError, asyncio.CancelledError):
            writer.close()
        except Exception as e:
            self.errors.append(e)
            writer.close()
