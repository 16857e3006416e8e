"""The Python client as live_test.go drives it: subscribes to a feed with
the async API (or the blocking one with --sync), prints one JSON line per
event, and appends each batch's pcm and array, as raw int16, to files the
Go test reads.

Events: {"event": "subscribed"}, {"event": "batch", …} per batch,
{"event": "end", "reason", "stats"} once the feed ends, or
{"event": "error", "type", "message"} (exit status 1).
"""

import argparse
import asyncio
import json
import sys
import time

import recorder_feed


def emit(**event):
    print(json.dumps(event), flush=True)


def describe(batch, out_pcm, out_array, slow):
    h = batch.header
    if out_pcm:
        out_pcm.write(batch.pcm.tobytes())
        out_array.write(batch.array.tobytes())
    emit(event="batch", batch=h.batch, first_frame=h.first_frame, frames=h.frames, sample_rate=h.sample_rate,
         channels=h.channels, batch_size=h.batch_size, frame_samples=list(h.frame_samples),
         shape=list(batch.array.shape), pcm_shape=list(batch.pcm.shape), dtype=str(batch.array.dtype),
         padded=batch.padded, dropped=h.dropped, skipped=batch.skipped, reconnected=batch.reconnected,
         voice=sum(f.voice for f in h.features), rms=sum(f.rms for f in h.features) / max(h.frames, 1))
    if slow:
        time.sleep(slow)


def end(feed):
    st = feed.stats
    emit(event="end", reason=feed.end_reason, stats=dict(
        batches=st.batches, frames=st.frames, connects=st.connects, reconnects=st.reconnects,
        server_dropped=st.server_dropped, client_dropped=st.client_dropped, skipped=st.skipped,
        lost_reconnecting=st.lost_reconnecting))


async def run_async(args, options, files):
    async with recorder_feed.Feed(args.url, **options) as feed:
        emit(event="subscribed")
        async for batch in feed:
            describe(batch, *files, args.slow)
    end(feed)


def run_sync(args, options, files):
    with recorder_feed.subscribe(args.url, **options) as feed:
        emit(event="subscribed")
        for batch in feed:
            describe(batch, *files, args.slow)
    end(feed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--token")
    ap.add_argument("--cafile")
    ap.add_argument("--fingerprint")
    ap.add_argument("--sync", action="store_true")
    ap.add_argument("--out", help="prefix of the .pcm and .array files to write")
    ap.add_argument("--queue", type=int, default=32)
    ap.add_argument("--slow", type=float, default=0, help="seconds to spend on each batch")
    args = ap.parse_args()
    options = dict(token=args.token, cafile=args.cafile, fingerprint=args.fingerprint, queue=args.queue,
                   use_numpy=True, reconnect_for=30)
    files = (open(args.out + ".pcm", "wb"), open(args.out + ".array", "wb")) if args.out else (None, None)
    try:
        if args.sync:
            run_sync(args, options, files)
        else:
            asyncio.run(run_async(args, options, files))
    except (recorder_feed.FeedError, OSError) as e:
        emit(event="error", type=type(e).__name__, message=str(e))
        return 1
    finally:
        for f in files:
            if f:
                f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
