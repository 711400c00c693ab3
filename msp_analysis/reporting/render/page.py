"""What a page says about itself beyond its content: the area, the links between reports, and who published it.

Every report opens with a header linking the folder's index, the report of its region and the
report for England, and a region's report lists its councils. The links follow the file names
the registry gives reports (``report_name``), so they hold within a folder rendered by one
batch or by several runs into it (``make demo`` renders the whole set).

A publisher (a council, a region, a board) may put its name, a contact and a logo on every
page: ``--publisher-name``, ``--contact``, ``--logo`` or a small settings file
(``--publisher FILE``, JSON ``{"name": ..., "contact": ..., "logo": ...}``). The logo is
embedded (PNG, JPEG or SVG, at most 200 KB) so the page stays self-contained. Without
any, the page says it was produced with msp-analysis.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path

from msp_analysis.disclosure.policies import get_policy, policy_title
from msp_analysis.reference import geography
from msp_analysis.reference.geography import short_name
from msp_analysis.reporting.registry import ENGLAND, REPORTS, slug
from msp_analysis.toolkit.errors import ParameterError

LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
LOGO_MAX_BYTES = 200_000
GLOSSARY_ID = "glossary"
ENGLAND_REPORT = f"evaluation_{slug(ENGLAND)}_fully_achieved"


@dataclass(frozen=True)
class Publisher:
    """Who publishes the reports: shown on every page. All empty: the neutral 'produced with msp-analysis' line."""

    name: str = ""
    contact: str = ""
    logo: str = ""  # a data: URI (embedded), never a path or an address

    @property
    def given(self) -> bool:
        return bool(self.name or self.contact or self.logo)


def _logo_uri(path: str) -> str:
    file = Path(path).expanduser()
    kind = LOGO_TYPES.get(file.suffix.lower())
    if kind is None:
        raise ParameterError(f"--logo {path!r}: expected a .png, .jpg or .svg file")
    try:
        data = file.read_bytes()
    except OSError as error:
        raise ParameterError(f"--logo {path!r}: cannot read it ({error.strerror})") from None
    if len(data) > LOGO_MAX_BYTES:
        raise ParameterError(f"--logo {path!r}: {len(data):,} bytes; a logo embedded in every page must be at most "
                             f"{LOGO_MAX_BYTES:,}")
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def load_publisher(settings: str | Path | None = None, name: str = "", contact: str = "", logo: str = "") -> Publisher:
    """The publisher from a settings file (JSON: name, contact, logo), with the options given overriding it.

    A logo path in the file is read relative to the file. Bad input is a :class:`ParameterError`.
    """
    values = {"name": "", "contact": "", "logo": ""}
    base = Path.cwd()
    if settings:
        path = Path(settings).expanduser()
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ParameterError(f"--publisher {str(settings)!r}: cannot read it ({error.strerror})") from None
        except ValueError as error:
            raise ParameterError(f"--publisher {str(settings)!r}: not JSON ({error})") from None
        if not isinstance(loaded, dict) or set(loaded) - set(values) or not all(isinstance(v, str) for v in loaded.values()):
            raise ParameterError(f"--publisher {str(settings)!r}: expected an object with text fields name, contact, logo")
        values.update(loaded)
        base = path.parent
    values.update({k: v for k, v in (("name", name), ("contact", contact)) if v})
    if logo:  # given on the command line: read from where the command runs
        uri = _logo_uri(logo)
    elif values["logo"]:  # named in the settings file: read beside it
        uri = _logo_uri(str(base / values["logo"]))
    else:
        uri = ""
    return Publisher(values["name"].strip(), values["contact"].strip(), uri)


def page_info(notebook: str, params: object, publisher: Publisher | None = None,
              available: Collection[str] | None = None) -> dict:
    """Plain data the template prints around a report: area, period, region, links, publisher.

    ``links``: (label, file) pairs for the header (index, region, England); ``children``: the councils of a
    region's report, linked to their locality reports. `available`: the report files that exist in the folder
    or are rendered with this one (the batch gives them); a link to any other file is left out of the header, and
    a council without its report is listed without a link (file ""), so no page links to a page that is not there.
    """
    links: list[tuple[str, str]] = [("All reports", "index.html")]
    children: list[tuple[str, str]] = []
    region, period = "", ""
    if notebook == "locality":
        year = params.year  # type: ignore[attr-defined]
        council = geography.councils(year).set_index("ons_code").loc[params.locality]  # type: ignore[attr-defined]
        area, region, period = short_name(str(council["name"])), str(council["region"]), year
        links.append((f"{region} temperature check", f"temperature_check_{slug(region)}_{year}.html"))
    elif notebook == "assurance":  # a council's commissioners and providers: linked like its locality report
        period = params.wave  # type: ignore[attr-defined]
        council = geography.councils(period).set_index("ons_code").loc[params.locality]  # type: ignore[attr-defined]
        area, region = short_name(str(council["name"])), str(council["region"])
        links += [(f"{area} locality report", f"locality_{params.locality}_{period}.html"),  # type: ignore[attr-defined]
                  (f"{region} temperature check", f"temperature_check_{slug(region)}_{period}.html")]
    elif notebook == "temperature_check":
        area = region = params.region  # type: ignore[attr-defined]
        period = params.wave  # type: ignore[attr-defined]
        children = [(short_name(str(row.name)), f"locality_{row.ons_code}_{period}.html")
                    for row in geography.councils(period, region).itertuples()]
    elif notebook == "evaluation":
        area = params.scope  # type: ignore[attr-defined]
        region = "" if area == ENGLAND else area
    else:
        area = ""
    if not (notebook == "evaluation" and area == ENGLAND):
        links.append(("England", f"{ENGLAND_REPORT}.html"))
    if available is not None:
        links = [(label, href) for label, href in links if href == "index.html" or href in available]
        children = [(label, href if href in available else "") for label, href in children]
    spec = REPORTS.get(notebook)
    policy = get_policy(getattr(params, "disclosure_policy", "sac"))
    return {"policy": {"name": policy.name, "title": policy_title(policy.name),
                       "words": policy.description},
            "kind": spec.heading if spec else notebook, "area": area, "region": region, "period": period,
            "links": [list(pair) for pair in links], "children": [list(pair) for pair in children],
            "glossary": GLOSSARY_ID, "publisher": asdict(publisher or Publisher())}
