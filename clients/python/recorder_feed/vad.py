"""Print a session's voice activity live, from the feed's per-frame features.

    python3 -m recorder_feed.vad wss://HOST:8080/feed/SESSION_ID --fingerprint AB:CD:…

One line per batch: where it starts (first_frame / fps), a strip with one
mark per frame (``█`` voice, ``·`` none; frames grouped when there are
more than 64), the share of frames with voice, the mean RMS and mouth
openness, and what is missing before it. At the end, a summary. The token
comes from ``--token`` or ``$RECORDER_TOKEN``. Exit status: 0 when the
session ended, 1 on an error, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Optional, Sequence, TextIO

from .errors import FeedError
from .sync import subscribe
from .wire import Batch

STRIP_WIDTH = 64


def strip(voice: Sequence[bool], width: int = STRIP_WIDTH, marks: str = "█·") -> str:
    """One mark per frame, or per group of frames when there are more than
    width: voiced when most of the group is."""
    if not voice:
        return ""
    group = -(-len(voice) // width)  # ceil
    out = []
    for i in range(0, len(voice), group):
        part = voice[i:i + group]
        out.append(marks[0] if 2 * sum(part) >= len(part) else marks[1])
    return "".join(out)


def describe(batch: Batch, marks: str = "█·") -> str:
    """The line printed for a batch."""
    h = batch.header
    n = max(h.frames, 1)
    voice = [f.voice for f in h.features]
    width = min(max(h.batch_size, h.frames), STRIP_WIDTH)  # the same for every full batch
    line = (f"{h.first_frame / max(h.fps, 1):8.2f} s  batch {h.batch:<5d} {strip(voice, width, marks):<{width}}  "
            f"voice {100 * sum(voice) / n:3.0f}%  rms {sum(f.rms for f in h.features) / n:.3f}  "
            f"mouth {sum(f.mouth for f in h.features) / n:.2f}")
    notes = []
    if batch.reconnected:
        notes.append("reconnected")
    if batch.skipped:
        notes.append(f"{batch.skipped} batches missing before it")
    if notes:
        line += "  (" + ", ".join(notes) + ")"
    return line


def as_json(batch: Batch) -> str:
    h = batch.header
    n = max(h.frames, 1)
    return json.dumps({
        "batch": h.batch, "first_frame": h.first_frame, "frames": h.frames, "fps": h.fps,
        "voice": [f.voice for f in h.features],
        "rms": sum(f.rms for f in h.features) / n, "mouth": sum(f.mouth for f in h.features) / n,
        "dropped": h.dropped, "skipped": batch.skipped, "reconnected": batch.reconnected,
    })


def _marks(out: TextIO) -> str:
    try:
        "█·".encode(out.encoding or "ascii")
        return "█·"
    except (UnicodeEncodeError, LookupError):
        return "#."


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m recorder_feed.vad",
                                 description="Print a live session's voice activity from the recorder's feed.")
    ap.add_argument("url", help="ws://HOST:PORT/feed/SESSION_ID or wss://…")
    ap.add_argument("--token", default=os.environ.get("RECORDER_TOKEN"),
                    help="the server's access token (default: $RECORDER_TOKEN)")
    tls = ap.add_mutually_exclusive_group()
    tls.add_argument("--cafile", help="trust this certificate (PEM), e.g. the server's DATA/tls/cert.pem")
    tls.add_argument("--fingerprint", help="trust the certificate with this SHA-256 fingerprint (the server logs it)")
    ap.add_argument("--reconnect-for", type=float, default=300.0, metavar="SECONDS",
                    help="give up when the feed cannot be reopened for this long (default 300)")
    ap.add_argument("--json", action="store_true", help="print one JSON object per batch")
    ap.add_argument("-v", "--verbose", action="store_true", help="log connections and losses")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)

    marks = _marks(out)
    try:
        with subscribe(args.url, token=args.token or None, cafile=args.cafile, fingerprint=args.fingerprint,
                       reconnect_for=args.reconnect_for) as feed:
            if not args.json:
                print(f"subscribed to {feed.url}; waiting for batches", file=out, flush=True)
            for batch in feed:
                print(as_json(batch) if args.json else describe(batch, marks), file=out, flush=True)
    except KeyboardInterrupt:
        return 130
    except (FeedError, OSError, ValueError) as e:
        print(f"recorder_feed.vad: {e}", file=sys.stderr)
        return 1
    st = feed.stats
    summary = {"end": feed.end_reason, "batches": st.batches, "frames": st.frames, "skipped": st.skipped,
               "server_dropped": st.server_dropped, "client_dropped": st.client_dropped,
               "lost_reconnecting": st.lost_reconnecting, "reconnects": st.reconnects}
    if args.json:
        print(json.dumps(summary), file=out, flush=True)
    else:
        print(f"ended: {feed.end_reason}; {st.batches} batches, {st.frames} frames; missing {st.skipped} "
              f"(dropped by the server {st.server_dropped}, by this client {st.client_dropped}; "
              f"lost reconnecting {st.lost_reconnecting}); reconnects {st.reconnects}", file=out, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
