"""Client for the WebRTC Audio Recorder's live frame feed (``/feed/{session}``).

The feed sends a live session's audio as batches of frames, each frame
with the features the server measured (voice activity, RMS, mouth
openness). docs/feed.md at the repository root describes it.

Asynchronous::

    async with recorder_feed.Feed(url, token=token) as feed:
        async for header, array in feed:   # array: int16 (frames, samples, channels)
            ...

Blocking::

    with recorder_feed.subscribe(url, token=token) as feed:
        for header, array in feed:
            ...

``python3 -m recorder_feed.vad URL`` prints voice activity as it comes.
"""

from .errors import (AuthError, ConnectError, FeedClosed, FeedError, FingerprintMismatch, GaveUp,
                     MalformedMessage, UnsupportedVersion)
from .client import DEFAULT_MAX_SIZE, Feed, Stats
from .sync import SyncFeed, subscribe
from .wire import Batch, Features, Header, decode

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_SIZE", "AuthError", "Batch", "ConnectError", "Features", "Feed", "FeedClosed", "FeedError",
    "FingerprintMismatch", "GaveUp", "Header", "MalformedMessage", "Stats", "SyncFeed", "UnsupportedVersion",
    "decode", "subscribe",
]
