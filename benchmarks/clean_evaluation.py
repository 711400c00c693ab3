"""Benchmark: cleaning an evaluation export against simply reading it, in one process.

Simulates a 1,000,000-row export (``--scale 10``), then times, each ``--repeat`` times,
``pandas.read_csv`` of it (the baseline), our reader ``read_table`` and the full
``clean_evaluation`` of what it read, and prints medians. The last line is
``clean_over_read=<clean_evaluation / read_csv>``; the end-to-end ratio (read + clean) is
printed above it. Peak memory while cleaning is sampled from /proc (resident set size
above the level before the clean) and compared with the size of the clean frame.

    .venv/bin/python benchmarks/clean_evaluation.py [--scale 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

from msp_analysis.analysis.simulate import simulate
from msp_analysis.clean.evaluation import clean_evaluation
from msp_analysis.io.tables import read_table
from msp_analysis.toolkit.files import write_csv

PAGE = 4096


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


class PeakSampler:
    """Samples resident memory every few milliseconds while a block runs."""

    def __enter__(self):
        self.start, self.peak, self.running = rss_bytes(), rss_bytes(), True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while self.running:
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0, help="10 gives about 1,000,000 rows")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evaluation.csv"
        write_csv(path, simulate(seed=1, scale=args.scale).evaluation)
        print(f"export: {path.stat().st_size / 1e6:.0f} MB")
        reads, loads, cleans, peaks = [], [], [], []
        for _ in range(args.repeat):
            seconds, frame = timed(lambda: pd.read_csv(path, dtype=str, keep_default_na=False))
            reads.append(seconds)
            del frame
            seconds, raw = timed(lambda: read_table(path))
            loads.append(seconds)
            with PeakSampler() as sampler:
                seconds, result = timed(lambda raw=raw: clean_evaluation(raw, source=str(path)))
            cleans.append(seconds)
            peaks.append(sampler.peak - sampler.start)
            del raw
        clean_bytes = result.clean.memory_usage(deep=True).sum()
        med = statistics.median
        print(f"rows: {result.rows_in:,} in, {result.rows_clean:,} clean, {result.rows_rejected:,} rejected")
        print(f"pandas.read_csv (baseline) median: {med(reads):.2f} s  (runs: {_runs(reads)})")
        print(f"read_table (encoding, header, row numbers) median: {med(loads):.2f} s  (runs: {_runs(loads)})")
        print(f"clean_evaluation median: {med(cleans):.2f} s  (runs: {_runs(cleans)})")
        print(f"end to end (read_table + clean) over read_csv: {(med(loads) + med(cleans)) / med(reads):.2f}")
        print(f"clean frame: {clean_bytes / 1e6:.0f} MB; peak extra memory while cleaning: "
              f"{max(peaks) / 1e6:.0f} MB = {max(peaks) / clean_bytes:.2f}x the clean frame")
        print(f"clean_over_read={med(cleans) / med(reads):.2f}")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
