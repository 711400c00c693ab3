"""The package's caches, owned here, with one way to clear them all: :func:`clear`.

Two kinds of work are worth keeping between reports rendered in one warm kernel:

* :class:`BoundedCache`: values keyed on plain data, e.g. ``io.processed.read_clean`` keys a
  processed file by (path, size, modification time), so each file is read once per worker and
  a changed file is read again;
* :func:`frame_cache`: a decorator that memoises a pure function on the *identity* of the
  DataFrames it is given (every council's funnel data, regional aggregates), so that work
  shared by every council's report runs once per worker and input. Its entries hold their
  frames weakly: a frame that dies takes its entries with it, and a new frame at the same
  address is a different key.

Results are read-only by convention; pandas' copy-on-write protects a cached frame from a
caller that modifies what it got. The state lives in this module, inside the kernel; the batch
runner's ``%reset -f`` between reports does not clear it (that is the point), :func:`clear` does.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
FRAME_CACHE_SIZE = 64


class BoundedCache:
    """A dict that forgets everything when it is full: small, predictable memory, no eviction order to reason about."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        self._entries: dict[Hashable, Any] = {}
        _REGISTRY[name] = self

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value stored under `key`, made (and stored) by `make()` the first time."""
        if key not in self._entries:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = make()
        return self._entries[key]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_REGISTRY: dict[str, BoundedCache] = {}
_FRAMES = BoundedCache("frame_cache", FRAME_CACHE_SIZE)


def _is_frame(value: object) -> bool:
    import pandas as pd  # lazy: start-up cost; this module is imported by every layer

    return isinstance(value, (pd.DataFrame, pd.Series))


def frame_cache(func: Callable[..., T]) -> Callable[..., T]:
    """Memoise `func` on the identity of its DataFrame arguments and the value of the others.

    Other arguments must be hashable. The cache holds at most 64 entries across every
    decorated function and is emptied when full.

    >>> @frame_cache
    ... def council_totals(df_enquiries): ...  # doctest: +SKIP
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        frames = [a for a in [*args, *kwargs.values()] if _is_frame(a)]
        key = (func.__module__, func.__qualname__,
               tuple(("frame", id(a)) if _is_frame(a) else a for a in args),
               tuple(sorted((k, ("frame", id(v)) if _is_frame(v) else v) for k, v in kwargs.items())))
        hit = _FRAMES._entries.get(key)
        if hit is not None and all(ref() is frame for ref, frame in zip(hit[0], frames, strict=True)):
            return hit[1]
        value = func(*args, **kwargs)
        if len(_FRAMES) >= _FRAMES.size:
            _FRAMES.clear()
        _FRAMES._entries[key] = ([weakref.ref(f) for f in frames], value)
        return value

    return wrapper


def clear() -> None:
    """Empty every cache of the package (a test's fresh start, or memory back after a batch)."""
    for cache in _REGISTRY.values():
        cache.clear()
