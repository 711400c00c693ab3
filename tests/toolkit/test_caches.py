"""The package's caches: one owner, one clear(), and the behaviour each cache promises."""

import gc
import os
import time

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from msp_analysis.io.processed import read_clean
from msp_analysis.reporting.registry import KERNEL_NAME
from msp_analysis.toolkit import caches
from msp_analysis.toolkit.caches import BoundedCache, frame_cache


@pytest.fixture(autouse=True)
def fresh_caches():
    caches.clear()
    yield
    caches.clear()


def test_the_same_frame_twice_is_computed_once():
    calls = []

    @frame_cache
    def total(frame, column):
        calls.append(column)
        return frame[column].sum()

    frame = pd.DataFrame({"a": [1, 2, 3]})
    assert total(frame, "a") == total(frame, "a") == 6
    assert calls == ["a"]
    assert total(frame, column="a") == 6 and len(calls) == 2  # keyword and positional are different keys


def test_an_equal_but_different_frame_is_a_new_key():
    calls = []

    @frame_cache
    def rows(frame):
        calls.append(1)
        return len(frame)

    first, second = pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1]})
    rows(first), rows(second)
    assert len(calls) == 2


def test_a_dead_frame_never_answers_for_a_new_one_at_the_same_address():
    calls = []

    @frame_cache
    def first_value(frame):
        calls.append(1)
        return frame.iloc[0, 0]

    assert first_value(pd.DataFrame({"a": [1]})) == 1
    gc.collect()
    # whatever address the new frame gets, its value is computed from it, not from the dead frame
    assert first_value(pd.DataFrame({"a": [2]})) == 2
    assert len(calls) == 2


def test_frame_cache_is_bounded():
    @frame_cache
    def ident(frame, n):
        return n

    frame = pd.DataFrame({"a": [1]})
    for n in range(caches.FRAME_CACHE_SIZE * 3):
        assert ident(frame, n) == n
    assert len(caches._FRAMES) <= caches.FRAME_CACHE_SIZE


def test_bounded_cache_forgets_everything_when_full_and_clear_empties_every_cache():
    cache = BoundedCache("test_bounded", 2)
    made = []
    for key in ("a", "b", "a", "c"):
        cache.get(key, lambda key=key: made.append(key) or key.upper())
    assert made == ["a", "b", "c"] and len(cache) == 1  # full at "c": emptied, then "c" stored
    caches.clear()
    assert len(cache) == 0


def _write(folder, values):
    pd.DataFrame({"x": values}).to_parquet(folder / "evaluation.parquet")


def test_read_clean_reads_a_file_once_and_again_when_it_changes(tmp_path):
    _write(tmp_path, [1, 2])
    first = read_clean("evaluation", tmp_path)
    assert read_clean("evaluation", tmp_path) is first
    _write(tmp_path, [1, 2, 3])
    stamp = time.time() + 5  # a change within the file system's time resolution still changes the size here
    os.utime(tmp_path / "evaluation.parquet", (stamp, stamp))
    changed = read_clean("evaluation", tmp_path)
    assert changed is not first and changed["x"].tolist() == [1, 2, 3]
    caches.clear()
    assert read_clean("evaluation", tmp_path) is not changed


@pytest.mark.kernel
def test_caches_survive_the_batch_reset_of_a_warm_kernel_and_clear_empties_them(tmp_path):
    """The batch runner clears the user namespace between reports (``%reset -f``); the caches live in
    the package's modules, so the next report reuses the frame the last one read, until clear()."""
    _write(tmp_path, [1, 2, 3])
    source = [
        f"from msp_analysis.io.processed import read_clean\nfirst = id(read_clean('evaluation', {str(tmp_path)!r}))\n"
        "import builtins\nbuiltins._msp_first = first",
        "%reset -f",
        f"import builtins\nfrom msp_analysis.io.processed import read_clean\n"
        f"assert id(read_clean('evaluation', {str(tmp_path)!r})) == builtins._msp_first",
        "from msp_analysis.toolkit import caches\nfrom msp_analysis.io import processed\ncaches.clear()\n"
        "assert len(processed._PROCESSED) == 0",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in source])
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=120).execute()  # raises if any assertion fails


# --- shared between processes ---------------------------------------------------------------------------

