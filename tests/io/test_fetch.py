"""Fetching published files from a real HTTP server on the loopback address: SOURCES.json, refusals, errors."""

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest

from msp_analysis.clean import KINDS
from msp_analysis.cli import main
from msp_analysis.io import fetch as fetch_module
from msp_analysis.io.fetch import (
    SOURCES_FILE,
    SOURCES_PAGE,
    fetch,
    known_source,
    publisher_file,
    read_sources,
)
from msp_analysis.reference.codebook import published_files
from msp_analysis.toolkit.errors import MspError, OutputError, ParameterError, UnusableInputError
from tests.io.loopback import Publisher, refused_url

WORKBOOK = b"PK\x03\x04 the 2021-22 data tables, as published" * 50
REVISED = b"PK\x03\x04 the 2021-22 data tables, revised" * 50
WHEN = datetime(2025, 11, 30, 9, 15, 0, tzinfo=timezone.utc)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def publisher():
    with Publisher() as server:
        yield server


@pytest.fixture
def known_at(publisher, monkeypatch):
    """sources.csv as shipped, but sac 2021-22 served by the loopback publisher."""
    url = publisher.serve("/BE/C03367/sac-eng-2021-22-data-tables.xlsx", WORKBOOK)
    rows = [dict(row, url=url) if (row["kind"], row["year"]) == ("sac", "2021-22") else row for row in published_files()]
    monkeypatch.setattr(fetch_module, "published_files", lambda: rows)
    return url


def no_leftovers(folder: Path) -> bool:
    return not list(folder.glob(".*.tmp"))


# --- the codebook table -----------------------------------------------------------------------


def test_every_known_address_is_one_https_file_per_kind_and_year():
    rows = published_files()
    assert rows, "sources.csv lists at least the SAC data tables"
    assert len({(r["kind"], r["year"]) for r in rows}) == len(rows)
    for row in rows:
        assert row["kind"] in KINDS
        assert urlsplit(row["url"]).scheme == "https"
        assert PurePosixPath(urlsplit(row["url"]).path).name == row["file_name"]
        assert row["publisher"] and row["licence"] and row["address_from"] and row["publication"]
    assert known_source("sac", "2021-22")["url"] == "https://files.digital.nhs.uk/BE/C03367/sac-eng-2021-22-data-tables.xlsx"


# --- success ------------------------------------------------------------------------------------


def test_a_known_file_is_downloaded_and_recorded_in_sources_json(known_at, tmp_path):
    done = fetch("sac", "2021/22", tmp_path / "raw", now=WHEN)
    assert done.status == "downloaded"
    assert done.path == tmp_path / "raw" / "sac-eng-2021-22-data-tables.xlsx"
    assert done.path.read_bytes() == WORKBOOK
    recorded = json.loads((tmp_path / "raw" / SOURCES_FILE).read_text(encoding="utf-8"))
    record = recorded["files"]["sac-eng-2021-22-data-tables.xlsx"]
    assert record["url"] == known_at
    assert record["fetched"] == "2025-11-30T09:15:00Z"
    assert record["size"] == len(WORKBOOK)
    assert record["sha256"] == sha(WORKBOOK)
    assert (record["kind"], record["year"]) == ("sac", "2021-22")
    assert record["publisher"] == "NHS Digital" and record["licence"] == "Open Government Licence v3.0"
    assert "ASC-Overview" in record["address_from"]
    assert "fetch" in recorded["about"]
    assert no_leftovers(tmp_path / "raw")


def test_fetching_again_the_same_bytes_keeps_the_first_date(known_at, tmp_path):
    fetch("sac", "2021-22", tmp_path, now=WHEN)
    later = datetime(2026, 1, 5, 8, 0, 0, tzinfo=timezone.utc)
    done = fetch("sac", "2021-22", tmp_path, now=later)
    assert done.status == "unchanged"
    assert done.record["fetched"] == "2025-11-30T09:15:00Z" and done.record["checked"] == "2026-01-05T08:00:00Z"


def test_several_files_share_one_sources_json(publisher, tmp_path):
    first = publisher.serve("/a/ASC_data.csv", b"Financial year,Value\n2022-23,28\n", content_type="text/csv")
    second = publisher.serve("/b/trend_data.csv", b"Year,Measure_Value\n2023-24,71.1\n", content_type="text/csv")
    fetch("la_measures", "2022-23", tmp_path, url=first, now=WHEN)
    fetch("la_measures", "2023-24", tmp_path, url=second, now=WHEN)
    records = read_sources(tmp_path)
    assert sorted(records) == ["ASC_data.csv", "trend_data.csv"]
    assert records["ASC_data.csv"]["address_from"] == "given with --url"
    assert "publisher" not in records["ASC_data.csv"], "nothing is made up about a file the codebook does not know"


