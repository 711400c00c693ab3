"""The batch runner: warm kernels without leaks, incremental cache, failures kept apart, executors, sweeping."""

import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from msp_analysis.cli import main
from msp_analysis.reporting.render.batch import (
    SECOND_WORKER_FROM,
    _sweep_leftovers,
    default_jobs,
    kernel_bytes,
    region_parameters,
    render_reports,
    validate_parameters,
)

DURHAM, DARLINGTON, HARTLEPOOL = "E06000047", "E06000005", "E06000001"


def params(data_dir, council):
    return validate_parameters("locality", {"locality": council, "year": "2023-24", "data_dir": str(data_dir)})


def html_of(out, council):
    text = (out / f"locality_{council}_2023-24.html").read_text(encoding="utf-8")
    return re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC|[.+\d:]*)?", "<time>", text)


@pytest.fixture(scope="module")
def two_in_one_worker(small_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("together")
    outcomes = render_reports("locality", [params(small_demo["processed"], c) for c in (DARLINGTON, DURHAM)],
                              out, jobs=1, quiet=True)
    assert [o.status for o in outcomes] == ["ok", "ok"]
    return out


@pytest.mark.kernel
def test_a_report_is_identical_alone_and_after_another_in_the_same_kernel(small_demo, two_in_one_worker, tmp_path):
    render_reports("locality", [params(small_demo["processed"], DURHAM)], tmp_path, jobs=1, quiet=True)
    assert html_of(tmp_path, DURHAM) == html_of(two_in_one_worker, DURHAM)


@pytest.mark.kernel
def test_two_kernels_sharing_the_year_s_work_give_the_reports_rendered_alone(small_demo, two_in_one_worker, tmp_path,
                                                                              monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the batch makes its shared folder
    out = tmp_path / "out"
    outcomes = render_reports("locality", [params(small_demo["processed"], c) for c in (DARLINGTON, DURHAM, HARTLEPOOL)],
                              out, jobs=2, quiet=True)
    assert [o.status for o in outcomes] == ["ok"] * 3
    for council in (DARLINGTON, DURHAM):  # whichever kernel rendered it, and whichever computed the shared tables
        assert html_of(out, council) == html_of(two_in_one_worker, council)
    assert not list(scratch.glob("msp-shared-*")), "the run's shared folder outlived the run"


@pytest.mark.kernel
def test_unchanged_reports_are_skipped_and_force_renders_again(small_demo, two_in_one_worker):
    again = render_reports("locality", [params(small_demo["processed"], c) for c in (DARLINGTON, DURHAM)],
                           two_in_one_worker, jobs=1, quiet=True)
    assert [o.status for o in again] == ["cached", "cached"]
    forced = render_reports("locality", [params(small_demo["processed"], DURHAM)], two_in_one_worker,
                            jobs=1, quiet=True, force=True)
    assert [o.status for o in forced] == ["ok"]
    assert "ok" in (two_in_one_worker / "run.log").read_text()


@pytest.mark.kernel
def test_changed_input_invalidates_the_cache(small_demo, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    frame = pd.read_parquet(small_demo["processed"] / "evaluation.parquet")
    frame.to_parquet(data / "evaluation.parquet")
    out = tmp_path / "out"
    assert render_reports("locality", [params(data, DURHAM)], out, jobs=1, quiet=True)[0].status == "ok"
    frame.iloc[1:].to_parquet(data / "evaluation.parquet")
    assert render_reports("locality", [params(data, DURHAM)], out, jobs=1, quiet=True)[0].status == "ok"


@pytest.mark.kernel
def test_one_failing_report_does_not_stop_the_others(small_demo, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    frame = pd.read_parquet(small_demo["processed"] / "evaluation.parquet")
    frame[frame["ons_code"] != HARTLEPOOL].to_parquet(data / "evaluation.parquet")
    out = tmp_path / "out"
    code = main(["reports", "locality", "--region", "North East", "--param", f"data_dir={data}",
                 "--out", str(out), "--quiet", "--jobs", "2"])
    assert code == 1
    assert not list(out.glob("*.ipynb")), "no executed notebook (local paths) is left in the report folder"
    kept = [line for line in (out / "run.log").read_text().splitlines() if line.startswith(f"locality_{HARTLEPOOL}")]
    assert kept and "executed notebook: " in kept[-1], "the run log links the failed notebook, kept privately"
    assert Path(kept[-1].split("executed notebook: ")[1].rstrip(")")).is_file()
    assert not (out / f"locality_{HARTLEPOOL}_2023-24.html").exists()
    assert len(list(out.glob("locality_*.html"))) == 11
    index = (out / "index.html").read_text()
    assert "failed" in index and f"no enquiries for council {HARTLEPOOL}" in index
    assert "FAILED" in capsys.readouterr().err


@pytest.mark.kernel
def test_any_executor_can_run_the_batch(small_demo, two_in_one_worker, tmp_path):
    with ThreadPoolExecutor(max_workers=1) as executor:
        outcomes = render_reports("locality", [params(small_demo["processed"], DURHAM)], tmp_path,
                                  executor=executor, quiet=True)
    assert outcomes[0].status == "ok"
    assert html_of(tmp_path, DURHAM) == html_of(two_in_one_worker, DURHAM)


@pytest.mark.kernel
def test_dask_local_cluster_gives_the_same_html(small_demo, two_in_one_worker, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        outcomes = render_reports("locality", [params(small_demo["processed"], DURHAM)], tmp_path,
                                  executor=client.get_executor(), quiet=True)
    assert outcomes[0].status == "ok", outcomes[0].error
    assert html_of(tmp_path, DURHAM) == html_of(two_in_one_worker, DURHAM)


def test_region_parameters_cover_every_council_of_the_region(small_demo):
    found = region_parameters("locality", "North East", {"data_dir": str(small_demo["processed"])})
    assert len(found) == 12 and len({p.locality for p in found}) == 12


def test_a_new_batch_sweeps_what_a_killed_run_left_behind(tmp_path):
    (tmp_path / ".msp-cache").mkdir()
    leftovers = [tmp_path / ".locality_A.html.tmp", tmp_path / ".msp-cache" / ".locality_A.json.tmp"]
    kept = [tmp_path / "locality_A.html", tmp_path / ".msp-cache" / "locality_A.json"]
    for path in leftovers + kept:
        path.write_text("x")
    (tmp_path / ".run-abc").mkdir()
    (tmp_path / ".run-abc" / "locality_A.ipynb").write_text("{}")
    _sweep_leftovers(tmp_path)
    assert not any(path.exists() for path in leftovers) and not (tmp_path / ".run-abc").exists()
    assert all(path.exists() for path in kept)


def test_workers_follow_the_work_and_the_memory(small_demo):
    many = [("locality", params(small_demo["processed"], DURHAM))] * (SECOND_WORKER_FROM + 10)
    plenty = 64 * 2**30
    assert default_jobs(many[:SECOND_WORKER_FROM - 1], cores=8, available=plenty) == 1, "a second kernel would not pay"
    assert default_jobs(many, cores=2, available=plenty) == 2
    assert default_jobs(many, reports=3, cores=2, available=plenty) == 1, "only the reports to render count"
    one_kernel = kernel_bytes(many)
    assert default_jobs(many, cores=8, available=int(2 * one_kernel)) == 1, "no more kernels than memory holds"
    assert default_jobs(many, cores=8, available=0) == 1, "always at least one"
    assert kernel_bytes(many) > kernel_bytes([("locality", params(small_demo["processed"] / "none", DURHAM))])
