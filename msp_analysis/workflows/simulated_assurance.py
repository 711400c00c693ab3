"""Simulated assurance returns: filled commissioner and provider workbooks for tests and demonstrations.

:func:`write_assurance_returns` fills the real templates (:mod:`msp_analysis.io.workbook.assurance`) as a
commissioner or provider would, for a few councils of a region, and marks the files as simulated
(``SIMULATED.json``), so that ``msp-analysis clean assurance`` records them as simulated and every report
built from them says so. The answers are random draws: they describe no real organisation, although the
councils named are real.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl import load_workbook

from msp_analysis.io.processed import mark_simulated
from msp_analysis.io.workbook.assurance import (
    ANSWER_COLUMN,
    ASSURANCE_SHEET,
    COUNCIL_ROW,
    DATE_COLUMN,
    HEADER_ROW,
    ORGANISATION_ROW,
    PUBLISH_ROW,
    SOURCE_COLUMN,
    answer_options,
    assurance_checks,
    write_assurance_template,
)
from msp_analysis.reference import geography
from msp_analysis.toolkit.errors import ParameterError
from msp_analysis.toolkit.paths import resolve_path

SOURCES = ("annual safeguarding audit", "staff survey", "case file audit", "contract monitoring visit",
           "board report", "training records")


@dataclass(frozen=True)
class SimulatedAssurance:
    """What :func:`write_assurance_returns` wrote: the folder and the filled workbooks."""

    folder: Path
    files: list[Path]


def write_assurance_returns(out_dir: str | Path, region: str, wave: str, seed: int, councils: int = 3,
                            providers: int = 2) -> SimulatedAssurance:
    """For the first `councils` councils of `region` in `wave`: one commissioner's and `providers` providers'
    filled assurance workbooks in `out_dir`, drawn with `seed`, marked simulated.

    About one answer in twelve is left blank, Yes is likelier than No, and the first provider of each council
    allows its name to be published, the others do not.
    """
    if not 1 <= councils <= 200 or not 0 <= providers <= 20:
        raise ParameterError("councils from 1 to 200 and providers from 0 to 20")
    folder = resolve_path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    templates = {kind: write_assurance_template(kind, region, wave, folder / f".template_{kind}.xlsx")
                 for kind in ("commissioner", "provider")}
    start = int(wave[:4])
    written = []
    for council in geography.councils(wave, region)["name"].head(councils):
        slug = "".join(c if c.isalnum() else "_" for c in council.lower()).strip("_")
        orgs = [("commissioner", f"{council} Integrated Care Board", True)]
        orgs += [("provider", f"{council} Care Services {n + 1}", n == 0) for n in range(providers)]
        for n, (kind, name, publish) in enumerate(orgs):
            path = folder / f"{slug}_{kind}_{n}.xlsx"
            _fill(templates[kind], path, kind, council, name, publish, rng, start)
            written.append(path)
    for template in templates.values():
        template.unlink()
    mark_simulated(folder, [p.name for p in written], {"seed": seed, "region": region, "wave": wave,
                                                      "what": "assurance returns"})
    return SimulatedAssurance(folder, written)


def _fill(template: Path, out: Path, kind: str, council: str, name: str, publish: bool, rng: np.random.Generator,
          start: int) -> None:
    wb = load_workbook(template)
    ws = wb[ASSURANCE_SHEET]
    ws.cell(row=COUNCIL_ROW, column=2).value = council
    ws.cell(row=ORGANISATION_ROW, column=2).value = name
    ws.cell(row=PUBLISH_ROW, column=2).value = "Yes" if publish else "No"
    checks = assurance_checks(kind)
    for row, scale in enumerate(checks["scale"], start=HEADER_ROW + 1):
        if rng.random() < 1 / 12:
            continue
        options = answer_options(scale)
        weights = np.array([0.55, 0.3, 0.15]) if scale == "evidence3" else np.array([0.05, 0.1, 0.25, 0.35, 0.25])
        answer = options[int(rng.choice(len(options), p=weights))]
        ws.cell(row=row, column=ANSWER_COLUMN).value = answer
        if answer != "No":
            ws.cell(row=row, column=SOURCE_COLUMN).value = str(rng.choice(SOURCES))
            ws.cell(row=row, column=DATE_COLUMN).value = dt.date(start, 4, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
    wb.save(out)
