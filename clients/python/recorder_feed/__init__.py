"""Client for the WebRTC Audio Recorder's live frame feed (``/feed/{session}``).

The feed sends a live session's audio as batches of frames, each frame
with the features the server measured (voice activity, RMS, mouth
openness). docs/feed.md at the repository root describes it.
"""

from .errors import (AuthError, ConnectError, FeedClosed, FeedError, FingerprintMismatch, GaveUp,
                     MalformedMessage, UnsupportedVersion)
from .wire import Batch, Features, Header, decode

__version__ = "0.1.0"

__all__ = [
    "AuthError", "Batch", "ConnectError", "Features", "FeedClosed", "FeedError", "FingerprintMismatch",
    "GaveUp", "Header", "MalformedMessage", "UnsupportedVersion", "decode",
]
