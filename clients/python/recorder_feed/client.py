"""The feed client: subscribe to a session, reconnect, say what was lost."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import ipaddress
import json
import logging
import random
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Deque, Dict, List, Optional, Tuple

from . import _ws
from .errors import AuthError, ConnectError, FeedClosed, FingerprintMismatch, GaveUp
from .tls import PinMismatch, pinned_context
from .wire import Batch, decode

__all__ = ["DEFAULT_MAX_SIZE", "Feed", "Stats"]

log = logging.getLogger("recorder_feed")

#: Above the largest message the server can send: 256 frames of one second
#: (fps 1) at 48 kHz in stereo is 49 MB of PCM, plus its header.
DEFAULT_MAX_SIZE = 64 << 20

# Close codes that say the client or the server broke the protocol:
# reconnecting would only do it again. 1009 is ours when a message is over
# max_size.
_FATAL_CLOSE = {1002, 1003, 1007, 1008, 1009, 1010}

# HTTP answers to the upgrade worth trying again after a while.
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclasses.dataclass
class Stats:
    """What a :class:`Feed` has received and lost so far."""

    batches: int = 0  #: batches yielded
    frames: int = 0  #: frames in them
    connects: int = 0  #: connections opened: the first one and every reconnection
    #: batches the server dropped for this client (its queue for the client
    #: was full): the ``dropped`` of each connection's latest header, added up
    server_dropped: int = 0
    #: batches this client dropped, the oldest in its queue, because the
    #: caller took them more slowly than they came
    client_dropped: int = 0
    #: batches missing between those yielded, whatever the cause; those not
    #: dropped by the server or the client were lost while reconnecting
    skipped: int = 0

    @property
    def reconnects(self) -> int:
        return max(self.connects - 1, 0)

    @property
    def lost_reconnecting(self) -> int:
        """Batches published while the feed was cut."""
        return max(self.skipped - self.server_dropped - self.client_dropped, 0)


class _End:
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Transient(Exception):
    """A connection attempt failed in a way worth trying again."""

    def __init__(self, cause: BaseException, retry_after: Optional[float] = None) -> None:
        super().__init__(str(cause) or type(cause).__name__)
        self.cause = cause
        self.retry_after = retry_after


class Feed:
    """The live feed of one session, as an async iterator of :class:`Batch`.

    ::

        async with Feed("wss://host:8080/feed/session_1", token=token,
                        fingerprint="AB:CD:…") as feed:
            async for header, array in feed:
                ...   # array: int16 (frames, samples, channels)

    Opening (``async with``, :meth:`open` or the first iteration) connects
    once and raises at once what connecting again would not mend:
    :class:`AuthError` for a missing or wrong token, :class:`ConnectError`
    for a refused request, a TLS failure, a time-out or an answer that is
    not a WebSocket, :class:`FingerprintMismatch`, and ``OSError`` when
    nothing answers.

    The feed may be opened before the session starts: it waits for it.
    Iteration ends when the server ends the feed (the session ended:
    close code 1000), with the reason in :attr:`end_reason`. When the
    connection is cut otherwise, the client reconnects with exponential
    backoff (``backoff``: first and longest delay in seconds, with jitter;
    a 429 or 503 answer's Retry-After is honoured) for up to
    ``reconnect_for`` seconds (None: for ever), then raises
    :class:`GaveUp`. After a reconnection it asks the server
    (``GET /webrtc/sessions/{id}``) whether the session ended meanwhile,
    and if so ends the iteration instead of waiting for batches that will
    not come; ``check_session=False`` turns that off.

    Nothing is lost silently. The server drops batches for a consumer
    that falls behind (``header.dropped``, per connection); this client
    reads the connection continuously (the server cuts off a consumer
    that stops reading for 5 s) and keeps the newest ``queue`` batches
    for a slow caller: one that falls further behind skips the oldest, so
    what it gets stays current and the session's last batch always
    arrives. Each yielded batch says how many batches are
    missing just before it (:attr:`Batch.skipped`, from the batch numbers,
    whatever the cause) and whether it is the first after a reconnection
    (:attr:`Batch.reconnected`); :attr:`stats` adds them up.

    TLS (``wss://``): the system's CAs by default; ``cafile`` to trust a
    certificate (the server's own self-signed ``DATA/tls/cert.pem``), or
    ``fingerprint`` to pin the SHA-256 fingerprint the server logs; or
    any ``ssl_context``. ``token`` is sent as ``Authorization: Bearer``.
    ``use_numpy`` is as in :func:`recorder_feed.decode`.
    """

    def __init__(
        self,
        url: str,
        *,
        token: Optional[str] = None,
        cafile: Optional[str] = None,
        fingerprint: Optional[str] = None,
        ssl_context: Optional[ssl.SSLContext] = None,
        use_numpy: Optional[bool] = None,
        queue: int = 32,
        reconnect_for: Optional[float] = 300.0,
        backoff: Tuple[float, float] = (0.25, 10.0),
        check_session: bool = True,
        check_every: float = 5.0,
        open_timeout: float = 10.0,
        ping_interval: Optional[float] = 20.0,
        ping_timeout: Optional[float] = 20.0,
        max_size: Optional[int] = DEFAULT_MAX_SIZE,
    ) -> None:
        self.url = _feed_url(url)
        secure = self.url.startswith("wss:")
        if sum(x is not None for x in (cafile, fingerprint, ssl_context)) > 1:
            raise ValueError("give at most one of cafile, fingerprint and ssl_context")
        if not secure and (cafile or fingerprint or ssl_context):
            raise ValueError(f"{self.url} is not wss://: TLS options do not apply")
        if token is not None and (not token or re.search(r"[\r\n]", token)):
            raise ValueError("the token must be non-empty and on one line")
        if queue < 1 or backoff[0] <= 0 or backoff[1] < backoff[0]:
            raise ValueError("queue must be at least 1 and 0 < backoff[0] <= backoff[1]")
        self._ssl: Optional[ssl.SSLContext] = None
        if secure:
            if fingerprint is not None:
                self._ssl = pinned_context(fingerprint)
            elif cafile is not None:
                self._ssl = ssl.create_default_context(cafile=cafile)
            else:
                self._ssl = ssl_context or ssl.create_default_context()
        self._headers: List[Tuple[str, str]] = []
        if token is not None:
            self._headers.append(("Authorization", f"Bearer {token}"))
            if not secure and not _is_loopback(self.url):
                log.warning("the token goes to %s unencrypted: use wss:// (the server's -tls)", self.url)
        self._options: Dict[str, Any] = dict(
            open_timeout=open_timeout, ping_interval=ping_interval, ping_timeout=ping_timeout,
            close_timeout=5, max_size=max_size, max_queue=4, compression=None)
        if secure:
            self._options["ssl"] = self._ssl
        self._use_numpy = use_numpy
        self._queue_max = queue
        self._reconnect_for = reconnect_for
        self._backoff = backoff
        self._check_every = check_every
        self._state_url = _state_url(self.url) if check_session else None

        #: Counts of what was received and lost; see :class:`Stats`.
        self.stats = Stats()
        #: Why iteration ended: the server's close reason ("session ended"),
        #: or what the client found after a reconnection; None until then.
        self.end_reason: Optional[str] = None

        self._ws: Any = None
        self._task: Optional[asyncio.Task] = None
        # Received, not yet yielded: (message, connection) for each batch,
        # then an _End or an exception, which nothing follows.
        self._items: Deque[Any] = collections.deque()
        # Made in the loop that uses it (Python 3.9 binds an Event to the
        # loop current when it is made, and a Feed may be made before).
        self._ready: Optional[asyncio.Event] = None
        self._queued = 0  # batches in _items
        self._conn = 0  # connection number, from 1
        self._received = False  # any batch on any connection
        self._closed = False
        # The last batch yielded: its number, connection and dropped count.
        self._last: Optional[Tuple[int, int, int]] = None

    async def __aenter__(self) -> "Feed":
        await self.open()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __aiter__(self) -> "Feed":
        return self

    async def open(self) -> None:
        """Connects, once; see the class for what it raises. Opening an
        open or closed feed does nothing."""
        if self._task is not None or self._closed:
            return
        try:
            self._ws = await self._connect()
        except _Transient as e:
            if isinstance(e.cause, OSError) and not isinstance(e.cause, TimeoutError):
                raise e.cause  # nothing answers: the caller may try later
            raise ConnectError(f"could not open {self.url}: {e}") from e.cause
        self._conn = 1
        self.stats.connects = 1
        log.info("subscribed to %s", self.url)
        self._task = asyncio.ensure_future(self._pump())

    async def close(self) -> None:
        """Unsubscribes and closes the connection; iteration ends."""
        if self._closed:
            return
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                await ws.close()
            except Exception:  # already gone
                pass
        self._put(_End("closed by the client"))  # wakes a caller waiting for a batch

    async def __anext__(self) -> Batch:
        """The next batch. Raises MalformedMessage for a message that does
        not parse (the feed goes on: iterate again to skip it), the
        reconnection's errors (GaveUp, ConnectError, FeedClosed), and
        StopAsyncIteration once the feed has ended or is closed."""
        if self._closed:
            raise StopAsyncIteration
        if self._task is None:
            await self.open()
        while not self._items:
            ready = self._readiness()
            ready.clear()
            await ready.wait()
        item = self._items.popleft()
        if isinstance(item, _End):
            if self.end_reason is None:
                self.end_reason = item.reason
            await self.close()
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            await self.close()
            raise item
        msg, conn = item
        self._queued -= 1
        batch = self._account(decode(msg, use_numpy=self._use_numpy), conn)
        if batch is None:  # a new take: the one followed ended while the feed was cut
            await self.close()
            raise StopAsyncIteration
        return batch

    def _account(self, batch: Batch, conn: int) -> Optional[Batch]:
        """Counts a batch about to be yielded and notes what is missing
        before it; None when its number says a new take began."""
        h = batch.header
        skipped = dropped_before = 0
        reconnected = conn > 1
        if self._last is not None:
            last, last_conn, last_dropped = self._last
            if h.batch <= last:
                self.end_reason = ("the take ended while the feed was cut: "
                                   f"batch {h.batch} follows {last}, a new take of the same session")
                log.info("%s", self.end_reason)
                return None
            skipped = h.batch - last - 1
            if conn == last_conn:
                dropped_before = last_dropped
                reconnected = False
        self._last = (h.batch, conn, h.dropped)
        st = self.stats
        st.server_dropped += max(h.dropped - dropped_before, 0)
        st.batches += 1
        st.frames += h.frames
        st.skipped += skipped
        if skipped:
            log.info("%d batches missing before batch %d (so far dropped by the server %d, by this client %d)",
                     skipped, h.batch, st.server_dropped, st.client_dropped)
        return dataclasses.replace(batch, skipped=skipped, reconnected=reconnected)

    # The reading side, one task per Feed.

    async def _pump(self) -> None:
        try:
            while True:
                ended = await self._read(self._ws, check=self._received and self._state_url is not None)
                if ended is not None:
                    self._put(_End(ended))
                    return
                self._ws = await self._reopen()
                self._conn += 1
                self.stats.connects += 1
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._put(e)

    def _put(self, item: Any) -> None:
        self._items.append(item)
        self._readiness().set()

    def _readiness(self) -> asyncio.Event:
        if self._ready is None:
            self._ready = asyncio.Event()
        return self._ready

    def _enqueue(self, msg: bytes) -> None:
        if self._queued >= self._queue_max:
            self._items.popleft()  # the oldest batch: only batches precede an _End
            self._queued -= 1
            self.stats.client_dropped += 1
            log.debug("queue full (%d batches): the oldest dropped", self._queue_max)
        self._queued += 1
        self._put((msg, self._conn))

    async def _read(self, ws: Any, check: bool) -> Optional[str]:
        """Reads one connection until it ends. Returns why the session
        ended, or None when the connection was cut. With check, it asks the
        server whether the session is still on, now and every check_every
        seconds until a batch arrives."""
        try:
            while True:
                if check:
                    ended = await self._session_ended()
                    if ended is not None:
                        await ws.close()
                        return ended
                    try:
                        msg = await asyncio.wait_for(ws.recv(), self._check_every)
                    except asyncio.TimeoutError:
                        continue
                else:
                    msg = await ws.recv()
                if isinstance(msg, str):
                    continue  # the feed sends only binary messages
                check = False
                self._received = True
                self._enqueue(msg)
        except _ws.ConnectionClosed as e:
            code, reason = _ws.close_code(e)
            if code == 1000:
                return reason or "session ended"
            if code in _FATAL_CLOSE:
                raise FeedClosed(code, reason) from e
            log.warning("the feed was cut (%s); reconnecting", _describe(code, reason))
            return None

    async def _reopen(self) -> Any:
        """Connects again, with backoff, until reconnect_for runs out."""
        started = time.monotonic()
        delay, longest = self._backoff
        attempt = 0
        while True:
            attempt += 1
            try:
                ws = await self._connect()
            except _Transient as e:
                wait = max(delay * random.uniform(0.5, 1.0), e.retry_after or 0)
                if self._reconnect_for is not None and time.monotonic() - started + wait > self._reconnect_for:
                    raise GaveUp(f"could not reconnect to {self.url} in {self._reconnect_for:g} s "
                                 f"({attempt} attempts): {e}") from e.cause
                log.info("reconnecting in %.1f s (attempt %d failed: %s)", wait, attempt, e)
                await asyncio.sleep(wait)
                delay = min(delay * 2, longest)
                continue
            log.info("reconnected to %s after %.1f s", self.url, time.monotonic() - started)
            return ws

    async def _connect(self) -> Any:
        """One connection attempt. Raises _Transient for what may mend by
        itself, ConnectError (and its kinds) for what will not."""
        try:
            return await _ws.connect(self.url, self._headers, **self._options)
        except PinMismatch as e:
            raise FingerprintMismatch(str(e)) from e
        except ssl.SSLCertVerificationError as e:
            raise ConnectError(f"TLS: the server's certificate is not trusted: {e.verify_message or e} "
                               "(give cafile= or fingerprint=)") from e
        except ssl.SSLError as e:
            raise ConnectError(f"TLS handshake with {self.url} failed: {e}") from e
        except (asyncio.TimeoutError, OSError, EOFError) as e:
            raise _Transient(e) from e
        except _ws.InvalidHandshake as e:
            refused = _ws.rejection(e)
            if refused is None:
                raise _Transient(e) from e  # not HTTP, or cut mid-handshake
            status, headers = refused
            if status in (401, 403):
                why = "needs a token" if not self._headers else "refused the token"
                raise AuthError(f"{self.url}: the server {why} (HTTP {status})", status) from e
            if status in _RETRY_STATUS:
                raise _Transient(e, _retry_after(headers)) from e
            raise ConnectError(f"{self.url}: the server refused the feed (HTTP {status})", status) from e

    async def _session_ended(self) -> Optional[str]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._session_state)

    def _session_state(self) -> Optional[str]:
        """Asks the server about the session: why it ended, or None while
        it runs or when the question gets no clear answer."""
        assert self._state_url is not None
        handlers: List[Any] = [urllib.request.ProxyHandler({})]
        if self._ssl is not None:
            handlers.append(urllib.request.HTTPSHandler(context=self._ssl))
        opener = urllib.request.build_opener(*handlers)
        req = urllib.request.Request(self._state_url, headers=dict(self._headers, Accept="application/json"))
        try:
            with opener.open(req, timeout=5) as res:
                info = json.load(res)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return "the session ended while the feed was cut (the server no longer has it)"
            log.debug("session state: HTTP %d", e.code)
            return None
        except (OSError, ValueError) as e:
            log.debug("session state: %s", e)
            return None
        state = info.get("state") if isinstance(info, dict) else None
        if state in ("stopped", "failed"):
            return f"the session ended while the feed was cut (it is {state})"
        return None


def _feed_url(url: str) -> str:
    """A ws:// or wss:// URL; http(s):// is taken for its WebSocket twin."""
    parts = urllib.parse.urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"{url!r} is not a feed URL: want ws://HOST/feed/SESSION_ID or wss://…")
    return urllib.parse.urlunsplit(parts._replace(scheme=scheme))


def _state_url(feed_url: str) -> Optional[str]:
    """GET /webrtc/sessions/{id} beside /feed/{id}, or None when the URL
    does not end in /feed/{id}."""
    parts = urllib.parse.urlsplit(feed_url)
    m = re.fullmatch(r"(.*)/feed/([^/]+)", parts.path)
    if m is None:
        return None
    scheme = "https" if parts.scheme == "wss" else "http"
    return urllib.parse.urlunsplit((scheme, parts.netloc, f"{m.group(1)}/webrtc/sessions/{m.group(2)}", "", ""))


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retry_after(headers: Any) -> Optional[float]:
    try:
        value = headers.get("Retry-After")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _describe(code: int, reason: str) -> str:
    return f"close code {code}" + (f" {reason}" if reason else "") if code != 1006 else "connection lost"

