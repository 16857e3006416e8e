"""The errors recorder_feed raises."""

from __future__ import annotations

from typing import Optional


class FeedError(Exception):
    """Base class of every error this package raises."""


class MalformedMessage(FeedError, ValueError):
    """A message whose lengths or fields disagree with the feed's format."""


class UnsupportedVersion(MalformedMessage):
    """A message in a format version this client does not read."""


class ConnectError(FeedError):
    """The feed could not be opened, and trying again would not help: the
    server refused the request (``status``), or TLS failed (``__cause__``
    is the ``ssl`` error)."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(ConnectError):
    """The server wants a token (401) or another one (403)."""


class FingerprintMismatch(ConnectError):
    """The server's certificate is not the pinned one."""


class FeedClosed(FeedError):
    """The server closed the feed with an error that reconnecting would not
    mend (a protocol or policy violation)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"the server closed the feed: {code} {reason}".rstrip())
        self.code = code
        self.reason = reason


class GaveUp(FeedError):
    """The feed was cut and could not be reopened in time
    (``reconnect_for``); ``__cause__`` is the last attempt's error."""
