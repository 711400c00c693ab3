"""Strings from the data are shown as text, never run, in reports and the index (checked in chromium)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

CHROMIUM = shutil.which("chromium")
PAYLOADS = ["<script>document.title='PWNED1'</script>", "<img src=x onerror=\"document.title='PWNED2'\">",
            "[click](javascript:document.title='PWNED3')"]


@pytest.mark.kernel
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium (installed by .ci/run)")
def test_hostile_names_in_the_data_are_inert_in_chromium(small_demo, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    frame = pd.read_parquet(small_demo["processed"] / "evaluation.parquet")
    durham = frame["ons_code"] == "E06000047"
    frame.loc[durham, "council_name"] = "Durham " + " ".join(PAYLOADS)
    frame.loc[durham, "locality"] = PAYLOADS[0]
    frame.to_parquet(data / "evaluation.parquet")
    out = tmp_path / "out"
    script = str(Path(sys.executable).with_name("msp-analysis"))
    done = subprocess.run([script, "report", "locality", "--param", "locality=E06000047",
                           "--param", f"data_dir={data}", "--out", str(out), "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for page in (out / "locality_E06000047_2023-24.html", out / "index.html"):
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120).stdout
        assert "PWNED" not in dom.split("<title>")[1].split("</title>")[0], f"a script ran in {page.name}"
        assert 'href="javascript' not in dom.lower()
        assert "<script>document.title" not in dom, "the payload is text, not an element"
    text = (out / "locality_E06000047_2023-24.html").read_text()
    assert "&lt;script&gt;document.title=" in text or "&lt;img src=x" in text, "the payload is shown as text"


def _dom(page: Path, profile: Path) -> str:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120).stdout


@pytest.mark.kernel
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium (installed by .ci/run)")
def test_a_data_folder_named_as_markup_and_a_weak_policy_banner_are_inert_in_chromium(small_demo, tmp_path):
    data = tmp_path / "<img src=x onerror=\"document.title='PWNED4'\">"
    shutil.copytree(small_demo["processed"], data)
    out = tmp_path / "out"
    script = str(Path(sys.executable).with_name("msp-analysis"))
    command = [script, "report", "locality", "--param", "locality=E06000047", "--param", f"data_dir={data}",
               "--param", "disclosure_policy=custom:threshold=3,symbol=~", "--out", str(out), "--quiet"]
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode == 2 and "--allow-weak-policy" in refused.stderr and not out.exists()
    done = subprocess.run([*command, "--allow-weak-policy"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page = out / "locality_E06000047_2023-24.html"
    for shown in (page, out / "index.html"):
        dom = _dom(shown, tmp_path / "profile")
        assert "PWNED" not in dom.split("<title>")[1].split("</title>")[0], f"a script ran in {shown.name}"
        assert "<img src=\"x\" onerror" not in dom and "<img src=x onerror" not in dom
    text = page.read_text()
    body = text.split("<body", 1)[1]
    assert body.find("Weaker disclosure control than the publisher") < body.find("<h1"), "the warning opens the page"
    assert "Do not publish this report" in text
