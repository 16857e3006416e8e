"""The feed's message format: one batch of frames per binary message.

::

    offset  size  content
    0       4     N = header length in bytes, uint32 little-endian
    4       N     header: UTF-8 JSON
    4+N     rest  PCM: signed 16-bit little-endian, channels interleaved,
                  the batch's frames one after the other

Frame ``i`` holds ``frame_samples[i]`` samples per channel. Frame lengths
differ by one when ``sample_rate / fps`` is not an integer (22050 Hz at
60 fps: 367, 368, 367, ...), and change when fps changes inside a batch, so
a batch is not always rectangular: see :class:`Batch` for how this module
shapes it. docs/feed.md at the repository root describes the format.
"""

from __future__ import annotations

import json
import struct
import sys
from array import array as _pyarray
from dataclasses import dataclass, field
from typing import Any, Iterator, List, Optional, Tuple

from .errors import MalformedMessage, UnsupportedVersion

#: The format version this module reads.
VERSION = 1
#: The largest header the server writes (the Go encoder's MaxHeaderLen).
MAX_HEADER_LEN = 1 << 20
#: The most samples per channel one frame may hold (MaxFrameSamples).
MAX_FRAME_SAMPLES = 1 << 20


@dataclass(frozen=True)
class Features:
    """What the server measured in one frame."""

    rms: float  #: root mean square over all channels, 0..1
    peak: float  #: largest absolute sample, 0..1
    voice: bool  #: voice activity (speech-band level over a noise floor, 200 ms hangover)
    mouth: float  #: mouth openness for a lip-sync model, 0..1


@dataclass(frozen=True)
class Header:
    """The JSON header of a message. Fields this version does not know are
    kept, untouched, in :attr:`raw` (the whole header as parsed)."""

    v: int
    session_id: str
    batch: int  #: batch index in the session, from 0
    first_frame: int  #: index of the batch's first frame, from 0 at session start
    frames: int  #: frames in this batch; the last batch of a session may hold fewer than batch_size
    sample_rate: int
    channels: int
    fps: int  #: of the batch's first frame (a batch may span an fps change)
    batch_size: int  #: frames in a full batch
    frame_samples: Tuple[int, ...]  #: samples per channel of each frame
    features: Tuple[Features, ...]  #: one per frame
    #: batches the server dropped for this subscription (this connection) so
    #: far because its queue was full; it starts again from 0 on a new connection
    dropped: int
    sent_unix_ms: int  #: when the server published the batch
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def samples(self) -> int:
        """Samples per channel in the whole batch."""
        return sum(self.frame_samples)

    @property
    def duration(self) -> float:
        """Seconds of audio in the batch."""
        return self.samples / self.sample_rate


@dataclass(frozen=True)
class Batch:
    """One batch: its header and its audio, three ways.

    ``header, array = batch`` unpacks it.

    * :attr:`array` is ``(frames, samples, channels)`` int16, one row per
      frame, ``samples = max(frame_samples)``. When the frames differ in
      length, each shorter frame is padded with zeros at its end and
      :attr:`padded` is true; ``header.frame_samples[i]`` says how much of
      row ``i`` is audio. Never flatten it to get the audio back: use
      :attr:`pcm`.
    * :attr:`pcm` is the batch's audio as it was sent, ``(samples,
      channels)``, without padding: what to concatenate, resample or hand
      to an ASR or VAD model.
    * :attr:`frames` lists each frame alone, ``(frame_samples[i],
      channels)``.

    With numpy (the default when it is installed) these are
    ``numpy.ndarray`` of dtype int16; ``array`` and ``pcm`` are fresh,
    writable arrays (``array`` shares ``pcm``'s memory when nothing was
    padded), and each of ``frames`` is a view of ``pcm``. Without numpy,
    ``array`` is a read-only ``memoryview`` of format ``'h'`` with the same
    shape (``array[f, s, c]``, ``array.shape``, ``array.tolist()``; a batch
    without samples gives an empty one-dimensional view, as a memoryview
    cannot have a zero in its shape),
    ``pcm`` an ``array.array('h')`` of interleaved samples, and ``frames``
    a list of such arrays.

    :attr:`skipped` and :attr:`reconnected` are set by the client (0 and
    false from :func:`decode`): see :class:`recorder_feed.Feed`.
    """

    header: Header
    array: Any
    pcm: Any
    padded: bool
    #: batches missing just before this one (the server's or this client's
    #: full queue, or lost while reconnecting)
    skipped: int = 0
    #: the first batch on a new connection after the feed was cut
    reconnected: bool = False

    def __iter__(self) -> Iterator[Any]:
        return iter((self.header, self.array))

    @property
    def frames(self) -> List[Any]:
        """Each frame's samples, without padding."""
        h = self.header
        out, at = [], 0
        step = 1 if _is_numpy(self.pcm) else h.channels
        for n in h.frame_samples:
            out.append(self.pcm[at * step:(at + n) * step])
            at += n
        return out


def decode(message: bytes, *, use_numpy: Optional[bool] = None) -> Batch:
    """Parse one feed message.

    ``use_numpy`` picks the arrays: numpy's when true, the standard
    library's when false, numpy's if it can be imported when None (the
    default). Raises :class:`MalformedMessage` when the lengths disagree or
    a field the format requires is missing or of the wrong type, and
    :class:`UnsupportedVersion` for a version this module does not read.
    """
    header, pcm_bytes = _split(bytes(message) if not isinstance(message, bytes) else message)
    np = _numpy(use_numpy)
    if np is not None:
        return _with_numpy(np, header, pcm_bytes)
    return _with_stdlib(header, pcm_bytes)