def test_a_redirect_records_where_the_file_was_finally_served(publisher, tmp_path):
    final = publisher.serve("/new/sac-eng-2021-22-data-tables.xlsx", WORKBOOK)
    moved = publisher.serve("/old/sac-eng-2021-22-data-tables.xlsx", b"", status=301, location=final)
    done = fetch("sac", "2021-22", tmp_path, url=moved, now=WHEN)
    assert done.record["url"] == moved and done.record["final_url"] == final
    assert done.path.read_bytes() == WORKBOOK


# --- a changed file -------------------------------------------------------------------------------


def test_a_changed_file_is_not_overwritten_without_force(known_at, publisher, tmp_path):
    fetch("sac", "2021-22", tmp_path, now=WHEN)
    before = (tmp_path / SOURCES_FILE).read_text(encoding="utf-8")
    publisher.serve("/BE/C03367/sac-eng-2021-22-data-tables.xlsx", REVISED)
    with pytest.raises(OutputError) as refused:
        fetch("sac", "2021-22", tmp_path)
    message = str(refused.value)
    assert sha(WORKBOOK) in message and sha(REVISED) in message and "--force" in message
    assert "\n" not in message
    assert (tmp_path / "sac-eng-2021-22-data-tables.xlsx").read_bytes() == WORKBOOK, "the old file is kept"
    assert (tmp_path / SOURCES_FILE).read_text(encoding="utf-8") == before, "and its record too"
    assert no_leftovers(tmp_path)


