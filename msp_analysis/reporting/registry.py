"""The report registry: one :class:`ReportSpec` per report, with the parameter model of its notebook.

A report is a notebook in ``notebooks/``, a content module in ``reporting/content/`` and one
entry in :data:`REPORTS`; the CLI's choices, the index headings, the batch order, the modules
a warm kernel imports and the tests' parameter lists are all read from that entry.

The CLI validates a notebook's parameters with its model before any kernel starts, and the
notebook rebuilds the same model from its injected values: one source of truth, and a bad
value is an error that names the key, not a traceback from inside a kernel.

Every model has the same small interface the batch runner uses: ``validate(raw)``,
``batch(region, raw)`` (the parameter sets of ``msp-analysis reports NOTEBOOK --region R``
or ``--all``), ``as_parameters()``, ``public_parameters()`` (what a report may print: folder
names, never local paths), ``input_files()``, ``report_name()``, ``title()`` and ``simulated()``
(the processed data are simulated: every page says so).

Path parameters (``data_dir``, ``real_data_dir``) mean the same wherever the kernel or the
command starts: a relative path is read from the project root (the folder holding
``.msp-project``: :func:`msp_analysis.toolkit.paths.resolve_path`), so the notebooks' default
``data_dir = "data/processed/demo"`` names the demo data whether JupyterLab starts the kernel in
``notebooks/`` or the CLI runs from the project root; an absolute path is used as given.
``validate`` stores the resolved, absolute path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pandas as pd

from msp_analysis.disclosure.policies import get_policy
from msp_analysis.io.processed import is_simulated
from msp_analysis.io.real_data import LA_MEASURE_FILES
from msp_analysis.reference import geography
from msp_analysis.reference.financial_years import parse_financial_year
from msp_analysis.toolkit.errors import ParameterError
from msp_analysis.toolkit.paths import project_root, resolve_path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
DEMO_RAW_DIR = Path("data/raw/demo")
DEMO_PROCESSED_DIR = Path("data/processed/demo")
KERNEL_NAME = "msp-analysis"
ENGLAND = "England"
EVALUATION_OUTCOMES = ("fully_achieved", "fully_or_partially_achieved")


def _check_keys(model: type, raw: Mapping[str, object]) -> None:
    known = [f.name for f in fields(model)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ParameterError(f"unknown parameter {unknown[0]!r}; this notebook takes: {', '.join(known)}")


def _values(model: type, raw: Mapping[str, object]) -> dict[str, str]:
    _check_keys(model, raw)
    return {**asdict(model()), **{k: str(v).strip() for k, v in raw.items()}}


def _year(key: str, value: str) -> str:
    year = parse_financial_year(value)
    if year not in geography.FINANCIAL_YEARS:
        raise ParameterError(
            f"{key}={value!r} is not a financial year this package covers "
            f"({geography.FINANCIAL_YEARS[0]} to {geography.FINANCIAL_YEARS[-1]})"
        )
    return year


def _policy(value: str) -> str:
    try:
        return get_policy(value).name
    except ValueError as error:
        raise ParameterError(f"disclosure_policy={value!r}: {error}") from None


def _region(key: str, value: str) -> str:
    try:
        return geography.canonical_region(value)
    except ValueError as error:
        raise ParameterError(f"{key}={value!r}: {error}") from None


def _folder(value: str) -> str:
    """A path parameter as the models keep it: absolute, a relative one read from the project root."""
    return str(resolve_path(value))


def _public(value: str, key: str) -> str:
    """A parameter as a report may print it: a folder's name, never its local path."""
    if key.endswith("_dir"):
        return Path(value).name if value else ""
    return value