def _split(msg: bytes) -> Tuple[Header, bytes]:
    if len(msg) < 4:
        raise MalformedMessage(f"{len(msg)} bytes, shorter than the length prefix")
    (n,) = struct.unpack_from("<I", msg, 0)
    if n < 2 or n > MAX_HEADER_LEN:
        raise MalformedMessage(f"header length {n} outside 2..{MAX_HEADER_LEN}")
    if n > len(msg) - 4:
        raise MalformedMessage(f"header length {n} beyond the {len(msg) - 4} bytes after the prefix")
    try:
        raw = json.loads(msg[4:4 + n])
    except (ValueError, UnicodeDecodeError) as e:
        raise MalformedMessage(f"header: {e}") from e
    if not isinstance(raw, dict):
        raise MalformedMessage("header: not a JSON object")
    header = _header(raw)
    pcm = msg[4 + n:]
    if len(pcm) % 2:
        raise MalformedMessage(f"odd PCM length {len(pcm)}")
    want = header.samples * header.channels
    if len(pcm) // 2 != want:
        raise MalformedMessage(
            f"{len(pcm)} PCM bytes, header says {header.samples} samples x {header.channels} channels")
    return header, pcm


def _header(raw: dict) -> Header:
    v = _int(raw, "v")
    if v != VERSION:
        raise UnsupportedVersion(
            f"format version {v}; this client reads version {VERSION} (a newer recorder_feed may read it)")
    channels, rate = _int(raw, "channels"), _int(raw, "sample_rate")
    if channels < 1 or rate < 1:
        raise MalformedMessage(f"{rate} Hz x {channels} channels")
    frames = _int(raw, "frames")
    fs = raw.get("frame_samples")
    feats = raw.get("features")
    if not isinstance(fs, list) or not isinstance(feats, list):
        raise MalformedMessage("frame_samples and features must be lists")
    if frames != len(fs):
        raise MalformedMessage(f"frames {frames} but {len(fs)} frame_samples")
    if frames != len(feats):
        raise MalformedMessage(f"frames {frames} but {len(feats)} features")
    for i, n in enumerate(fs):
        if not _is_int(n) or not 0 <= n <= MAX_FRAME_SAMPLES:
            raise MalformedMessage(f"frame_samples[{i}] = {n!r} outside 0..{MAX_FRAME_SAMPLES}")
    session_id = raw.get("session_id", "")
    if not isinstance(session_id, str):
        raise MalformedMessage("session_id is not a string")
    return Header(
        v=v, session_id=session_id, batch=_int(raw, "batch"), first_frame=_int(raw, "first_frame"),
        frames=frames, sample_rate=rate, channels=channels, fps=_int(raw, "fps", 0),
        batch_size=_int(raw, "batch_size", 0), frame_samples=tuple(fs),
        features=tuple(_features(i, f) for i, f in enumerate(feats)),
        dropped=_int(raw, "dropped", 0), sent_unix_ms=_int(raw, "sent_unix_ms", 0), raw=raw)


def _features(i: int, f: Any) -> Features:
    if not isinstance(f, dict):
        raise MalformedMessage(f"features[{i}] is not an object")
    def num(key: str) -> float:
        x = f.get(key, 0)
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            raise MalformedMessage(f"features[{i}].{key} = {x!r} is not a number")
        return float(x)
    voice = f.get("voice", False)
    if not isinstance(voice, bool):
        raise MalformedMessage(f"features[{i}].voice = {voice!r} is not a boolean")
    return Features(rms=num("rms"), peak=num("peak"), voice=voice, mouth=num("mouth"))


_MISSING = object()


def _int(raw: dict, key: str, default: Any = _MISSING) -> int:
    x = raw.get(key, default)
    if x is _MISSING:
        raise MalformedMessage(f"header lacks {key}")
    if not _is_int(x):
        raise MalformedMessage(f"{key} = {x!r} is not an integer")
    return x


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _with_numpy(np: Any, h: Header, pcm_bytes: bytes) -> Batch:
    ch, fs = h.channels, h.frame_samples
    pcm = np.frombuffer(pcm_bytes, dtype="<i2").astype(np.int16).reshape(-1, ch)
    width = max(fs, default=0)
    padded = any(n != width for n in fs)
    if not padded:
        arr = pcm.reshape(len(fs), width, ch)
    else:
        arr = np.zeros((len(fs), width, ch), dtype=np.int16)
        at = 0
        for i, n in enumerate(fs):
            arr[i, :n] = pcm[at:at + n]
            at += n
    return Batch(header=h, array=arr, pcm=pcm, padded=padded)


def _with_stdlib(h: Header, pcm_bytes: bytes) -> Batch:
    ch, fs = h.channels, h.frame_samples
    pcm = _pyarray("h")
    pcm.frombytes(pcm_bytes)
    if sys.byteorder == "big":
        pcm.byteswap()
    width = max(fs, default=0)
    padded = any(n != width for n in fs)
    if not padded:
        rect = pcm.tobytes()
    else:
        out, at = _pyarray("h"), 0
        for n in fs:
            out.extend(pcm[at * ch:(at + n) * ch])
            out.extend(_pyarray("h", bytes(2 * (width - n) * ch)))
            at += n
        rect = out.tobytes()
    # rect is in this machine's byte order already. memoryview refuses a
    # zero in a shape: a batch without samples gets a flat, empty view.
    arr = memoryview(rect).cast("h", (len(fs), width, ch)) if rect else memoryview(rect).cast("h")
    return Batch(header=h, array=arr, pcm=pcm, padded=padded)


def _is_numpy(x: Any) -> bool:
    return type(x).__module__ == "numpy"


def _numpy(use: Optional[bool]) -> Any:
    if use is False:
        return None
    try:
        import numpy
    except ImportError:
        if use:
            raise
        return None
    return numpy
