"""A process-wide memo for the pages' finished views, shared by every session of the server.

Views are keyed on the database file, its data version and the few values that define them, so a
write (which bumps the version) makes every old entry unreachable, and the LRU bound drops it.

Why not ``st.cache_data`` for these: on every hit it inspects the function's signature once per
argument to build the key and unpickles a fresh copy of the result. A trends rerun reads ~18 views;
those two costs were ~30 ms of a ~90 ms rerun. Here a hit is a dict lookup and the value is shared,
so the rule is: **callers never mutate what a view returns** (the pages only draw it; Streamlit
copies a chart spec before it touches it).

Sessions asking for the same missing view at once wait for one computation instead of each running
the same queries: what twenty colleagues opening the page right after an import would otherwise do.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_memos: list[_Memo] = []


class _Memo:
    def __init__(self, fn: Callable[..., Any], maxsize: int) -> None:
        self.fn = fn
        self.maxsize = maxsize
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.guard = threading.Lock()
        self.building: dict[Hashable, threading.Lock] = {}
        self.hits = self.misses = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
        return self.call_keyed(key, *args, **kwargs)

    def call_keyed(self, key: Hashable, *args: Any, **kwargs: Any) -> Any:
        """The value for ``key``, computed from ``args`` the first time."""
        with self.guard:
            if key in self.entries:
                self.entries.move_to_end(key)
                self.hits += 1
                return self.entries[key]
            lock = self.building.setdefault(key, threading.Lock())
        with lock:
            with self.guard:  # built by another session while this one waited
                if key in self.entries:
                    self.hits += 1
                    return self.entries[key]
            try:
                value = self.fn(*args, **kwargs)  # an exception is raised to the caller, not kept
                with self.guard:
                    self.misses += 1
                    self.entries[key] = value
                    while len(self.entries) > self.maxsize:
                        self.entries.popitem(last=False)
            finally:
                with self.guard:
                    self.building.pop(key, None)
        return value

    def reserve(self, keys: list[Hashable]) -> list[Hashable]:
        """Those of ``keys`` with no value kept and nobody computing one, now marked as computed by the
        caller, for a batch of keys at once: a session asking for one of them meanwhile waits for
        :meth:`put` or :meth:`release` instead of computing it again."""
        taken = []
        with self.guard:
            for key in dict.fromkeys(keys):
                if key not in self.entries and key not in self.building:
                    lock = self.building[key] = threading.Lock()
                    lock.acquire()
                    taken.append(key)
        return taken

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` for a reserved ``key``, and let those waiting for it read it."""
        with self.guard:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.maxsize:
                self.entries.popitem(last=False)
        self.release(key)

    def release(self, key: Hashable) -> None:
        """Give up a reserved ``key`` (its batch failed): one waiting for it computes it, and sees the error."""
        with self.guard:
            lock = self.building.pop(key, None)
        if lock is not None and lock.locked():
            lock.release()

    def clear(self) -> None:
        with self.guard:
            self.entries.clear()


def shared(maxsize: int = 64) -> Callable[[F], F]:
    """Memoise a view on its (hashable) arguments, at most ``maxsize`` entries, least recently used dropped."""

    def decorate(fn: F) -> F:
        memo = _Memo(fn, maxsize)
        _memos.append(memo)
        wrapper = functools.wraps(fn)(lambda *a, **kw: memo(*a, **kw))
        wrapper.clear = memo.clear  # type: ignore[attr-defined]
        wrapper.memo = memo  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def keyed(maxsize: int = 64) -> Callable[[Hashable, Callable[[], Any]], Any]:
    """A memo for values a page builds inline: ``get(key, build)`` returns the value kept for ``key``,
    or ``build()``'s. The key must name everything the value depends on (e.g. the JSON of a chart's
    rows and the language): it is the only thing compared."""
    memo = _Memo(lambda key, build: build(), maxsize)
    _memos.append(memo)

    def get(key: Hashable, build: Callable[[], Any]) -> Any:
        return memo.call_keyed(key, key, build)

    get.memo = memo  # type: ignore[attr-defined]
    return get


def clear_all() -> None:
    """Forget every view (a restored file may reuse a data version the old one had)."""
    for memo in _memos:
        memo.clear()
