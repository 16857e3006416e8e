#!/usr/bin/python3
"""The aiortc baseline: what a Python user would run instead of the recorder.

A small aiohttp + aiortc (1.4, Debian's python3-aiortc) server that speaks
the part of the recorder's API cmd/loadgen uses, and only decodes the audio:
each session's track is read with recv() (aiortc decodes Opus with PyAV in a
thread per track) and its frames are counted and timed. Nothing is resampled,
framed, analysed or written: a floor, not a rival pipeline.

    /usr/bin/python3 cmd/loadgen/aiortc/server.py -addr 127.0.0.1:8090
    go run ./cmd/loadgen -baseline -url http://127.0.0.1:8090 -sessions 8 -duration 15s

Routes: POST /webrtc/offer ({offer, session_id} -> {answer, session_id}),
GET /webrtc/sessions/{id} (state and counters, in the recorder's field
names), POST /webrtc/stop, POST /webrtc/discard, GET /readyz.

Latency is measured as the recorder measures it. "latency" is packet read
(its arrival at the RTP receiver, after SRTP) to the decoded frame in the
reader's hands; "lag" is end to end: the frame in hand against the stream
position of its packet, RTP time mapped to the wall clock by the earliest
arrival among the session's first 50 packets. Both include aiortc's jitter
buffer, which hands a packet on only once four newer ones have arrived.

Loopback only: it listens on a loopback address, gathers the loopback
candidate only (aioice leaves 127.0.0.1 out by default), and uses no STUN
server.
"""

import argparse
import asyncio
import collections
import ipaddress
import logging
import math
import sys
import time

import aioice.ice
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpreceiver import RTCRtpReceiver

OPUS_RATE = 48000
ANCHOR_PACKETS = 50  # as media/chain.go's clockAnchorPackets
WINDOW_S = 10.0  # the recent histograms cover the last 10-20 s, as the recorder's


def loopback_host_addresses(use_ipv4, use_ipv6):
    """aioice's host addresses, limited to the loopback interface."""
    return ["127.0.0.1"] if use_ipv4 else []


aioice.ice.get_host_addresses = loopback_host_addresses


class Histogram:
    """Latencies in buckets 1 % wide, as a plain dict."""

    STEP = math.log(1.01)

    def __init__(self):
        self.counts = collections.Counter()
        self.n = 0
        self.max = 0.0

    def add(self, ms):
        ms = max(ms, 0.001)
        self.counts[int(math.log(ms) / self.STEP)] += 1
        self.n += 1
        self.max = max(self.max, ms)

    def merge(self, other):
        h = Histogram()
        h.counts = self.counts + other.counts
        h.n = self.n + other.n
        h.max = max(self.max, other.max)
        return h

    def quantile(self, q):
        if self.n == 0:
            return 0.0
        rank = q * self.n
        seen = 0
        for k in sorted(self.counts):
            seen += self.counts[k]
            if seen >= rank:
                return min(math.exp((k + 0.5) * self.STEP), self.max)
        return self.max

    def summary(self):
        return {
            "p50_ms": round(self.quantile(0.50), 3),
            "p99_ms": round(self.quantile(0.99), 3),
            "max_ms": round(self.max, 3),
            "count": self.n,
        }


class Windowed:
    """A whole-session histogram and one of the last 10-20 s."""

    def __init__(self):
        self.whole = Histogram()
        self.cur = Histogram()
        self.prev = Histogram()
        self.turned = time.monotonic()

    def add(self, ms, now):
        if now - self.turned >= WINDOW_S:
            self.prev, self.cur, self.turned = self.cur, Histogram(), now
        self.whole.add(ms)
        self.cur.add(ms)

    def recent(self):
        return self.cur.merge(self.prev)


