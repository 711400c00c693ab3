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
runner's reset between reports does not clear it (that is the point), :func:`clear` does.

**Shared between processes.** A batch renders on several kernels, and each would do the work its
reports share (every council's tables of the year) again. With :func:`share_between_processes`
given a private folder (the batch makes one per run and removes it at the end), a
``frame_cache(shared=True)`` result whose frames all came from a file (:func:`register_source`, which
``io.processed.read_clean`` calls with the file's path, size and modification time) is also
written there, pickled, under a key of the function, those file signatures and the other
arguments; another process asking for the same key reads it instead of computing it. One
process computes each key (a lock file per key: a second process waits for the first and then
reads its result), and a changed input file has another signature, so another key. Results that
cannot be pickled, or arguments whose ``repr`` is not stable, are simply not shared.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import tempfile
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable
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


_SOURCES: dict[int, tuple[weakref.ref, str]] = {}  # id(frame) -> (the frame, the signature of the file it came from)
_SHARED: dict[str, str | None] = {"folder": None}


def register_source(frame: object, signature: str) -> None:
    """Say that `frame` is the content of a file with this `signature` (path, size, modification time)."""
    for key in [k for k, (ref, _) in _SOURCES.items() if ref() is None]:
        del _SOURCES[key]
    _SOURCES[id(frame)] = (weakref.ref(frame), signature)


def source_of(frame: object) -> str | None:
    """The signature :func:`register_source` gave `frame`, None for a frame that did not come from a file."""
    entry = _SOURCES.get(id(frame))
    return entry[1] if entry is not None and entry[0]() is frame else None


def share_between_processes(folder: str | os.PathLike | None) -> None:
    """Share :func:`frame_cache` results of frames read from files with other processes through `folder`.

    None (or a folder that does not exist) stops sharing. The folder must be private to the run
    (``tempfile.mkdtemp``): what is written there is pickled and read back without checks.
    """
    _SHARED["folder"] = str(folder) if folder is not None and os.path.isdir(folder) else None


def _shared_path(func: Callable, args: tuple, kwargs: dict) -> str | None:
    """The file a result is shared under, or None when it is not shared (no folder, a frame not from a file)."""
    folder = _SHARED["folder"]
    if folder is None or not os.path.isdir(folder):
        return None
    parts = []
    for value in [*args, *(v for _, v in sorted(kwargs.items()))]:
        if _is_frame(value):
            signature = source_of(value)
            if signature is None:
                return None
            parts.append(("frame", signature))
        else:
            parts.append(value)
    text = repr((func.__module__, func.__qualname__, tuple(parts), tuple(sorted(kwargs))))
    if " at 0x" in text:  # an argument without a stable repr: not the same key in another process
        return None
    return os.path.join(folder, hashlib.sha256(text.encode()).hexdigest()[:32])


class _Busy(Exception):
    """Another process is computing this shared result (:func:`compute_shared` moves on to the next)."""


_MODE = threading.local()  # skip_busy: True while compute_shared runs a call (its outermost shared result only)


def compute_shared(calls: Iterable[Callable[[], object]]) -> None:
    """Run `calls` (each a call of a ``frame_cache(shared=True)`` function), first those no other process is on.

    The first report of a batch's kernel needs a dozen shared results. Asked in the same order,
    a second kernel would wait for the first at each of them in turn; given the list here,
    each kernel takes the ones nobody else is computing, so the kernels compute them side by side,
    and then reads the others' results. A call whose result another process is computing is
    tried again after the rest; when every call left is busy, it waits for the first. Without a
    shared folder (one process) the calls simply run in order.
    """
    pending = list(calls)
    while pending:
        busy = []
        for call in pending:
            _MODE.skip_busy = True
            try:
                call()
            except _Busy:
                busy.append(call)
            finally:
                _MODE.skip_busy = False
        if busy and len(busy) == len(pending):  # all being computed elsewhere: wait for one, then look again
            busy.pop(0)()
        pending = busy


def _shared(path: str, make: Callable[[], T]) -> T:
    """The result stored at `path`, else `make()` stored there; one process at a time per path.

    Inside :func:`compute_shared`, a result another process is computing raises :class:`_Busy`
    instead of waiting (for the outermost call only: the shared results it needs wait as usual).
    """
    try:
        import fcntl  # lazy: POSIX only; elsewhere nothing is shared
    except ImportError:
        return make()
    skip_busy = getattr(_MODE, "skip_busy", False)
    _MODE.skip_busy = False
    try:
        return _locked(path, make, fcntl, skip_busy)
    finally:
        _MODE.skip_busy = skip_busy


def _locked(path: str, make: Callable[[], T], fcntl, skip_busy: bool) -> T:
    with open(f"{path}.lock", "a+b") as lock:
        try:  # another process computing this key: wait for it (or move on), then read its result
            fcntl.flock(lock, fcntl.LOCK_EX | (fcntl.LOCK_NB if skip_busy else 0))
        except BlockingIOError:
            raise _Busy(path) from None
        try:
            if os.path.isfile(path):
                try:
                    with open(path, "rb") as handle:
                        return pickle.load(handle)
                except Exception:  # a file that cannot be read back: compute it here
                    pass
            value = make()
            handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(temporary, path)
            except Exception:  # not picklable (or no room): not shared, still returned
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            return value
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def frame_cache(func: Callable[..., T] | None = None, *, shared: bool = False):
    """Memoise `func` on the identity of its DataFrame arguments and the value of the others.

    Other arguments must be hashable. The cache holds at most 64 entries across every
    decorated function and is emptied when full. With ``shared=True`` (work every report of a
    batch does, whose result is a few tables, never record-level rows), results of frames read
    from files are also shared with other processes when :func:`share_between_processes` named a
    folder, and a frame it returns counts as read from a file for the functions it is given to.

    >>> @frame_cache
    ... def council_totals(df_enquiries): ...  # doctest: +SKIP
    >>> @frame_cache(shared=True)
    ... def every_council_of_the_year(df_enquiries, year): ...  # doctest: +SKIP
    """
    if func is None:
        return functools.partial(frame_cache, shared=shared)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        frames = [a for a in [*args, *kwargs.values()] if _is_frame(a)]
        key = (func.__module__, func.__qualname__,
               tuple(("frame", id(a)) if _is_frame(a) else a for a in args),
               tuple(sorted((k, ("frame", id(v)) if _is_frame(v) else v) for k, v in kwargs.items())))
        hit = _FRAMES._entries.get(key)
        if hit is not None and all(ref() is frame for ref, frame in zip(hit[0], frames, strict=True)):
            return hit[1]
        path = _shared_path(func, args, kwargs) if shared else None
        value = func(*args, **kwargs) if path is None else _shared(path, lambda: func(*args, **kwargs))
        if path is not None and _is_frame(value):
            register_source(value, f"result {os.path.basename(path)}")
        if len(_FRAMES) >= _FRAMES.size:
            _FRAMES.clear()
        _FRAMES._entries[key] = ([weakref.ref(f) for f in frames], value)
        return value

    return wrapper


def clear() -> None:
    """Empty every cache of the package (a test's fresh start, or memory back after a batch)."""
    for cache in _REGISTRY.values():
        cache.clear()
