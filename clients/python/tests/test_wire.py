"""Decoding against messages the server's Go encoder made (testdata/feed,
written by golden_test.go), with numpy and without."""

from __future__ import annotations

import json
import struct
import unittest
from array import array
from pathlib import Path

from recorder_feed import Batch, Features, MalformedMessage, UnsupportedVersion, decode

GOLDEN = Path(__file__).resolve().parent.parent / "testdata" / "feed"

try:
    import numpy
except ImportError:  # the standard-library path is tested anyway
    numpy = None


def golden_cases():
    cases = json.loads((GOLDEN / "cases.json").read_text())
    for c in cases:
        c["message"] = (GOLDEN / c["file"]).read_bytes()
    return cases


def split(msg: bytes):
    (n,) = struct.unpack_from("<I", msg, 0)
    return json.loads(msg[4:4 + n]), msg[4 + n:]


def join(header: dict, pcm: bytes) -> bytes:
    js = json.dumps(header).encode()
    return struct.pack("<I", len(js)) + js + pcm


class GoldenTest(unittest.TestCase):
    def setUp(self):
        self.cases = golden_cases()
        self.assertEqual([c["name"] for c in self.cases], ["mono48k", "stereo22050", "fpschange", "dropped", "empty"])

    def check_header(self, b: Batch, want: dict):
        h = b.header
        for key in ("v", "session_id", "batch", "first_frame", "frames", "sample_rate", "channels",
                    "fps", "batch_size", "dropped", "sent_unix_ms"):
            self.assertEqual(getattr(h, key), want[key], key)
        self.assertEqual(list(h.frame_samples), want["frame_samples"])
        self.assertEqual(h.features, tuple(Features(**f) for f in want["features"]))
        self.assertEqual(h.samples, sum(want["frame_samples"]))
        self.assertAlmostEqual(h.duration, sum(want["frame_samples"]) / want["sample_rate"])
        self.assertEqual(b.padded, len(set(want["frame_samples"])) > 1)

    def decoded(self, use_numpy):
        """Each golden case decoded: its name, the batch, what it must hold
        (frames as [frame][sample][channel], the header), the frame lengths
        and the longest."""
        for c in self.cases:
            fs = c["header"]["frame_samples"]
            yield c["name"], decode(c["message"], use_numpy=use_numpy), c["frames"], c["header"], fs, max(fs, default=0)

    def test_stdlib(self):
        for name, b, frames, want, fs, width in self.decoded(use_numpy=False):
            with self.subTest(name):
                self.check_header(b, want)
                ch = want["channels"]
                # pcm: every frame's samples, interleaved, nothing added.
                self.assertIsInstance(b.pcm, array)
                self.assertEqual(b.pcm.tolist(), [s for f in frames for row in f for s in row])
                self.assertEqual([f.tolist() for f in b.frames], [[s for row in f for s in row] for f in frames])
                # array: (frames, samples, channels), short frames padded with zeros.
                self.assertIsInstance(b.array, memoryview)
                self.assertTrue(b.array.readonly)
                if width:
                    self.assertEqual(b.array.shape, (len(fs), width, ch))
                    self.assertEqual(b.array.tolist(), [f + [[0] * ch] * (width - len(f)) for f in frames])
                else:
                    self.assertEqual(b.array.nbytes, 0)
                header, arr = b
                self.assertIs(header, b.header)
                self.assertIs(arr, b.array)

    @unittest.skipIf(numpy is None, "numpy is not installed")
    def test_numpy(self):
        for name, b, frames, want, fs, width in self.decoded(use_numpy=True):
            with self.subTest(name):
                self.check_header(b, want)
                ch = want["channels"]
                self.assertEqual(b.array.dtype, numpy.int16)
                self.assertEqual(b.array.shape, (len(fs), width, ch))
                self.assertTrue(b.array.flags.writeable)
                self.assertEqual(b.pcm.shape, (sum(fs), ch))
                self.assertEqual(b.pcm.tolist(), [row for f in frames for row in f])
                self.assertEqual([f.tolist() for f in b.frames], frames)
                self.assertEqual(b.array.tolist(), [f + [[0] * ch] * (width - len(f)) for f in frames])
                # The padding never leaks into pcm.
                self.assertEqual(b.pcm.size, sum(fs) * ch)
                b.pcm[...] = 1  # writable, and frames are views of it
                self.assertTrue(all((f == 1).all() for f in b.frames))

    @unittest.skipIf(numpy is None, "numpy is not installed")
    def test_default_is_numpy(self):
        self.assertIsInstance(decode(self.cases[0]["message"]).array, numpy.ndarray)

    def test_clipped_sample(self):
        # The encoder clips -2.0 to -32768: the sign survives decoding.
        b = decode(self.cases[0]["message"], use_numpy=False)
        self.assertEqual(b.array[0, 0, 0], -32768)
        self.assertEqual(min(b.pcm), -32768)

    def test_unknown_fields_are_kept_and_ignored(self):
        header, pcm = split(self.cases[1]["message"])
        header["model_hint"] = {"lang": "en"}
        header["features"][0]["jaw"] = 0.5
        b = decode(join(header, pcm), use_numpy=False)
        self.assertEqual(b.header.raw["model_hint"], {"lang": "en"})
        self.assertEqual(b.header.features[0], Features(**self.cases[1]["header"]["features"][0]))


