"""Benchmark: cleaning an evaluation export against simply reading it, in one process.

Simulates a 1,000,000-row export (``--scale 10``), then times ``pandas.read_csv`` of it
(the baseline) and the full clean (``msp_analysis.io.read_table`` + ``clean_evaluation``),
each ``--repeat`` times, and prints medians. The last line is ``clean_over_read=<ratio>``.
Peak memory of the clean is sampled from /proc (resident set size above the level before
the clean) and compared with the size of the clean frame.

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

from msp_analysis.clean.evaluation import clean_evaluation
from msp_analysis.io import read_table, write_csv
from msp_analysis.simulate import simulate

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
        reads, cleans, peaks = [], [], []
        for _ in range(args.repeat):
            seconds, frame = timed(lambda: pd.read_csv(path, dtype=str, keep_default_na=False))
            reads.append(seconds)
            del frame
            with PeakSampler() as sampler:
                seconds, result = timed(lambda: clean_evaluation(read_table(path), source=str(path)))
            cleans.append(seconds)
            peaks.append(sampler.peak - sampler.start)
        clean_bytes = result.clean.memory_usage(deep=True).sum()
        print(f"rows: {result.rows_in:,} in, {result.rows_clean:,} clean, {result.rows_rejected:,} rejected")
        print(f"read_csv median: {statistics.median(reads):.2f} s  (runs: {', '.join(f'{r:.2f}' for r in reads)})")
        print(f"clean median:    {statistics.median(cleans):.2f} s  (runs: {', '.join(f'{c:.2f}' for c in cleans)})")
        print(f"clean frame: {clean_bytes / 1e6:.0f} MB; peak extra memory during clean: "
              f"{max(peaks) / 1e6:.0f} MB = {max(peaks) / clean_bytes:.2f}x the clean frame")
        print(f"clean_over_read={statistics.median(cleans) / statistics.median(reads):.2f}")


if __name__ == "__main__":
    main()