class Session:
    def __init__(self, sid, pc):
        self.id = sid
        self.pc = pc
        self.state = "connecting"
        self.reason = ""
        self.task = None
        # Arrivals, from the receiver's hook: RTP time extended from the
        # first packet's, and the wall clock.
        self.first_ts = None
        self.max_seq = None
        self.arrived = 0
        self.seq_lost = 0
        self.anchored = 0
        self.base = 0.0  # wall time of extended timestamp 0
        self.pending = collections.deque()  # (extended ts, arrival)
        # Decoded frames, from the reader.
        self.ts_offset = None  # frame pts to extended timestamp
        self.frames = 0
        self.samples = 0
        self.first_frame_at = None
        self.drift_ms = 0.0
        self.latency = Windowed()
        self.lag = Windowed()

    def on_packet(self, packet, now):
        ts = packet.timestamp
        if self.first_ts is None:
            self.first_ts = ts
            self.max_seq = packet.sequence_number
        else:
            d = (packet.sequence_number - self.max_seq) & 0xFFFF
            if 0 < d < 0x8000:
                self.seq_lost += d - 1
                self.max_seq = packet.sequence_number
        ext = (ts - self.first_ts) & 0xFFFFFFFF
        self.arrived += 1
        at = now - ext / OPUS_RATE
        if self.anchored == 0 or (self.anchored < ANCHOR_PACKETS and at < self.base):
            self.base = at
        self.anchored += 1
        self.pending.append((ext, now))

    def on_frame(self, receiver, frame, now):
        if self.ts_offset is None:
            # aiortc numbers frames from the first timestamp its jitter
            # buffer let through: normally the first packet's.
            mapper = getattr(receiver, "_RTCRtpReceiver__timestamp_mapper", None)
            origin = getattr(mapper, "_origin", None)
            first = self.first_ts if self.first_ts is not None else origin
            self.ts_offset = ((origin - first) & 0xFFFFFFFF) if origin is not None and first is not None else 0
            self.first_frame_at = now
            self.state = "live"
        ext = frame.pts + self.ts_offset
        arrival = None
        while self.pending and self.pending[0][0] <= ext:
            e, at = self.pending.popleft()
            if e == ext:
                arrival = at
        if arrival is not None:
            self.latency.add((now - arrival) * 1000, now)
        if self.anchored:
            self.lag.add((now - (self.base + ext / OPUS_RATE)) * 1000, now)
        self.frames += 1
        self.samples += frame.samples
        self.drift_ms = ((now - self.first_frame_at) - (self.samples - frame.samples) / OPUS_RATE) * 1000

    def info(self):
        return {
            "session_id": self.id,
            "state": self.state,
            "reason": self.reason,
            "duration": self.samples / OPUS_RATE,
            "codec": "opus",
            "stats": {
                "packets": self.frames,  # decoded: one frame per packet
                "lost_packets": self.seq_lost,
                "arrived_packets": self.arrived,
                "decoded_samples": self.samples,
            },
            "framing": {
                "frames": self.frames,
                "batches": 0,
                "latency": self.latency.whole.summary(),
                "latency_recent": self.latency.recent().summary(),
                "lag": self.lag.whole.summary(),
                "lag_recent": self.lag.recent().summary(),
                "drift_ms": round(self.drift_ms, 3),
            },
        }


# The receiver's packets, timed as they arrive (after SRTP), before the
# jitter buffer; a receiver not tied to a session is left alone.
_handle_rtp_packet = RTCRtpReceiver._handle_rtp_packet


async def _observed_rtp_packet(self, packet, arrival_time_ms):
    sess = getattr(self, "_baseline_session", None)
    if sess is not None:
        sess.on_packet(packet, time.monotonic())
    await _handle_rtp_packet(self, packet, arrival_time_ms)


RTCRtpReceiver._handle_rtp_packet = _observed_rtp_packet


async def read_track(sess, receiver, track):
    """Takes every decoded frame off the track until it ends."""
    try:
        while True:
            frame = await track.recv()
            sess.on_frame(receiver, frame, time.monotonic())
    except MediaStreamError:
        pass


