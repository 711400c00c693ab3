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