SHARED_SCRIPT = """
import sys
from msp_analysis.io.processed import read_clean
from msp_analysis.toolkit.caches import frame_cache, share_between_processes

share_between_processes(sys.argv[1])

@frame_cache(shared=True)
def total(frame, column):
    print("computed", flush=True)
    return float(frame[column].sum())

print(total(read_clean("toy", sys.argv[2]), "n"))
"""


def _run_shared(folder, data):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", SHARED_SCRIPT, str(folder), str(data)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


@pytest.fixture
def share(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    caches.share_between_processes(folder)
    yield folder
    caches.share_between_processes(None)


def test_work_on_a_file_is_computed_by_one_process_and_read_by_the_next(tmp_path, share):
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"n": [1, 2, 3]}).to_parquet(data / "toy.parquet")
    assert _run_shared(share, data) == ["computed", "6.0"]
    assert _run_shared(share, data) == ["6.0"], "the second process computed again"
    time.sleep(0.01)  # a new modification time even on coarse clocks
    pd.DataFrame({"n": [1, 2, 3, 4]}).to_parquet(data / "toy.parquet")
    assert _run_shared(share, data) == ["computed", "10.0"], "a changed input must not give the old result"


def test_only_shared_functions_of_frames_read_from_files_are_shared(tmp_path, share):
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"n": [1, 2, 3]}).to_parquet(data / "toy.parquet")
    calls = []

    @frame_cache(shared=True)
    def shared_total(frame):
        calls.append("shared")
        return float(frame["n"].sum())

    @frame_cache
    def private_total(frame):
        calls.append("private")
        return float(frame["n"].sum())

    read = read_clean("toy", data)
    made = pd.DataFrame({"n": [1, 2, 3]})  # the same numbers, but not from a file: nothing to key it on
    assert shared_total(read) == private_total(read) == shared_total(made) == 6.0
    assert len([p for p in share.iterdir() if not p.name.endswith(".lock")]) == 1
    caches.clear()  # this process forgets; the folder remembers
    assert shared_total(read_clean("toy", data)) == 6.0 and private_total(read_clean("toy", data)) == 6.0
    shared_total(made)
    assert calls == ["shared", "private", "shared", "private", "shared"]


def test_a_frame_a_shared_function_returns_can_be_shared_on(tmp_path, share):
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"n": [1, 2, 3]}).to_parquet(data / "toy.parquet")

    @frame_cache(shared=True)
    def doubled(frame):
        return frame.assign(n=frame["n"] * 2)

    result = doubled(read_clean("toy", data))
    assert caches.source_of(result) is not None
    assert caches.source_of(pd.DataFrame({"n": [2, 4, 6]})) is None


def test_without_a_folder_nothing_is_shared(tmp_path):
    caches.share_between_processes(tmp_path / "gone")  # a folder that does not exist: sharing stays off
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"n": [1]}).to_parquet(data / "toy.parquet")

    @frame_cache(shared=True)
    def one(frame):
        return 1

    assert one(read_clean("toy", data)) == 1
    assert not (tmp_path / "gone").exists()


def test_compute_shared_takes_first_the_work_no_other_process_is_on(tmp_path, share):
    import fcntl
    import functools
    import threading

    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"n": [1, 2, 3]}).to_parquet(data / "toy.parquet")
    order = []

    @frame_cache(shared=True)
    def first(frame):
        order.append("first")
        return 1

    @frame_cache(shared=True)
    def second(frame):
        order.append("second")
        return 2

    read = read_clean("toy", data)
    lock = caches._shared_path(first, (read,), {}) + ".lock"
    with open(lock, "a+b") as held:  # another holder of first's lock: as if another kernel were computing it
        fcntl.flock(held, fcntl.LOCK_EX)
        release = threading.Timer(0.3, fcntl.flock, (held, fcntl.LOCK_UN))
        release.start()
        caches.compute_shared([functools.partial(first, read), functools.partial(second, read)])
        release.join()
    assert order == ["second", "first"], "the free work first, then the busy one once it was let go"
    assert first(read) == 1 and second(read) == 2 and order == ["second", "first"]


def test_compute_shared_without_a_folder_runs_the_calls_in_order():
    order = []
    caches.compute_shared([lambda: order.append(1), lambda: order.append(2)])
    assert order == [1, 2]
