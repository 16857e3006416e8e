"""A blocking iterator over the feed, for code without asyncio."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Awaitable, Iterator, Optional, TypeVar

from .client import Feed, Stats
from .wire import Batch

__all__ = ["SyncFeed", "subscribe"]

T = TypeVar("T")


class SyncFeed:
    """:class:`Feed` as a plain iterator. It runs the connection on its own
    thread, so the feed keeps being read (and reconnected) while the caller
    works on a batch::

        with recorder_feed.subscribe(url, token=token) as feed:
            for header, array in feed:
                ...
        print(feed.end_reason, feed.stats)

    Iteration ends when the session does; leaving the ``with`` block (or
    :meth:`close`) unsubscribes. Errors are :class:`Feed`'s.
    """

    def __init__(self, url: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="recorder-feed", daemon=True)
        self._thread.start()
        self._closed = False
        try:
            self._feed: Feed = self._call(self._make(url, options))
            self._call(self._feed.open())
        except BaseException:
            self._stop()
            raise

    @staticmethod
    async def _make(url: str, options: Any) -> Feed:
        return Feed(url, **options)

    def _call(self, coro: Awaitable[T]) -> T:
        fut = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        try:
            return fut.result()
        except BaseException:
            fut.cancel()  # Ctrl-C while waiting: stop waiting there too
            raise

    def __iter__(self) -> Iterator[Batch]:
        return self

    def __next__(self) -> Batch:
        if self._closed:
            raise StopIteration
        try:
            return self._call(self._feed.__anext__())
        except StopAsyncIteration:
            self.close()
            raise StopIteration from None
        except concurrent.futures.CancelledError:
            raise StopIteration from None  # closed from another thread

    def __enter__(self) -> "SyncFeed":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def stats(self) -> Stats:
        """See :attr:`Feed.stats`."""
        return self._feed.stats

    @property
    def end_reason(self) -> Optional[str]:
        """See :attr:`Feed.end_reason`."""
        return self._feed.end_reason

    @property
    def url(self) -> str:
        return self._feed.url

    def close(self) -> None:
        """Unsubscribes and stops the thread. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._call(self._feed.close())
        finally:
            self._stop()

    def _stop(self) -> None:
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


def subscribe(url: str, **options: Any) -> SyncFeed:
    """Opens the feed at url and returns a blocking iterator over its
    batches. options are :class:`Feed`'s; it raises what opening one does."""
    return SyncFeed(url, **options)