class MalformedTest(unittest.TestCase):
    def setUp(self):
        self.msg = (GOLDEN / "stereo22050.bin").read_bytes()
        self.header, self.pcm = split(self.msg)

    def with_header(self, **change):
        h = dict(self.header)
        for k, v in change.items():
            if v is None:
                del h[k]
            else:
                h[k] = v
        return join(h, self.pcm)

    def test_rejects(self):
        bad = {
            "empty": b"",
            "short prefix": b"\x02\x00",
            "header too long": struct.pack("<I", 1 << 21) + b"{}",
            "header beyond message": struct.pack("<I", 1000) + b"{}",
            "header too short": struct.pack("<I", 1) + b"{",
            "not JSON": struct.pack("<I", 2) + b"{[",
            "not an object": struct.pack("<I", 2) + b"[]",
            "not UTF-8": struct.pack("<I", 2) + b"\xff\xfe",
            "odd PCM": self.msg + b"\x00",
            "PCM too long": self.msg + b"\x00\x00",
            "PCM too short": self.msg[:-2],
            "no channels": self.with_header(channels=0),
            "no rate": self.with_header(sample_rate=None),
            "frames disagree": self.with_header(frames=3),
            "features disagree": self.with_header(features=self.header["features"][:3]),
            "negative frame": self.with_header(frame_samples=[-1, 368, 367, 368 + 367]),
            "huge frame": self.with_header(frame_samples=[1 << 21, 0, 0, 0]),
            "float batch": self.with_header(batch=1.5),
            "string frames": self.with_header(frames="4"),
            "bool channels": self.with_header(channels=True),
            "voice not bool": self.with_header(features=[{"voice": 1}] * 4),
            "rms not number": self.with_header(features=[{"rms": "loud"}] * 4),
            "frame_samples not list": self.with_header(frame_samples=1470),
        }
        for name, msg in bad.items():
            with self.subTest(name):
                with self.assertRaises(MalformedMessage):
                    decode(msg, use_numpy=False)
                if numpy is not None:
                    with self.assertRaises(MalformedMessage):
                        decode(msg, use_numpy=True)

    def test_other_version(self):
        with self.assertRaises(UnsupportedVersion) as cm:
            decode(self.with_header(v=2), use_numpy=False)
        self.assertIn("version 2", str(cm.exception))
        self.assertIsInstance(cm.exception, ValueError)

    def test_bytes_like(self):
        self.assertEqual(decode(bytearray(self.msg), use_numpy=False).header.batch, 0)
        self.assertEqual(decode(memoryview(self.msg), use_numpy=False).header.batch, 0)


if __name__ == "__main__":
    unittest.main()