def test_force_replaces_a_changed_file_and_records_what_it_replaced(known_at, publisher, tmp_path):
    fetch("sac", "2021-22", tmp_path, now=WHEN)
    publisher.serve("/BE/C03367/sac-eng-2021-22-data-tables.xlsx", REVISED)
    done = fetch("sac", "2021-22", tmp_path, force=True, now=datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert done.status == "replaced"
    assert done.path.read_bytes() == REVISED
    record = read_sources(tmp_path)["sac-eng-2021-22-data-tables.xlsx"]
    assert record["sha256"] == sha(REVISED) and record["fetched"] == "2026-02-01T00:00:00Z"
    assert record["replaces"] == {"sha256": sha(WORKBOOK), "fetched": "2025-11-30T09:15:00Z"}


# --- what cannot be fetched ----------------------------------------------------------------------


@pytest.mark.parametrize("kind,year", [("la_measures", "2023-24"), ("sac", "2031-32"), ("evaluation", "2021-22")])
def test_an_unknown_address_says_so_and_points_to_the_sources_page(kind, year, tmp_path):
    with pytest.raises(ParameterError) as unknown:
        fetch(kind, year, tmp_path / "raw")
    message = str(unknown.value)
    assert f"no published address is known for {kind} {year}" in message
    assert SOURCES_PAGE in message and "--url" in message and "sac 2021-22" in message
    assert not (tmp_path / "raw").exists()


@pytest.mark.parametrize("year", ["2021", "45000", "next year", "2021-23"])
def test_a_year_that_is_not_a_financial_year_is_a_parameter_error(year, tmp_path):
    with pytest.raises(ParameterError, match="not a financial year"):
        fetch("sac", year, tmp_path)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a.xlsx", "https://example.org/", "sac.xlsx"])
def test_only_http_addresses_of_a_file_are_fetched(url, tmp_path):
    with pytest.raises(ParameterError, match="--url"):
        fetch("sac", "2021-22", tmp_path, url=url)


def test_no_network_is_one_clear_line(tmp_path):
    url = refused_url()
    with pytest.raises(UnusableInputError) as offline:
        fetch("sac", "2021-22", tmp_path / "raw", url=url)
    message = str(offline.value)
    assert message.startswith(f"cannot reach {urlsplit(url).netloc} (Connection refused)")
    assert "online" in message and SOURCES_PAGE in message and "\n" not in message
    assert isinstance(offline.value, MspError)
    assert not (tmp_path / "raw" / "sac.xlsx").exists() and not (tmp_path / "raw" / SOURCES_FILE).exists()
    assert no_leftovers(tmp_path / "raw")


def test_a_missing_file_names_the_server_answer(publisher, tmp_path):
    with pytest.raises(UnusableInputError, match=r"answered 404 Not Found.*publication page"):
        fetch("sac", "2021-22", tmp_path, url=publisher.url("/moved/sac.xlsx"))
    assert not (tmp_path / "sac.xlsx").exists() and no_leftovers(tmp_path)


def test_a_web_page_served_instead_of_the_file_is_refused(publisher, tmp_path):
    url = publisher.serve("/sac.xlsx", b"<html>This page has moved</html>", content_type="text/html; charset=utf-8")
    with pytest.raises(UnusableInputError, match="served a web page"):
        fetch("sac", "2021-22", tmp_path, url=url)
    assert not (tmp_path / "sac.xlsx").exists()


def test_a_server_that_does_not_answer_in_time(publisher, tmp_path):
    url = publisher.serve("/slow.xlsx", WORKBOOK, delay=1.0)
    with pytest.raises(UnusableInputError, match=r"did not answer within 0.2 s"):
        fetch("sac", "2021-22", tmp_path, url=url, timeout=0.2)
    assert not (tmp_path / "slow.xlsx").exists() and no_leftovers(tmp_path)


def test_a_download_cut_short_is_not_kept(publisher, tmp_path):
    url = publisher.serve("/short.xlsx", WORKBOOK[:100], claimed_length=len(WORKBOOK))
    with pytest.raises(UnusableInputError, match="broke off|cut short"):
        fetch("sac", "2021-22", tmp_path, url=url)
    assert not (tmp_path / "short.xlsx").exists() and no_leftovers(tmp_path)


def test_a_broken_sources_json_stops_before_downloading(publisher, tmp_path):
    (tmp_path / SOURCES_FILE).write_text("{not json", encoding="utf-8")
    url = publisher.serve("/sac.xlsx", WORKBOOK)
    with pytest.raises(UnusableInputError, match=f"{SOURCES_FILE}: not a {SOURCES_FILE} written by"):
        fetch("sac", "2021-22", tmp_path, url=url)
    assert publisher.requests == []


# --- reading the record back -------------------------------------------------------------------


def test_publisher_file_says_whether_the_file_is_still_the_one_fetched(publisher, tmp_path):
    url = publisher.serve("/sac.xlsx", WORKBOOK)
    done = fetch("sac", "2021-22", tmp_path, url=url, now=WHEN)
    record = publisher_file(done.path)
    assert record["file"] == "sac.xlsx" and record["url"] == url and record["unchanged_since_fetch"] is True
    done.path.write_bytes(REVISED)
    assert publisher_file(done.path)["unchanged_since_fetch"] is False
    assert publisher_file(tmp_path / "not-fetched.csv") is None


# --- the command --------------------------------------------------------------------------------


def test_cli_fetch_downloads_refuses_a_changed_file_and_replaces_it_with_force(publisher, tmp_path, capsys):
    url = publisher.serve("/files/sac-eng-2021-22-data-tables.xlsx", WORKBOOK)
    out = tmp_path / "raw"
    assert main(["fetch", "sac", "--year", "2021-22", "--out", str(out), "--url", url]) == 0
    said = capsys.readouterr().out
    assert "sac 2021-22: downloaded" in said and sha(WORKBOOK) in said and SOURCES_FILE in said
    publisher.serve("/files/sac-eng-2021-22-data-tables.xlsx", REVISED)
    assert main(["fetch", "sac", "--year", "2021-22", "--out", str(out), "--url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("msp-analysis: error: ") and err.count("\n") == 1 and "--force" in err
    assert "Traceback" not in err
    assert main(["fetch", "sac", "--year", "2021-22", "--out", str(out), "--url", url, "--force"]) == 0
    assert "replaced" in capsys.readouterr().out
    assert read_sources(out)["sac-eng-2021-22-data-tables.xlsx"]["sha256"] == sha(REVISED)


def test_cli_fetch_without_network_or_address_exits_2_in_one_line(tmp_path, capsys):
    assert main(["fetch", "la_measures", "--year", "2023-24", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and SOURCES_PAGE in err
    assert main(["fetch", "sac", "--year", "2021-22", "--out", str(tmp_path), "--url", refused_url()]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach 127.0.0.1" in err and "Traceback" not in err
