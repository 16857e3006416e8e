"""python3 -m recorder_feed.vad, as a user runs it, against a scripted server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import unittest
from pathlib import Path

from test_client import ScriptedTest, sends


class VADTest(ScriptedTest):
    """python3 -m recorder_feed.vad, as a user runs it."""

    async def run_vad(self, *args, env=None):
        root = Path(__file__).resolve().parent.parent
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "recorder_feed.vad", *args, cwd=root,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(root), os.environ.get("PYTHONPATH")))),
                 "PYTHONIOENCODING": "utf-8", **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        return proc.returncode, out.decode(), err.decode()

    async def test_prints_voice_activity(self):
        voice = (False, True, True)
        async with self.serve(sends(0, 2, voice=voice, frames=3)) as srv:
            code, out, err = await self.run_vad(srv.url(), env={"RECORDER_TOKEN": "envtoken"})
        self.assertEqual(code, 0, err)
        lines = out.splitlines()
        self.assertIn("waiting for batches", lines[0])
        self.assertRegex(lines[1], r"^\s+0\.00 s  batch 0\s+·██\s+voice\s+67%  rms 0\.100  mouth 0\.30$")
        self.assertRegex(lines[2], r"^\s+0\.64 s  batch 2 .*\(1 batches missing before it\)$")
        self.assertIn("ended: session ended; 2 batches, 6 frames; missing 1", lines[3])
        self.assertEqual(srv.feed_requests()[0].headers["authorization"], "Bearer envtoken")

    async def test_json(self):
        async with self.serve(sends(0, voice=(True,), frames=1)) as srv:
            code, out, err = await self.run_vad(srv.url(), "--json", "--token", "x")
        self.assertEqual(code, 0, err)
        first, last = out.splitlines()
        self.assertIn('"voice": [true]', first)
        self.assertIn('"end": "session ended"', last)

    async def test_refused(self):
        async def refuse(conn):
            await conn.reject(401)
        async with self.serve(refuse) as srv:
            code, out, err = await self.run_vad(srv.url())
        self.assertEqual(code, 1)
        self.assertIn("needs a token (HTTP 401)", err)


class StripTest(unittest.TestCase):
    def test_strip(self):
        from recorder_feed.vad import strip
        self.assertEqual(strip([True, False, True]), "█·█")
        self.assertEqual(strip([True] * 100 + [False] * 100, width=64), "█" * 25 + "·" * 25)
        self.assertEqual(len(strip([False] * 256)), 64)
        self.assertEqual(strip([]), "")


if __name__ == "__main__":
    unittest.main()
