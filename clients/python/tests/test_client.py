"""The client against a scripted server: batches, the end of a session,
refusals, cuts and reconnections, and the accounting of what was lost."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import unittest

from fakeserver import FakeServer, message

import recorder_feed
from recorder_feed import AuthError, ConnectError, Feed, FeedClosed, GaveUp, MalformedMessage

logging.getLogger("recorder_feed").setLevel(logging.CRITICAL)  # the tests provoke every warning

# Fast backoff and session checks, so that the tests take a second, not minutes.
FAST = dict(backoff=(0.02, 0.1), check_every=0.2, use_numpy=False)


async def collect(feed: Feed):
    return [b async for b in feed]


async def wait_until(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


def scripted(*scripts) -> FakeServer:
    """A server running one script per connection, in order; 503 after."""
    scripts = list(scripts)

    async def handler(conn):
        script = scripts.pop(0) if scripts else refuse503
        await script(conn)

    return FakeServer(handler)


class ScriptedTest(unittest.IsolatedAsyncioTestCase):
    def serve(self, *scripts):
        return scripted(*scripts)


async def refuse503(conn):
    await conn.reject(503)


def sends(*batches, end=True, **kw):
    """A script: accept, send these batches (numbers, or messages as they
    are), then end the session (end True), cut the connection (False) or
    leave it open (None)."""
    async def script(conn):
        await conn.accept()
        for b in batches:
            await conn.send(b if isinstance(b, (bytes, str)) else message(b, **kw))
        if end is True:
            await conn.close(1000, "session ended")
        elif end is False:
            conn.drop()
    return script


class FeedTest(ScriptedTest):
    async def test_batches_until_the_session_ends(self):
        async with self.serve(sends(0, 1, 2, voice=(True, False, True))) as srv:
            async with Feed(srv.url(), token="t0ken", **FAST) as feed:
                got = await collect(feed)
        self.assertEqual([b.header.batch for b in got], [0, 1, 2])
        header, array = got[1]
        self.assertEqual(array.shape, (3, 160, 1))
        self.assertEqual(array[0, 0, 0], 1000)
        self.assertEqual([f.voice for f in header.features], [True, False, True])
        self.assertEqual(feed.end_reason, "session ended")
        self.assertEqual((feed.stats.batches, feed.stats.frames, feed.stats.skipped, feed.stats.connects), (3, 9, 0, 1))
        self.assertFalse(any(b.reconnected or b.skipped for b in got))
        req = srv.feed_requests()[0]
        self.assertEqual(req.path, "/feed/s1")
        self.assertEqual(req.headers["authorization"], "Bearer t0ken")
        self.assertNotIn("origin", req.headers)  # the server refuses cross-site WebSockets

    async def test_no_token_no_header(self):
        async with self.serve(sends(0)) as srv:
            await collect(Feed(srv.url(), **FAST))
        self.assertNotIn("authorization", srv.feed_requests()[0].headers)

    async def test_waits_for_the_session_to_start(self):
        async def later(conn):
            await conn.accept()
            await asyncio.sleep(0.5)  # longer than check_every: no session check before any batch
            await conn.send(message(0))
            await conn.close()
        async with self.serve(later) as srv:
            got = await collect(Feed(srv.url(), **FAST))
        self.assertEqual(len(got), 1)
        self.assertEqual(len(srv.requests), 1)

    async def test_refusals_raise_at_once(self):
        for status, kind in ((401, AuthError), (403, AuthError), (404, ConnectError), (426, ConnectError)):
            with self.subTest(status):
                async def refuse(conn, status=status):
                    await conn.reject(status)
                async with self.serve(refuse) as srv:
                    with self.assertRaises(kind) as cm:
                        await Feed(srv.url(), token="wrong", **FAST).open()
                self.assertEqual(cm.exception.status, status)
                self.assertEqual(len(srv.requests), 1, "retried a refusal")

    async def test_not_a_feed(self):
        async def hang_up(conn):
            conn.drop()
        async with self.serve(hang_up) as srv:
            with self.assertRaises(ConnectError) as cm:
                await Feed(srv.url(), **FAST).open()
        self.assertIsNone(cm.exception.status)
        self.assertEqual(len(srv.requests), 1)

    async def test_nothing_listening(self):
        async with self.serve() as srv:
            await srv.stop_listening()
            with self.assertRaises(OSError):
                await Feed(srv.url(), **FAST).open()

    async def test_reconnects_after_a_cut(self):
        async with self.serve(sends(0, 1, end=False), sends(3, 4)) as srv:
            feed = Feed(srv.url(), token="t", **FAST)
            got = await collect(feed)
        self.assertEqual([b.header.batch for b in got], [0, 1, 3, 4])
        self.assertEqual([b.skipped for b in got], [0, 0, 1, 0])
        self.assertEqual([b.reconnected for b in got], [False, False, True, False])
        st = feed.stats
        self.assertEqual((st.connects, st.reconnects, st.skipped, st.lost_reconnecting), (2, 1, 1, 0 + 1))
        self.assertEqual(feed.end_reason, "session ended")
        # It asked whether the session was still on, with the token.
        checks = [r for r in srv.requests if r.path == "/webrtc/sessions/s1"]
        self.assertTrue(checks)
        self.assertEqual(checks[0].headers["authorization"], "Bearer t")

    async def test_retries_with_backoff_and_retry_after(self):
        async def busy(conn):
            await conn.reject(503, (("Retry-After", "1"),))
        async with self.serve(sends(0, end=False), refuse503, busy, sends(1)) as srv:
            feed = Feed(srv.url(), **FAST)
            await feed.open()
            first = await feed.__anext__()
            cut = time.monotonic()
            second = await feed.__anext__()
            waited = time.monotonic() - cut
            await feed.close()
        self.assertEqual((first.header.batch, second.header.batch, second.reconnected), (0, 1, True))
        self.assertEqual(feed.stats.connects, 2)
        self.assertEqual(len(srv.feed_requests()), 4)
        self.assertGreaterEqual(waited, 0.95, "Retry-After: 1 not honoured")

    async def test_gives_up(self):
        async def cut_and_leave(conn):
            await sends(0, end=None)(conn)
            await srv.stop_listening()
            conn.drop()
        async with self.serve(cut_and_leave) as srv:
            feed = Feed(srv.url(), reconnect_for=0.5, **FAST)
            await feed.open()
            self.assertEqual((await feed.__anext__()).header.batch, 0)
            with self.assertRaises(GaveUp) as cm:
                await feed.__anext__()
            self.assertIsInstance(cm.exception.__cause__, OSError)
            with self.assertRaises(StopAsyncIteration):
                await feed.__anext__()

    async def test_session_ended_while_cut(self):
        for state in ("stopped", "failed", None):
            with self.subTest(state):
                async def silent(conn):
                    await conn.accept()  # the subscription of an ended session: nothing comes
                async with self.serve(sends(0, end=False), silent) as srv:
                    srv.session_state = state
                    feed = Feed(srv.url(), **FAST)
                    got = await asyncio.wait_for(collect(feed), 10)
                self.assertEqual([b.header.batch for b in got], [0])
                self.assertIn("ended while the feed was cut", feed.end_reason)

    async def test_session_checked_until_a_batch_comes(self):
        async def silent(conn):
            await conn.accept()
            await asyncio.sleep(0.5)
            srv.session_state = "stopped"  # the session ends just after the client resubscribed
        async with self.serve(sends(0, end=False), silent) as srv:
            feed = Feed(srv.url(), **FAST)
            await asyncio.wait_for(collect(feed), 10)
        checks = [r for r in srv.requests if r.path.startswith("/webrtc/")]
        self.assertGreaterEqual(len(checks), 2)
        self.assertIn("stopped", feed.end_reason)

    async def test_no_check_when_told(self):
        async with self.serve(sends(0, end=False), sends(1)) as srv:
            await collect(Feed(srv.url(), check_session=False, **FAST))
        self.assertEqual([r.path for r in srv.requests], ["/feed/s1", "/feed/s1"])

    async def test_a_new_take_ends_the_feed(self):
        # The take followed ended during the cut and the same session id
        # started again: its batches number from 0.
        async with self.serve(sends(5, end=False), sends(0, 1)) as srv:
            feed = Feed(srv.url(), **FAST)
            got = await collect(feed)
        self.assertEqual([b.header.batch for b in got], [5])
        self.assertIn("new take", feed.end_reason)

    async def test_server_drops_are_counted(self):
        async with self.serve(sends(message(0), message(2, dropped=1), message(5, dropped=3), end=False),
                              sends(message(6, dropped=0), message(8, dropped=1))) as srv:
            feed = Feed(srv.url(), **FAST)
            got = await collect(feed)
        self.assertEqual([b.skipped for b in got], [0, 1, 2, 0, 1])
        st = feed.stats
        self.assertEqual((st.server_dropped, st.skipped, st.lost_reconnecting), (4, 4, 0))
        self.assertEqual([b.header.dropped for b in got], [0, 1, 3, 0, 1])

    async def test_a_slow_caller_skips_the_oldest_batches(self):
        sent = asyncio.Event()
        go_on = asyncio.Event()

        async def burst(conn):
            await conn.accept()
            for b in range(10):
                await conn.send(message(b))
            sent.set()
            await go_on.wait()
            await conn.send(message(10))
            await conn.close()
        async with self.serve(burst) as srv:
            feed = Feed(srv.url(), queue=2, **FAST)
            await feed.open()
            await sent.wait()
            await wait_until(lambda: feed.stats.client_dropped == 8)
            first = await feed.__anext__()  # the oldest kept
            go_on.set()
            got = [first] + await collect(feed)
        self.assertEqual([b.header.batch for b in got], [8, 9, 10])
        self.assertEqual([b.skipped for b in got], [0, 0, 0])  # nothing yielded before 8
        self.assertEqual((feed.stats.client_dropped, feed.stats.lost_reconnecting), (8, 0))

    async def test_drops_show_as_gaps(self):
        go_on = asyncio.Event()

        async def bursts(conn):
            await conn.accept()
            await conn.send(message(0))
            await go_on.wait()
            for b in range(1, 6):
                await conn.send(message(b))
            await conn.close()
        async with self.serve(bursts) as srv:
            feed = Feed(srv.url(), queue=2, **FAST)
            first = await feed.__anext__()
            go_on.set()
            await wait_until(lambda: feed.stats.client_dropped == 3)
            got = [first] + await collect(feed)
        # The session's last batch always arrives; the gap before it says
        # how many the client dropped.
        self.assertEqual([(b.header.batch, b.skipped) for b in got], [(0, 0), (4, 3), (5, 0)])
        self.assertEqual((feed.stats.skipped, feed.stats.client_dropped), (3, 3))

    async def test_protocol_errors_are_fatal(self):
        for code in (1003, 1008):
            with self.subTest(code):
                async def refuse(conn, code=code):
                    await sends(0, end=None)(conn)
                    await conn.close(code, "no")
                async with self.serve(refuse) as srv:
                    feed = Feed(srv.url(), **FAST)
                    with self.assertRaises(FeedClosed) as cm:
                        await collect(feed)
                self.assertEqual(cm.exception.code, code)
                self.assertEqual(len(srv.feed_requests()), 1)

    async def test_a_message_over_max_size(self):
        async with self.serve(sends(message(0, frames=4, frame_samples=1000))) as srv:
            with self.assertRaises(FeedClosed) as cm:
                await collect(Feed(srv.url(), max_size=4000, **FAST))
        self.assertEqual(cm.exception.code, 1009)

    async def test_other_closes_reconnect(self):
        async def going_away(conn):
            await sends(0, end=None)(conn)
            await conn.close(1001, "going away")
        async with self.serve(going_away, sends(1)) as srv:
            feed = Feed(srv.url(), **FAST)
            got = await collect(feed)
        self.assertEqual([b.header.batch for b in got], [0, 1])

    async def test_text_is_ignored_and_bad_messages_raise(self):
        async with self.serve(sends("hello", message(0), b"junk", message(1))) as srv:
            feed = Feed(srv.url(), **FAST)
            await feed.open()
            self.assertEqual((await feed.__anext__()).header.batch, 0)
            with self.assertRaises(MalformedMessage):
                await feed.__anext__()
            self.assertEqual((await feed.__anext__()).header.batch, 1)  # the feed goes on
            with self.assertRaises(StopAsyncIteration):
                await feed.__anext__()

    async def test_close_while_waiting(self):
        async def hold(conn):
            await conn.accept()
            await conn.closed.wait()
        async with self.serve(hold) as srv:
            feed = Feed(srv.url(), **FAST)
            await feed.open()
            waiter = asyncio.ensure_future(feed.__anext__())
            await asyncio.sleep(0.1)
            await feed.close()
            with self.assertRaises(StopAsyncIteration):
                await asyncio.wait_for(waiter, 5)
            self.assertEqual(feed.end_reason, "closed by the client")


class SyncTest(ScriptedTest):
    async def run_sync(self, fn):
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    async def test_iterates_and_ends(self):
        async with self.serve(sends(0, 1, end=False), sends(2)) as srv:
            def consume():
                with recorder_feed.subscribe(srv.url(), token="t", **FAST) as feed:
                    return [(b.header.batch, tuple(b.array.shape), b.reconnected) for b in feed], feed
            got, feed = await self.run_sync(consume)
        self.assertEqual(got, [(0, (3, 160, 1), False), (1, (3, 160, 1), False), (2, (3, 160, 1), True)])
        self.assertEqual(feed.end_reason, "session ended")
        self.assertEqual(feed.stats.connects, 2)
        self.assertFalse(feed._thread.is_alive())

    async def test_leaving_early_unsubscribes(self):
        conns = []

        async def endless(conn):
            conns.append(conn)
            await conn.accept()
            for b in range(1000):
                await conn.send(message(b))
                await asyncio.sleep(0.01)
        async with self.serve(endless) as srv:
            def consume():
                with recorder_feed.subscribe(srv.url(), **FAST) as feed:
                    for b in feed:
                        if b.header.batch == 2:
                            break
                return feed
            feed = await self.run_sync(consume)
            await asyncio.wait_for(conns[0].closed.wait(), 5)
        self.assertEqual(conns[0].close_received, (1000, ""))
        self.assertFalse(feed._thread.is_alive())

    async def test_refusal(self):
        async def refuse(conn):
            await conn.reject(401)
        async with self.serve(refuse) as srv:
            with self.assertRaises(AuthError):
                await self.run_sync(lambda: recorder_feed.subscribe(srv.url(), **FAST))


class OutsideTheLoopTest(unittest.TestCase):
    def test_made_before_the_loop_runs(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        feed = Feed(f"ws://127.0.0.1:{port}/feed/s1", **FAST)

        async def main():
            srv = scripted(sends(0, 1))
            srv.port = port
            async with srv:
                await asyncio.sleep(0.1)  # the feed waits for a batch before it comes
                return await collect(feed)
        self.assertEqual([b.header.batch for b in asyncio.run(main())], [0, 1])


class OptionsTest(unittest.TestCase):
    def test_urls(self):
        self.assertEqual(Feed("http://h:1/feed/x").url, "ws://h:1/feed/x")
        self.assertEqual(Feed("https://h/feed/x").url, "wss://h/feed/x")
        self.assertEqual(Feed("wss://h/rec/feed/x%20y")._state_url, "https://h/rec/webrtc/sessions/x%20y")
        self.assertIsNone(Feed("ws://h/other")._state_url)
        for bad in ("ftp://h/feed/x", "h/feed/x", "ws:///feed/x"):
            with self.assertRaises(ValueError):
                Feed(bad)

    def test_bad_options(self):
        with self.assertRaises(ValueError):
            Feed("ws://h/feed/x", fingerprint="AA" * 32)  # TLS option without TLS
        with self.assertRaises(ValueError):
            Feed("wss://h/feed/x", fingerprint="AA" * 32, cafile="x.pem")
        with self.assertRaises(ValueError):
            Feed("wss://h/feed/x", fingerprint="AB:CD")
        with self.assertRaises(ValueError):
            Feed("ws://h/feed/x", token="a\r\nX-Evil: 1")
        with self.assertRaises(ValueError):
            Feed("ws://h/feed/x", queue=0)

    def test_fingerprints(self):
        from recorder_feed.tls import format_fingerprint, parse_fingerprint
        fp = ":".join(["AB"] * 32)
        self.assertEqual(parse_fingerprint(fp), bytes([0xAB]) * 32)
        self.assertEqual(parse_fingerprint(fp.lower().replace(":", "")), bytes([0xAB]) * 32)
        self.assertEqual(format_fingerprint(bytes([0xAB]) * 32), fp)


if __name__ == "__main__":
    unittest.main()
