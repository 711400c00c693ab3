"""Warm kernels: one per thread, reused until shut down; the reset cell leads every report but the first."""

import os
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from msp_analysis.reporting.registry import KERNEL_NAME, NOTEBOOK_DIR, REPORTS
from msp_analysis.reporting.render.kernel import (
    ONE_THREAD,
    RESET,
    RESET_TAG,
    KernelNotRegisteredError,
    require_kernel,
    shutdown_kernels,
    warm_kernel,
)
from msp_analysis.toolkit.errors import MspError


def test_a_missing_kernel_is_an_error_that_says_how_to_install_it():
    with pytest.raises(KernelNotRegisteredError, match="not registered; run `make env`") as caught:
        require_kernel("no-such-kernel-msp")
    assert isinstance(caught.value, MspError) and isinstance(caught.value, RuntimeError)
    require_kernel(KERNEL_NAME)


@pytest.mark.kernel
def test_each_thread_keeps_one_warm_kernel_until_shutdown(tmp_path):
    source = NOTEBOOK_DIR / REPORTS["locality"].notebook
    first = warm_kernel(KERNEL_NAME, os.getcwd(), "locality")
    try:
        assert warm_kernel(KERNEL_NAME, os.getcwd(), "locality") is first
        with ThreadPoolExecutor(max_workers=1) as pool:
            other = pool.submit(warm_kernel, KERNEL_NAME, os.getcwd(), "locality").result()
        assert other is not first and first.alive() and other.alive()

        assert first.notebook_to_run(source, tmp_path) == source, "a fresh kernel runs the notebook as it is"
        again = first.notebook_to_run(source, tmp_path)
        assert again.parent == tmp_path
        cells = nbformat.read(again, as_version=4).cells
        first_code = next(c for c in cells if c.cell_type == "code")
        assert first_code.metadata["tags"] == ["parameters", RESET_TAG], "the reset runs in the parameters cell"
        assert first_code.source.startswith(RESET), "before the defaults, so that nothing of the last report is left"
        assert len(cells) == len(nbformat.read(source, as_version=4).cells), "no cell added: no extra round trip"
        given = nbformat.read(first.notebook_to_run(source, tmp_path, {"locality": "E06000005"}), as_version=4)
        cell = next(c for c in given.cells if c.cell_type == "code")
        defaults, values = cell.source.split("# Parameters")
        assert 'locality = "E06000005"' in values and "locality =" in defaults, "the values follow the defaults"
        assert "injected-parameters" in cell.metadata["tags"]
    finally:
        shutdown_kernels()
    assert not first.alive() and not other.alive()


@pytest.mark.kernel
def test_a_kernel_does_its_linear_algebra_in_one_thread(monkeypatch):
    for name in ONE_THREAD:
        monkeypatch.delenv(name, raising=False)
    with ThreadPoolExecutor(max_workers=1) as pool:  # a kernel of its own, started with this environment
        kernel = pool.submit(warm_kernel, KERNEL_NAME, os.getcwd(), "locality").result()
    try:
        # a failing assert in the kernel raises here (the cell runs with allow_errors=False)
        kernel._run_source("from threadpoolctl import threadpool_info\n"
                           "pools = [p for p in threadpool_info() if p['user_api'] == 'blas']\n"
                           "assert pools and all(p['num_threads'] == 1 for p in pools), pools")
        with pytest.raises(Exception, match="CellExecutionError|AssertionError"):
            kernel._run_source("assert False, 'the check above can fail'")
    finally:
        shutdown_kernels()
