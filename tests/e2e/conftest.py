"""Fixtures of the end-to-end tests: the small simulated dataset with its temperature check cleaned too."""

import csv
import shutil

import pytest

SCRIPT_NOTE = "<script>alert(1)</script>"
PLAIN_NOTE = "Supervision got better after the new team manager & the audit."


@pytest.fixture(scope="session")
def small_demo_tc(small_demo, tmp_path_factory) -> dict:
    """``small_demo`` plus a cleaned temperature check whose returns carry two free-text notes, marked reviewed.

    A copy (the shared ``small_demo`` folder is left as other tests expect it): ``raw``
    (evaluation.csv, temperature_check.csv with a ``notes`` column) and ``processed``
    (evaluation.parquet, temperature_check.parquet and their rejects and manifests).
    """
    from msp_analysis.cli import main

    root = tmp_path_factory.mktemp("demo_tc")
    raw, processed = root / "raw", root / "processed"
    raw.mkdir()
    shutil.copytree(small_demo["processed"], processed)
    shutil.copy(small_demo["raw"] / "evaluation.csv", raw / "evaluation.csv")
    with (small_demo["raw"] / "temperature_check.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    noted = [i for i, row in enumerate(rows) if row["region"] == "North East" and row["wave"] == "2023-24"][:2]
    for row in rows:
        row["notes"] = ""
    rows[noted[0]]["notes"], rows[noted[1]]["notes"] = SCRIPT_NOTE, PLAIN_NOTE
    with (raw / "temperature_check.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["clean", "temperature_check", str(raw / "temperature_check.csv"), "--out", str(processed)]) == 0
    # the two notes marked reviewed for publication, as the return's notes_reviewed column marks them (issue 13):
    # written into the clean file, which is what the report reads
    import pandas as pd

    clean = pd.read_parquet(processed / "temperature_check.parquet")
    clean["notes_reviewed"] = clean["notes"].notna() & clean["notes"].astype(str).str.strip().ne("")
    clean.to_parquet(processed / "temperature_check.parquet")
    return {"raw": raw, "processed": processed, "notes": (SCRIPT_NOTE, PLAIN_NOTE)}