def slug(text: str) -> str:
    """File-name form of a name: ``"Yorkshire and the Humber"`` → ``"yorkshire-and-the-humber"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


class _ReportParams:
    """Shared methods of the parameter models (dataclasses defined below)."""

    def as_parameters(self) -> dict[str, str]:
        """Values papermill injects into the notebook."""
        return asdict(self)  # type: ignore[call-overload]

    def public_parameters(self) -> dict[str, str]:
        """Parameters as the provenance block shows them (folders by name only)."""
        return {k: _public(v, k) for k, v in self.as_parameters().items()}

    def simulated(self) -> bool:
        """True when the processed files in ``data_dir`` were cleaned from simulated data (their manifests say so)."""
        return is_simulated(self.data_dir)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class LocalityReportParams(_ReportParams):
    """Parameters of ``notebooks/locality_report.ipynb``: one council in one financial year.

    `data_dir`: the folder of processed files (``msp-analysis clean ... --out DIR``); relative
    to the project root unless absolute (stored resolved).
    """

    locality: str = "E06000047"
    year: str = "2023-24"
    data_dir: str = str(DEMO_PROCESSED_DIR)
    disclosure_policy: str = "sac"

    @classmethod
    def validate(cls, raw: Mapping[str, object]) -> LocalityReportParams:
        """Check and canonicalise raw values (strings from the command line or a notebook).

        >>> LocalityReportParams.validate({"locality": "County Durham", "year": "2023/24"}).locality
        'E06000047'
        """
        values = _values(cls, raw)
        year = _year("year", values["year"])
        ons_code = geography.resolve_council(values["locality"], year)
        if ons_code is None:
            raise ParameterError(
                f"locality={values['locality']!r} is not a council in {year}; "
                f"see `msp-analysis councils --year {year}`"
            )
        return cls(locality=ons_code, year=year, data_dir=_folder(values["data_dir"]),
                   disclosure_policy=_policy(values["disclosure_policy"]))

    @classmethod
    def batch(cls, region: str | None, raw: Mapping[str, object]) -> list[LocalityReportParams]:
        """One parameter set per council of `region` (None: every council in England) in the year of `raw`."""
        base = cls.validate(raw)
        try:
            codes = geography.councils(base.year, region)["ons_code"]
        except ValueError as error:
            raise ParameterError(str(error)) from None
        return [cls.validate({**raw, "locality": code}) for code in codes]

    def input_files(self) -> list[Path]:
        """Files the report reads: their sha256 decides whether a cached report is still current."""
        return [Path(self.data_dir) / "evaluation.parquet", Path(self.data_dir) / "temperature_check.parquet",
                Path(self.data_dir) / "person_feedback.parquet"]

    def report_name(self) -> str:
        """File stem of the rendered report."""
        return f"locality_{self.locality}_{self.year}"

    def title(self) -> str:
        """Human title used in the index page."""
        council = geography.councils(self.year).set_index("ons_code").loc[self.locality, "name"]
        return f"{geography.short_name(council)}, {self.year}"


@dataclass(frozen=True)
class TemperatureCheckParams(_ReportParams):
    """Parameters of ``notebooks/temperature_check.ipynb``: one ADASS region in one wave.

    `data_dir`: the folder holding ``temperature_check.parquet``; relative to the project root
    unless absolute (stored resolved).
    """

    region: str = "North East"
    wave: str = "2023-24"
    data_dir: str = str(DEMO_PROCESSED_DIR)
    disclosure_policy: str = "sac"

    @classmethod
    def validate(cls, raw: Mapping[str, object]) -> TemperatureCheckParams:
        """Check and canonicalise raw values.

        >>> TemperatureCheckParams.validate({"region": "eastern", "wave": "2023/24"}).region
        'East of England'
        """
        values = _values(cls, raw)
        return cls(region=_region("region", values["region"]), wave=_year("wave", values["wave"]),
                   data_dir=_folder(values["data_dir"]), disclosure_policy=_policy(values["disclosure_policy"]))

    @classmethod
    def batch(cls, region: str | None, raw: Mapping[str, object]) -> list[TemperatureCheckParams]:
        """One parameter set for `region`, or one per ADASS region when `region` is None (``--all``)."""
        if region is not None:
            return [cls.validate({**raw, "region": region})]
        return [cls.validate({**raw, "region": name}) for _, name in geography.REGIONS]

    def input_files(self) -> list[Path]:
        return [Path(self.data_dir) / "temperature_check.parquet"]

    def report_name(self) -> str:
        return f"temperature_check_{slug(self.region)}_{self.wave}"

    def title(self) -> str:
        return f"Temperature check: {self.region}, {self.wave}"


@dataclass(frozen=True)
class EvaluationParams(_ReportParams):
    """Parameters of ``notebooks/evaluation.ipynb``: England or one region, one outcome.

    `data_dir`: the folder of processed files; `real_data_dir` (optional) is the folder of public
    files described in ``docs/data.md``; when given, the report adds the real ASCOF 4A ×
    workforce-turnover panel. Both are relative to the project root unless absolute (stored
    resolved); a `real_data_dir` that is not a folder is an error naming the resolved path.
    """

    scope: str = ENGLAND
    outcome: str = "fully_achieved"
    data_dir: str = str(DEMO_PROCESSED_DIR)
    real_data_dir: str = ""
    disclosure_policy: str = "sac"

    @classmethod
    def validate(cls, raw: Mapping[str, object]) -> EvaluationParams:
        """Check and canonicalise raw values.

        >>> EvaluationParams.validate({"scope": "london"}).scope
        'London'
        """
        values = _values(cls, raw)
        scope = ENGLAND if values["scope"].casefold() in ("england", "e92000001", "") else _region("scope", values["scope"])
        outcome = values["outcome"].replace("-", "_").casefold()
        if outcome not in EVALUATION_OUTCOMES:
            raise ParameterError(f"outcome={values['outcome']!r} is unknown; expected one of {', '.join(EVALUATION_OUTCOMES)}")
        real = _folder(values["real_data_dir"]) if values["real_data_dir"] else ""
        if real and not Path(real).is_dir():
            read_from = "" if Path(values["real_data_dir"]).expanduser().is_absolute() else \
                f", read from the project root {project_root()}"
            raise ParameterError(f"real_data_dir={values['real_data_dir']!r} is not a folder ({real}{read_from}); "
                                 "point it at the folder of public files described in docs/data.md")
        return cls(scope=scope, outcome=outcome, data_dir=_folder(values["data_dir"]), real_data_dir=real,
                   disclosure_policy=_policy(values["disclosure_policy"]))

    @classmethod
    def batch(cls, region: str | None, raw: Mapping[str, object]) -> list[EvaluationParams]:
        """`region` alone, or England and each of the nine regions when `region` is None (``--all``)."""
        if region is not None:
            return [cls.validate({**raw, "scope": region})]
        return [cls.validate({**raw, "scope": scope}) for scope in [ENGLAND] + [name for _, name in geography.REGIONS]]

    def input_files(self) -> list[Path]:
        files = [Path(self.data_dir) / "evaluation.parquet", Path(self.data_dir) / "temperature_check.parquet"]
        if self.real_data_dir:
            files += [Path(self.real_data_dir) / name for name in LA_MEASURE_FILES]
        return files

    def report_name(self) -> str:
        return f"evaluation_{slug(self.scope)}_{self.outcome}"

    def title(self) -> str:
        outcome = self.outcome.replace("_", " ")
        return f"Evaluation: {self.scope}, {outcome}"


@dataclass(frozen=True)
class AssuranceParams(_ReportParams):
    """Parameters of ``notebooks/assurance.ipynb``: one council's commissioners' and providers' assurance returns
    in one wave.

    `data_dir`: the folder holding ``assurance.parquet`` (``msp-analysis clean assurance RETURNS --out DIR``);
    relative to the project root unless absolute (stored resolved). Without that file the report says that no
    returns were cleaned there.
    """

    locality: str = "E06000047"
    wave: str = "2023-24"
    data_dir: str = str(DEMO_PROCESSED_DIR)
    disclosure_policy: str = "sac"

    @classmethod
    def validate(cls, raw: Mapping[str, object]) -> AssuranceParams:
        """Check and canonicalise raw values.

        >>> AssuranceParams.validate({"locality": "Gateshead", "wave": "2023/24"}).locality
        'E08000037'
        """
        values = _values(cls, raw)
        wave = _year("wave", values["wave"])
        ons_code = geography.resolve_council(values["locality"], wave)
        if ons_code is None:
            raise ParameterError(f"locality={values['locality']!r} is not a council in {wave}; "
                                 f"see `msp-analysis councils --year {wave}`")
        return cls(locality=ons_code, wave=wave, data_dir=_folder(values["data_dir"]),
                   disclosure_policy=_policy(values["disclosure_policy"]))

    @classmethod
    def batch(cls, region: str | None, raw: Mapping[str, object]) -> list[AssuranceParams]:
        """One parameter set per council of `region` (None: England) that has assurance returns in `data_dir` for
        the wave; every council of the scope when no assurance file is there."""
        base = cls.validate(raw)
        try:
            codes = list(geography.councils(base.wave, region)["ons_code"])
        except ValueError as error:
            raise ParameterError(str(error)) from None
        path = Path(base.data_dir) / "assurance.parquet"
        if path.is_file():
            try:
                returned = pd.read_parquet(path, columns=["ons_code", "wave"])
            except Exception as error:  # not parquet, or not the assurance kind's columns
                raise ParameterError(f"{path}: not a clean assurance file ({type(error).__name__}); make it with "
                                     "`msp-analysis clean assurance RETURNS --out DIR`") from None
            have = set(returned.loc[returned["wave"] == base.wave, "ons_code"])
            codes = [code for code in codes if code in have]
        return [cls.validate({**raw, "locality": code}) for code in codes]

    def input_files(self) -> list[Path]:
        return [Path(self.data_dir) / "assurance.parquet"]

    def report_name(self) -> str:
        return f"assurance_{self.locality}_{self.wave}"

    def title(self) -> str:
        council = geography.councils(self.wave).set_index("ons_code").loc[self.locality, "name"]
        return f"Assurance: {council}, {self.wave}"


@dataclass(frozen=True)
class ReportSpec:
    """Everything the package needs to know about one report.

    ``notebook``: file in ``notebooks/``; ``params``: its parameter model; ``heading``: its
    section of the index page; ``render_weight``: rough relative cost of one report (a batch
    starts the costliest first so that no worker idles at the end); ``warm_modules``: what a
    kernel started for this report imports at warm-up beyond the shared core; ``example``: a
    small parameter set (``data_dir`` added by the caller) used by the notebook tests.
    """

    name: str
    notebook: str
    params: type
    heading: str
    render_weight: int
    warm_modules: tuple[str, ...]
    example: dict[str, str] = field(default_factory=dict)


REPORTS: dict[str, ReportSpec] = {spec.name: spec for spec in (
    ReportSpec("evaluation", "evaluation.ipynb", EvaluationParams, "Evaluation", 100,
               ("matplotlib.pyplot", "matplotlib.backends.backend_svg", "statsmodels.genmod.generalized_estimating_equations",
                "msp_analysis.reporting.content.evaluation"),
               {"scope": "North East", "outcome": "fully_achieved"}),
    ReportSpec("temperature_check", "temperature_check.ipynb", TemperatureCheckParams, "Regional temperature checks", 3,
               ("msp_analysis.reporting.content.temperature_check",), {"region": "North East", "wave": "2023-24"}),
    ReportSpec("locality", "locality_report.ipynb", LocalityReportParams, "Locality reports", 1,
               ("msp_analysis.reporting.content.locality",), {"locality": "E06000047", "year": "2023-24"}),
    ReportSpec("assurance", "assurance.ipynb", AssuranceParams, "Assurance: commissioners and providers", 1,
               ("msp_analysis.reporting.content.assurance",), {"locality": "E08000037", "wave": "2023-24"}),
)}


def report_spec(name: str) -> ReportSpec:
    """The registered report `name`; an unknown name is a :class:`ParameterError` listing the known ones."""
    if name not in REPORTS:
        raise ParameterError(f"unknown notebook {name!r}; known: {', '.join(REPORTS)}")
    return REPORTS[name]
