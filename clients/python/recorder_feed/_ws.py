"""The little of the websockets library the client uses, the same across its
versions: the asyncio implementation of websockets 14 and later, or the one
(now "legacy") of 10.x to 13.x, as Debian 12 ships 10.4. (13.x has both,
but its new one loses the messages still buffered when a connection is
cut.)"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.version import version as _version

if int(_version.split(".")[0]) >= 14:
    from websockets.asyncio.client import connect as _connect

    _HEADERS_ARG = "additional_headers"
else:
    from websockets.legacy.client import connect as _connect  # type: ignore[no-redef]

    _HEADERS_ARG = "extra_headers"

__all__ = ["ConnectionClosed", "InvalidHandshake", "close_code", "connect", "rejection"]


async def connect(url: str, headers: Sequence[Tuple[str, str]], **kwargs: Any) -> Any:
    """Opens a connection; kwargs are those both implementations take
    (ssl, open_timeout, ping_interval, ping_timeout, close_timeout,
    max_size, max_queue, compression)."""
    kwargs[_HEADERS_ARG] = list(headers)
    return await _connect(url, **kwargs)


def rejection(exc: BaseException) -> Optional[Tuple[int, Any]]:
    """The HTTP status and headers of a refused opening handshake
    (InvalidStatus in websockets >= 11, InvalidStatusCode before), or None
    for any other error."""
    response = getattr(exc, "response", None)
    if response is not None and isinstance(getattr(response, "status_code", None), int):
        return response.status_code, response.headers
    status = getattr(exc, "status_code", None)
    if isinstance(exc, InvalidHandshake) and isinstance(status, int):
        return status, getattr(exc, "headers", {})
    return None


def close_code(exc: ConnectionClosed) -> Tuple[int, str]:
    """The close code and reason that ended a connection: the server's, or
    ours when we failed it (a message over max_size: 1009), else 1006."""
    rcvd, sent = getattr(exc, "rcvd", None), getattr(exc, "sent", None)
    if sent is not None and sent.code not in (1000, 1001) and (rcvd is None or rcvd.code == sent.code):
        return sent.code, sent.reason
    if rcvd is not None:
        return rcvd.code, rcvd.reason
    return 1006, ""
