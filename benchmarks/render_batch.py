"""Benchmark: the batch runner against a naive papermill loop, in one run.

Renders the locality notebook for N councils (default 20) twice: (a) a naive sequential
loop of ``papermill.execute_notebook`` + nbconvert HTML per council (a fresh kernel and
fresh imports each time), (b) ``msp_analysis.reporting.render.batch.render_reports`` with default
settings (warm kernels, one per core). Both use the demo's cleaned data. The last line
is ``speedup_vs_naive=<ratio>``.

    .venv/bin/python benchmarks/render_batch.py [--councils 20] [--data data/processed/demo]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nbformat
import papermill
from nbconvert import HTMLExporter

from msp_analysis.reference import geography
from msp_analysis.reporting.registry import KERNEL_NAME, NOTEBOOK_DIR
from msp_analysis.reporting.render.batch import render_reports, validate_parameters


def naive(params_list, out: Path) -> float:
    start = time.perf_counter()
    for params in params_list:
        executed = out / f"{params.report_name()}.ipynb"
        papermill.execute_notebook(str(NOTEBOOK_DIR / "locality_report.ipynb"), str(executed),
                                   parameters=params.as_parameters(), kernel_name=KERNEL_NAME, progress_bar=False)
        exporter = HTMLExporter(exclude_input=True)
        body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
        (out / f"{params.report_name()}.html").write_text(body, encoding="utf-8")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=20)
    parser.add_argument("--data", default="data/processed/demo")
    parser.add_argument("--year", default="2023-24")
    args = parser.parse_args()
    if not (Path(args.data) / "evaluation.parquet").is_file():
        raise SystemExit(f"{args.data}/evaluation.parquet not found: run `make demo` first")
    codes = geography.councils(args.year)["ons_code"].tolist()[: args.councils]
    params_list = [validate_parameters("locality", {"locality": c, "year": args.year, "data_dir": args.data})
                   for c in codes]
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        naive_seconds = naive(params_list, Path(a))
        print(f"naive papermill loop: {naive_seconds:.1f} s for {len(codes)} reports "
              f"({naive_seconds / len(codes):.2f} s each)")
        start = time.perf_counter()
        outcomes = render_reports("locality", params_list, b, quiet=True)
        batch_seconds = time.perf_counter() - start
        failed = sum(o.status == "failed" for o in outcomes)
        print(f"batch runner (default settings): {batch_seconds:.1f} s for {len(codes)} reports, {failed} failed")
    print(f"speedup_vs_naive={naive_seconds / batch_seconds:.2f}")


if __name__ == "__main__":
    main()