def error(status, message):
    return web.json_response({"message": message}, status=status)


class Server:
    def __init__(self, max_sessions):
        self.sessions = {}
        self.max_sessions = max_sessions

    async def offer(self, request):
        try:
            body = await request.json()
            sid = body["session_id"]
            offer = RTCSessionDescription(sdp=body["offer"]["sdp"], type=body["offer"]["type"])
        except (ValueError, KeyError, TypeError) as e:
            return error(400, f"bad offer: {e}")
        if not sid or offer.type != "offer":
            return error(400, "need a session_id and an offer")
        if sid in self.sessions:
            return error(409, f"session {sid} exists")
        if len(self.sessions) >= self.max_sessions:
            return error(503, "too many sessions")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        sess = Session(sid, pc)
        self.sessions[sid] = sess

        @pc.on("track")
        def on_track(track):
            if track.kind != "audio":
                return
            receiver = next(t.receiver for t in pc.getTransceivers() if t.receiver.track is track)
            receiver._baseline_session = sess
            sess.task = asyncio.ensure_future(read_track(sess, receiver, track))

        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState == "failed" and sess.state in ("connecting", "live"):
                sess.state, sess.reason = "failed", "the connection failed"
                await pc.close()

        try:
            await pc.setRemoteDescription(offer)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as e:  # aiortc raises plain exceptions of many kinds
            self.sessions.pop(sid, None)
            await pc.close()
            return error(400, f"offer: {e}")
        answer = pc.localDescription
        return web.json_response({"answer": {"type": answer.type, "sdp": answer.sdp}, "session_id": sid})

    async def session_info(self, request):
        sess = self.sessions.get(request.match_info["id"])
        if sess is None:
            return error(404, "session not found")
        return web.json_response(sess.info())

    async def session_from_body(self, request):
        try:
            sid = (await request.json())["session_id"]
        except (ValueError, KeyError, TypeError):
            return None, error(400, "need a session_id")
        sess = self.sessions.get(sid)
        if sess is None:
            return None, error(404, "session not found")
        return sess, None

    async def stop(self, request):
        sess, err = await self.session_from_body(request)
        if err is not None:
            return err
        if sess.state in ("connecting", "live"):
            sess.state = "stopped"
        await sess.pc.close()
        return web.json_response({"status": "stopped", "session_id": sess.id})

    async def discard(self, request):
        sess, err = await self.session_from_body(request)
        if err is not None:
            return err
        self.sessions.pop(sess.id, None)
        await sess.pc.close()
        return web.json_response({"status": "discarded", "session_id": sess.id})

    async def readyz(self, request):
        return web.Response(text="ok\n")

    async def close(self, app):
        for sess in list(self.sessions.values()):
            await sess.pc.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-addr", default="127.0.0.1:8090", help="loopback HOST:PORT to listen on")
    ap.add_argument("-max-sessions", type=int, default=1100, help="sessions at once")
    ap.add_argument("-log-level", default="warning", help="Python logging level")
    args = ap.parse_args()
    host, _, port = args.addr.rpartition(":")
    if not ipaddress.ip_address(host.strip("[]")).is_loopback:
        sys.exit(f"-addr {args.addr}: not a loopback address")
    logging.basicConfig(level=args.log_level.upper())
    srv = Server(args.max_sessions)
    app = web.Application()
    app.add_routes([
        web.post("/webrtc/offer", srv.offer),
        web.get("/webrtc/sessions/{id}", srv.session_info),
        web.post("/webrtc/stop", srv.stop),
        web.post("/webrtc/discard", srv.discard),
        web.get("/readyz", srv.readyz),
    ])
    app.on_shutdown.append(srv.close)
    web.run_app(app, host=host.strip("[]"), port=int(port), access_log=None, print=None)


if __name__ == "__main__":
    main()
