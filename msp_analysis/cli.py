"""Clean safeguarding data, score culture indicators, model MSP outcomes and render disclosure-controlled reports.

Each command is a thin wrapper over the library; every choice list is read from a registry.
Exit codes: 0 done; 1 ran but some report failed, or a bug (a short message and the traceback in
a log file); 2 unusable input, bad parameters or an output that cannot be written (an
:class:`~msp_analysis.toolkit.errors.MspError`: one line naming what is wrong, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import traceback
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from msp_analysis import __version__
from msp_analysis.analysis.link import load_real_la_measures
from msp_analysis.analysis.models import BINARY_OUTCOMES, FEW_CLUSTERS, METHODS
from msp_analysis.analysis.models.fit import model_la_panel, model_outcome, read_council_covariates
from msp_analysis.analysis.msp_rates import msp_rates_csv
from msp_analysis.analysis.simulate import DEFAULT_SCENARIO, SCENARIOS
from msp_analysis.clean import KINDS, clean_and_validate, data_dictionary
from msp_analysis.clean.common import apply_column_mapping
from msp_analysis.io.fetch import SOURCES_FILE, fetch
from msp_analysis.io.limits import DEFAULT_LIMITS, check_input_file, parse_limits
from msp_analysis.io.processed import read_column_mapping, write_clean_outputs
from msp_analysis.io.tables import read_table
from msp_analysis.io.workbook.assurance import KINDS as ASSURANCE_KINDS
from msp_analysis.io.workbook.assurance import read_assurance_frame, write_assurance_template
from msp_analysis.io.workbook.feedback import validate_assurance_returns, validate_returns
from msp_analysis.io.workbook.returns import is_template_return, read_returns_frame
from msp_analysis.io.workbook.template import write_template
from msp_analysis.reference import geography
from msp_analysis.reporting.registry import REPORTS
from msp_analysis.toolkit.errors import MspError, ParameterError, UnusableInputError
from msp_analysis.toolkit.files import OutputLock, neutralise_formulas, write_text
from msp_analysis.toolkit.memory import use_system_allocator
from msp_analysis.toolkit.paths import resolve_path
from msp_analysis.toolkit.startup import skip_unused_imports
from msp_analysis.workflows.simulated import write_simulation

KEY_PACKAGES = ("pandas", "numpy", "statsmodels", "scikit-learn", "papermill", "nbconvert")
RENDERING_COMMANDS = ("report", "reports", "reports-demo", "pack")
LOCKED_COMMANDS = ("clean", "simulate", "pack", "report", "reports", "reports-demo")  # one writer per --out folder
SIMULATE_SCALE = (0.001, 10.0)  # 10 gives about 1,000,000 enquiries; more does not fit a laptop's memory
POWER_RANGES = {"councils": (2, 10_000), "enquiries_per_council": (1, 1_000_000)}
POWER_SIMULATED_ENQUIRIES = 1_000_000  # councils x enquiries per council that --simulate may draw per replication
MAIN_EXAMPLES = """examples:
  msp-analysis simulate --out data/raw/demo --seed 1              synthetic data with known true effects
  msp-analysis clean evaluation export.csv --out data/processed/x  clean a council's enquiry export
  msp-analysis report locality --param locality="County Durham" --param data_dir=data/processed/x --out reports/x

Relative paths are read from the project root (the folder holding .msp-project), wherever the
command runs; absolute paths are used as given.
Run `msp-analysis COMMAND --help` for what a command does and an example."""
# what each command does for its user (the first line of its --help) and one example
COMMAND_HELP = {
    "councils": "List the councils with adult social services responsibilities in a financial year, as CSV.",
    "simulate": "Write synthetic raw data (enquiries and temperature-check returns) with known true effects.",
    "clean": "Clean raw files into DIR/KIND.parquet, with every rejected row and its reason in KIND.rejects.csv "
             "and a manifest of inputs and row counts.",
    "validate": "Check raw files without writing anything: every problem, with a hint; exit 1 if a row would be rejected.",
    "template": "Write the Excel return template a region sends its councils for a temperature check, or an "
                "assurance workbook for commissioners or providers (template assurance --kind commissioner|provider).",
    "pack": "Validate, merge, clean, score and report a region's filled temperature-check returns, in one folder.",
    "reports-demo": "Render the demo's report set: every council, every region's temperature check, England.",
    "msp-rates": "Print the published MSP percentages (asked, expressed, achieved) per geography and year of a clean SAC file.",
    "model outcome": "Fit an outcome model: MSP outcomes achieved against council culture indicators, as JSON.",
    "model la-panel": "Fit an ASCOF outcome against a council measure across councils and years, as JSON.",
    "power": "Power of a planned temperature check to detect a culture effect, as JSON.",
    "data-dictionary": "Write the data dictionary generated from the schemas of every dataset kind.",
    "report": "Render one report (a notebook with parameters) as self-contained HTML.",
    "reports": "Render one report per council or region of a scope, in warm kernels, skipping unchanged ones.",
}
COMMAND_EXAMPLES = {
    "councils": "msp-analysis councils --year 2023-24 --region \"North East\"",
    "simulate": "msp-analysis simulate --out data/raw/demo --seed 20261127",
    "clean": "msp-analysis clean evaluation data/raw/my_council/*.csv --out data/processed/my_study",
    "validate": "msp-analysis validate temperature_check returns/*.xlsx --feedback feedback/",
    "template": "msp-analysis template temperature-check --region \"North East\" --wave 2024-25 --out ne.xlsx\n  "
                "msp-analysis template assurance --kind provider --region \"North East\" --wave 2024-25 --out prov.xlsx",
    "pack": "msp-analysis pack --region \"North East\" --wave 2024-25 returns/*.xlsx --out pack/",
    "reports-demo": "msp-analysis reports-demo --year 2023-24 --data-dir data/processed/demo --out reports/demo",
    "msp-rates": "msp-analysis msp-rates data/processed/sac/sac.parquet --format csv",
    "model outcome": "msp-analysis model outcome --evaluation data/processed/demo/evaluation.parquet "
                     "--temperature-check data/processed/demo/temperature_check.parquet --method gee",
    "model la-panel": "msp-analysis model la-panel --outcome 4A --indicator turnover --real-data DIR",
    "power": "msp-analysis power --councils 12 --enquiries-per-council 300 --icc 0.02 --odds-ratio 1.3",
    "data-dictionary": "msp-analysis data-dictionary --out docs/data_dictionary.md",
    "report": "msp-analysis report locality --param locality=E06000047 --param year=2023-24 "
              "--param data_dir=data/processed/demo --out reports/durham",
    "reports": "msp-analysis reports locality --region \"North West\" --param year=2023-24 "
               "--param data_dir=data/processed/demo --out reports/north-west",
}


def _path(value: str) -> str:
    """A path argument as the commands use it: absolute, a relative one read from the project root (empty kept)."""
    return str(resolve_path(value)) if value else value


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--param {pair!r} is not KEY=VALUE")
        params[key.strip()] = value
    return params


def cmd_councils(args: argparse.Namespace) -> int:
    sys.stdout.write(geography.councils_csv(args.year, args.region))
    return 0


def _in_range(option: str, value: float, low: float, high: float) -> None:
    """A number option inside its allowed range, or a ParameterError that states the range."""
    if not (math.isfinite(value) and low <= value <= high):
        raise ParameterError(f"{option} {value:g} is outside the allowed range {low:g} to {high:,g}")


def cmd_simulate(args: argparse.Namespace) -> int:
    _in_range("--scale", args.scale, *SIMULATE_SCALE)
    written = write_simulation(args.out, seed=args.seed, scale=args.scale, scenario_name=args.scenario)
    enquiries, returns = written.rows
    print(f"wrote {enquiries:,} enquiries, {returns:,} returns and the councils' covariates to {written.folder} "
          f"(scenario {args.scenario})")
    return 0


def _clean_inputs(args: argparse.Namespace):
    """Read every input, apply a column mapping, clean as the kind and check the result against its schema."""
    mapping = read_column_mapping(args.columns) if args.columns else {}
    limits = parse_limits(getattr(args, "limit", None))
    out = Path(args.out).resolve() if getattr(args, "out", None) else None
    for path in args.inputs:
        check_input_file(path, limits)  # a folder, pipe, device or missing file is named before any is read
        written = {out / f"{args.kind}.{suffix}" for suffix in ("parquet", "rejects.csv", "manifest.json")} if out else ()
        if Path(path).resolve() in written:
            raise UnusableInputError(f"{path}: is an output of this command in the --out folder {args.out}; "
                                     "give the raw files, not the processed ones")
    if args.kind == "temperature_check" and all(map(is_template_return, args.inputs)):  # filled return templates
        return clean_and_validate(args.kind, read_returns_frame(args.inputs), source=str(args.inputs[0]))
    if args.kind == "assurance" and all(str(p).lower().endswith(".xlsx") for p in args.inputs):
        # workbooks: every file gives rows, an unreadable or hostile one a single rejected row naming why
        return clean_and_validate(args.kind, read_assurance_frame(args.inputs), source=str(args.inputs[0]))
    frames = []
    for path in args.inputs:
        _say(args, f"reading {path}")
        frames.append(apply_column_mapping(read_table(path, limits=limits), mapping, source=str(path)))
        _say(args, f"{path}: {len(frames[-1]):,} rows")
    _say(args, f"cleaning {sum(map(len, frames)):,} rows as {args.kind} and checking them against its schema")
    options = {"year": args.year} if getattr(args, "year", None) else {}
    return clean_and_validate(args.kind, pd.concat(frames, ignore_index=True), source=str(args.inputs[0]), **options)


def cmd_clean(args: argparse.Namespace) -> int:
    result = _clean_inputs(args)
    manifest = write_clean_outputs(args.kind, result, args.inputs, args.out)
    print(f"{args.kind}: {manifest['rows_in']:,} rows in, {manifest['rows_clean']:,} clean, "
          f"{manifest['rows_rejected']:,} rejected (see {Path(args.out) / (args.kind + '.rejects.csv')})")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    if args.kind == "temperature_check" and (args.feedback or all(map(is_template_return, args.inputs))):
        summary = validate_returns(args.inputs, feedback_dir=args.feedback)
        sys.stdout.write(summary.text())
        return 0 if summary.all_complete else 1
    if args.kind == "assurance" and (args.feedback or all(str(p).lower().endswith(".xlsx") for p in args.inputs)):
        assurance_summary = validate_assurance_returns(args.inputs, feedback_dir=args.feedback)
        sys.stdout.write(assurance_summary.text())
        return 0 if assurance_summary.all_complete else 1

    result = _clean_inputs(args)
    problems = result.rejects.copy()
    split = problems["reason"].str.split("; ", n=1, expand=True).reindex(columns=[0, 1])
    problems["reason"], problems["hint"] = split[0], split[1].fillna("")
    neutralise_formulas(problems).to_csv(sys.stdout, index=False, lineterminator="\n")
    print(f"{result.rows_in:,} rows checked, {result.rows_rejected:,} would be rejected", file=sys.stderr)
    return 1 if result.rows_rejected else 0


def _read_clean_file(path: str | Path, kind: str) -> pd.DataFrame:
    """A processed KIND.parquet, or one line saying what the file is instead (another kind, not parquet)."""
    path = Path(path)
    make = f"make it with `msp-analysis clean {kind} FILE --out DIR`"
    if not path.is_file():
        check_input_file(path)  # names a folder, pipe or device
        raise UnusableInputError(f"{path}: no such file; {make}")
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow's errors for a file that is not parquet
        raise UnusableInputError(f"{path}: not a parquet file ({type(error).__name__}); {make}") from None
    wanted = set(KINDS[kind].schema.columns)
    if not wanted <= set(frame.columns):
        other = next((name for name, spec in KINDS.items() if set(spec.schema.columns) <= set(frame.columns)), None)
        what = f"a clean {other} file" if other else "not a clean file of any kind this package writes"
        raise UnusableInputError(f"{path}: this is {what}, not a clean {kind} file; {make}")
    return frame


def cmd_msp_rates(args: argparse.Namespace) -> int:
    sys.stdout.write(msp_rates_csv(_read_clean_file(args.clean_sac, "sac")))
    return 0


def cmd_power(args: argparse.Namespace) -> int:
    # lazy: scipy.optimize and scipy.special cost about 0.7 s to import, and only this command needs them
    from msp_analysis.analysis.power import power_json

    if args.region:
        from msp_analysis.analysis.power import region_power

        if args.respondents_per_council is None or args.odds_ratio is None:
            raise ParameterError("--region needs --respondents-per-council and --odds-ratio")
        _in_range("--odds-ratio", args.odds_ratio, 0.01, 100.0)
        result = region_power(args.region, args.respondents_per_council, args.odds_ratio,
                              replications=args.replications, seed=args.seed)
        print(json.dumps(result, indent=2))
        return 0
    missing = [flag for flag, value in (("--councils", args.councils), ("--enquiries-per-council",
               args.enquiries_per_council), ("--icc", args.icc), ("--odds-ratio", args.odds_ratio)) if value is None]
    if missing:
        raise ParameterError(f"give {', '.join(missing)} (or --region with --respondents-per-council)")
    for option, value in (("councils", args.councils), ("enquiries_per_council", args.enquiries_per_council)):
        _in_range("--" + option.replace("_", "-"), value, *POWER_RANGES[option])
    _in_range("--icc", args.icc, 0.0, 0.99)
    _in_range("--odds-ratio", args.odds_ratio, 0.01, 100.0)
    if args.simulate and args.councils * args.enquiries_per_council > POWER_SIMULATED_ENQUIRIES:
        raise ParameterError(f"--simulate draws --councils x --enquiries-per-council enquiries per replication; "
                             f"{args.councils * args.enquiries_per_council:,} is more than the allowed "
                             f"{POWER_SIMULATED_ENQUIRIES:,} (the design-effect answer needs no simulation)")
    result = power_json(args.councils, args.enquiries_per_council, args.icc, args.odds_ratio, simulate=args.simulate)
    print(json.dumps(result, indent=2))
    return 0


def cmd_model_outcome(args: argparse.Namespace) -> int:
    frames = [_read_clean_file(args.evaluation, "evaluation"),
              _read_clean_file(args.temperature_check, "temperature_check")]
    covariates = read_council_covariates(args.council_covariates) if args.council_covariates else None
    adjust = [name.strip() for name in (args.adjust or "").split(",") if name.strip()]
    result = model_outcome(*frames, method=args.method, outcome=args.outcome, lag=args.lag, adjust=adjust,
                           council_covariates=covariates, within_between=args.within_between)
    print(json.dumps(result.to_json_dict(), indent=2))
    return 0


def cmd_model_la_panel(args: argparse.Namespace) -> int:
    result = model_la_panel(load_real_la_measures(args.real_data), outcome=args.outcome, indicator=args.indicator,
                            council_effects=args.council_effects)
    print(json.dumps(result.to_json_dict(), indent=2))
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    if args.kind == "assurance":
        if not args.assurance_kind:
            raise ParameterError("template assurance needs --kind commissioner or --kind provider")
        path = write_assurance_template(args.assurance_kind, args.region, args.wave, args.out)
        print(f"wrote {path}: send it to the {args.assurance_kind}s of {args.region}'s councils for {args.wave}")
        return 0
    if args.assurance_kind:
        raise ParameterError("--kind is for template assurance (commissioner or provider)")
    path = write_template(args.region, args.wave, args.out, respondents=args.respondents, scale=args.scale)
    print(f"wrote {path}: send it to every council of {args.region} for {args.wave}")
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    # lazy: the pack renders its report, and the Jupyter stack costs about 1.5 s to import
    from msp_analysis.workflows.pack import pack

    result = pack(args.region, args.wave, args.returns, args.out, render=not args.no_report, quiet=args.quiet)
    sys.stdout.write(result.text())
    return 1 if result.report_failed or result.clean is None else 0


def cmd_data_dictionary(args: argparse.Namespace) -> int:
    write_text(args.out, data_dictionary())
    print(f"wrote {args.out}")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    _say(args, f"fetching the published {args.kind} file of {args.year} into {args.out}")
    done = fetch(args.kind, args.year, args.out, url=args.url, force=args.force)
    record = done.record
    what = {"downloaded": "downloaded", "unchanged": "unchanged (same sha256)", "replaced": "replaced"}[done.status]
    print(f"{args.kind} {record['year']}: {what} {done.path} ({record['size']:,} bytes, sha256 "
                f"{record['sha256']}) from {record['url']}; recorded in {Path(args.out) / SOURCES_FILE}")
    _say(args, f"next: msp-analysis clean {args.kind} {done.path} --out DIR (docs/data_sources.md: what it holds)")
    return 0


def _executor(args: argparse.Namespace):
    """A Dask cluster's executor when --scheduler is given, else None (local warm kernels)."""
    if not getattr(args, "scheduler", None):
        return None
    # lazy: dask.distributed costs about 1 s to import and only --scheduler needs it
    from dask.distributed import Client

    return Client(args.scheduler, timeout="20s").get_executor()


def cmd_report(args: argparse.Namespace) -> int:
    # lazy: the Jupyter stack (nbformat, papermill, nbconvert) costs about 1.5 s to import
    from msp_analysis.reporting.render.batch import render_reports, validate_parameters

    params = validate_parameters(args.notebook, _parse_params(args.param))
    return _finish(render_reports(args.notebook, [params], args.out, jobs=1, force=args.force,
                                  allow_weak_policy=args.allow_weak_policy, **_noise(args), **_page_options(args)), args)


def cmd_reports(args: argparse.Namespace) -> int:
    # lazy: the Jupyter stack (nbformat, papermill, nbconvert) costs about 1.5 s to import
    from msp_analysis.reporting.render.batch import region_parameters, render_reports

    raw = _parse_params(args.param)
    params_list = region_parameters(args.notebook, None if args.all else args.region, raw)
    outcomes = render_reports(args.notebook, params_list, args.out, jobs=args.jobs, executor=_executor(args),
                              force=args.force, allow_weak_policy=args.allow_weak_policy, **_noise(args),
                              **_page_options(args))
    return _finish(outcomes, args)


def _page_options(args: argparse.Namespace) -> dict:
    """--pdf, --tables and the publisher's details (--publisher FILE, --publisher-name, --contact, --logo)."""
    from msp_analysis.reporting.render.page import load_publisher

    publisher = load_publisher(args.publisher, args.publisher_name or "", args.contact or "", args.logo or "")
    return {"publisher": publisher if publisher.given else None, "pdf": args.pdf, "tables_dir": args.tables}


def cmd_reports_demo(args: argparse.Namespace) -> int:
    # lazy: the Jupyter stack (nbformat, papermill, nbconvert) costs about 1.5 s to import
    from msp_analysis.workflows.demo import render_demo

    return _finish(render_demo(args.year, args.data_dir, args.out, args.real_data_dir or None,
                               jobs=args.jobs, force=args.force, **_noise(args), **_page_options(args)), args)


def _noise(args: argparse.Namespace) -> dict:
    """How a rendering command shows its progress: --quiet, --verbose, --progress / --no-progress."""
    return {"quiet": args.quiet, "verbose": args.verbose, "progress": args.progress}


def _finish(outcomes: list, args: argparse.Namespace) -> int:
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in failed:
        kept = f" (executed notebook kept at {outcome.notebook_path})" if outcome.notebook_path else ""
        print(f"FAILED {outcome.name}: {_one_line(outcome.error)}{kept}", file=sys.stderr)
    cached = sum(o.status == "cached" for o in outcomes)
    print(f"{len(outcomes) - len(failed)} of {len(outcomes)} reports ready ({cached} unchanged); "
                f"index: {Path(args.out) / 'index.html'}")
    return 1 if failed else 0


def _add_page_options(p: argparse.ArgumentParser) -> None:
    """--pdf, --tables and the publisher's details, read by :func:`_page_options` (report, reports, reports-demo)."""
    p.add_argument("--pdf", action="store_true", help="also write a PDF (A4) beside each HTML, printed by headless Chromium")
    p.add_argument("--tables", metavar="DIR", type=_path, help="also write every table as a CSV file under DIR")
    p.add_argument("--publisher", metavar="FILE", type=_path,
                   help='settings file (JSON: {"name": ..., "contact": ..., "logo": "logo.png"}) for every page')
    p.add_argument("--publisher-name", metavar="NAME", help="who publishes the reports (printed on every page)")
    p.add_argument("--contact", metavar="TEXT", help="whom to contact (printed on every page)")
    p.add_argument("--logo", metavar="FILE", type=_path, help="a PNG, JPEG or SVG logo embedded in every page")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="msp-analysis", description=__doc__.splitlines()[0],
                                     epilog=MAIN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version_text())
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("councils", help="list councils with adult social services responsibilities in a year")
    p.add_argument("--year", required=True, help="financial year, e.g. 2023-24")
    p.add_argument("--region", help="ADASS region name or E12 code")
    p.add_argument("--format", choices=["csv"], default="csv")
    p.set_defaults(func=cmd_councils)

    p = sub.add_parser("simulate", help="write synthetic raw data with known true effects")
    p.add_argument("--out", required=True, type=_path)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--scale", type=float, default=1.0,
                   help=f"1.0 gives England's volumes, about 99,000 concluded enquiries a year (from "
                   f"{SIMULATE_SCALE[0]:g} to {SIMULATE_SCALE[1]:g})")
    p.add_argument("--scenario", choices=list(SCENARIOS), default=DEFAULT_SCENARIO,
                   help="how the data are made (truth.json says what a correct analysis should estimate): "
                   + "; ".join(f"{name}: {spec.description}" for name, spec in SCENARIOS.items()))
    p.set_defaults(func=cmd_simulate)

    for name, func, help_text in (
        ("clean", cmd_clean, "clean raw files into DIR/KIND.parquet with rejects and a manifest"),
        ("validate", cmd_validate, "print every problem in raw files; exit 1 if any row would be rejected"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("kind", choices=list(KINDS))
        p.add_argument("inputs", nargs="+", type=_path)
        p.add_argument("--columns", metavar="MAPPING.yaml", type=_path, help="rename your export's columns: 'theirs: ours'")
        p.add_argument("--year", help="financial year of a SAC file that does not say it (e.g. 2023-24)")
        p.add_argument("--limit", action="append", metavar="NAME=VALUE",
                       help="raise a bound on the work one input may cost (repeatable); names and defaults: "
                            + ", ".join(f"{k}={v:g}" for k, v in vars(DEFAULT_LIMITS).items() if k != "hint")
                            + " (sizes in MB; docs/data.md)")
        if name == "clean":
            p.add_argument("--out", required=True, type=_path)
        else:
            p.add_argument("--feedback", metavar="DIR", type=_path,
                           help="temperature_check or assurance returns: write a feedback workbook per return here")
        p.set_defaults(func=func)

    p = sub.add_parser("template", help="write the Excel return template a region sends its councils")
    p.add_argument("kind", choices=["temperature-check", "assurance"])
    p.add_argument("--kind", dest="assurance_kind", choices=list(ASSURANCE_KINDS),
                   help="assurance: commissioner (Table 1's evidence) or provider (Appendix 5 and Appendix 3)")
    p.add_argument("--region", required=True, help="ADASS region name or E12 code")
    p.add_argument("--wave", required=True, help="financial year of the check, e.g. 2024-25")
    p.add_argument("--out", required=True, metavar="FILE.xlsx", type=_path)
    p.add_argument("--respondents", type=int, default=10, help="person columns in the return (default 10)")
    p.add_argument("--scale", choices=["likert", "rag"], default="likert")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("pack", help="validate, merge, clean, score and report a region's temperature-check returns")
    p.add_argument("returns", nargs="+", metavar="RETURN.xlsx", type=_path)
    p.add_argument("--region", required=True)
    p.add_argument("--wave", required=True)
    p.add_argument("--out", required=True, metavar="DIR", type=_path)
    p.add_argument("--no-report", action="store_true", help="clean and score only")
    p.set_defaults(func=cmd_pack)

    p = sub.add_parser("reports-demo", help="render the demo report set: every council, every region, England")
    p.add_argument("--year", default="2023-24")
    p.add_argument("--data-dir", default="data/processed/demo", type=_path)
    p.add_argument("--out", default="reports/demo", type=_path)
    p.add_argument("--real-data-dir", default="", type=_path, help="add the real ASCOF x turnover panel to the evaluation")
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--force", action="store_true")
    _add_page_options(p)
    p.set_defaults(func=cmd_reports_demo)

    p = sub.add_parser("msp-rates", help="published MSP percentages per geography and year from a clean SAC file")
    p.add_argument("clean_sac", metavar="CLEAN_SAC_PARQUET", type=_path)
    p.add_argument("--format", choices=["csv"], default="csv")
    p.set_defaults(func=cmd_msp_rates)

    model = sub.add_parser("model", help="fit outcome models").add_subparsers(dest="model", required=True)
    p = model.add_parser("outcome", help="outcome achievement against council culture indicators")
    p.add_argument("--evaluation", required=True, metavar="CLEAN_EVAL_PARQUET", type=_path)
    p.add_argument("--temperature-check", required=True, metavar="CLEAN_TC_PARQUET", type=_path)
    p.add_argument("--method", choices=[name for name, spec in METHODS.items() if spec.outcome in ("binary", "ordinal")],
                   default=None, help=f"default: gee with fewer than {FEW_CLUSTERS} councils, else glm_cluster")
    p.add_argument("--outcome", default="fully_achieved", choices=list(BINARY_OUTCOMES))
    p.add_argument("--council-covariates", metavar="FILE",
                   help="CSV or parquet of ons_code,financial_year,<covariate>... (simulate writes council_covariates.csv)")
    p.add_argument("--adjust", metavar="NAME,...",
                   help="adjust for these columns of the evaluation data (age, lacked_capacity, risk_types, "
                   "risk_location, primary_support_reason ...) or of the council covariates; year effects always")
    p.add_argument("--within-between", action="store_true",
                   help="split each indicator into its council mean over waves and the wave's deviation from it")
    p.add_argument("--lag", type=int, default=0, metavar="N", help="use culture measured N years before the outcomes")
    p.add_argument("--format", choices=["json"], default="json")
    p.set_defaults(func=cmd_model_outcome)
    p = model.add_parser("la-panel", help="ASCOF outcome on a council measure, year fixed effects")
    p.add_argument("--outcome", default="4A")
    p.add_argument("--indicator", default="turnover")
    p.add_argument("--real-data", required=True, metavar="DIR", type=_path, help="folder of the public files listed in docs/data.md")
    p.add_argument("--council-effects", action="store_true",
                   help="add council fixed effects: the slope within councils over years, not between councils")
    p.add_argument("--format", choices=["json"], default="json")
    p.set_defaults(func=cmd_model_la_panel)

    p = sub.add_parser("power", help="power of a planned temperature check to detect a culture effect")
    p.add_argument("--councils", type=int)
    p.add_argument("--enquiries-per-council", type=int)
    p.add_argument("--icc", type=float, help="intra-council correlation (latent logit scale)")
    p.add_argument("--odds-ratio", type=float, help="odds ratio per SD of the culture indicator")
    p.add_argument("--simulate", action="store_true", help="also estimate power by simulation")
    p.add_argument("--region", help="simulate the design analysed for this ADASS region (its councils, sizes, "
                   "three waves, three indicators scored from the respondents) with the simulator")
    p.add_argument("--respondents-per-council", type=int, help="with --region: respondents per council and wave")
    p.add_argument("--replications", type=int, default=100, help="with --region: simulated datasets")
    p.add_argument("--seed", type=int, default=1, help="with --region: seed of the first dataset")
    p.add_argument("--format", choices=["json"], default="json")
    p.set_defaults(func=cmd_power)

    p = sub.add_parser("data-dictionary", help="write the data dictionary generated from the schemas")
    p.add_argument("--out", default="docs/data_dictionary.md", type=_path)
    p.set_defaults(func=cmd_data_dictionary)

    p = sub.add_parser(
        "fetch", help="download a published national file and record where it came from",
        description="Download a published national file (such as a year's Safeguarding Adults Collection tables)\n"
                    "into a folder, and record its address, when it was fetched, its size and sha256 in\n"
                    "DIR/SOURCES.json; `clean` copies that record into its manifest and every report built\n"
                    "from it names the publisher's file. The addresses known are in sources.csv of\n"
                    "msp_analysis/reference/codebook; where every dataset is published: docs/data_sources.md.",
        epilog="example:\n  msp-analysis fetch sac --year 2021-22 --out data/raw/sac",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=list(KINDS))
    p.add_argument("--year", required=True, help="financial year of the publication, e.g. 2021-22")
    p.add_argument("--out", required=True, metavar="DIR", type=_path, help="folder for the file and its SOURCES.json")
    p.add_argument("--url", help="the file's address when sources.csv does not know it (from its publication page)")
    p.add_argument("--force", action="store_true", help="replace a file already there whose sha256 differs")
    p.set_defaults(func=cmd_fetch)

    for name, func, help_text in (("report", cmd_report, "render one report"),
                                  ("reports", cmd_reports, "render a report for every council or region of a scope")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("notebook", choices=list(REPORTS), help="notebook name, e.g. locality")
        p.add_argument("--param", action="append", metavar="KEY=VALUE", help="notebook parameter (repeatable)")
        p.add_argument("--out", required=True, type=_path)
        p.add_argument("--force", action="store_true", help="render even when nothing changed")
        p.add_argument("--allow-weak-policy", action="store_true",
                       help="render under a disclosure policy weaker than the publisher's (threshold under 5); "
                            "every page then says so at the top")
        _add_page_options(p)
        if name == "reports":
            scope = p.add_mutually_exclusive_group(required=True)
            scope.add_argument("--all", action="store_true",
                               help="all of England: every council (locality), every region (temperature_check), "
                                    "England and every region (evaluation)")
            scope.add_argument("--region", help="one ADASS region: its councils (locality) or the region itself")
            p.add_argument("--jobs", type=int, default=None, help="warm kernels in parallel (default: cores)")
            p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed cluster")
        p.set_defaults(func=func)
    _finish_commands(parser)
    return parser


def _version_text() -> str:
    """``msp-analysis 0.1.0 (pandas 3.1.1, statsmodels 0.15.0, papermill 2.7.0)``: the versions numbers depend on."""
    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return f"msp-analysis {__version__} (" + ", ".join(f"{name} {installed(name)}" for name in KEY_PACKAGES) + ")"


def _leaf_commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every runnable command (``clean``, ``model outcome`` …) with its parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _leaf_commands(child, (*path, name))
            return
    yield " ".join(path), parser


def _finish_commands(parser: argparse.ArgumentParser) -> None:
    """Give every command the same --verbose / --quiet, a help text that says what it is for, and an example."""
    for name, command in _leaf_commands(parser):
        noise = command.add_mutually_exclusive_group()
        noise.add_argument("-v", "--verbose", action="store_true", help="say each step as it happens (on stderr)")
        noise.add_argument("-q", "--quiet", action="store_true", help="no progress or step messages: results and errors only")
        if name in RENDERING_COMMANDS:
            command.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                                 help="progress bar (default: only when the output is a terminal; else plain lines)")
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        command.description = COMMAND_HELP.get(name, command.description)
        if name in COMMAND_EXAMPLES:
            command.epilog = "example:\n  " + COMMAND_EXAMPLES[name]


def _say(args: argparse.Namespace, text: str) -> None:
    """A step, on stderr, when --verbose."""
    if getattr(args, "verbose", False):
        print(f"msp-analysis: {text}", file=sys.stderr, flush=True)



def _log_bug(error: BaseException) -> Path | None:
    """Write the traceback of an unexpected error to a log file; its path, or None if even that fails."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = Path(tempfile.gettempdir()) / f"msp-analysis-error-{stamp}-{os.getpid()}.log"
    try:
        path.write_text(f"msp-analysis {__version__}\n{' '.join(sys.argv)}\n\n"
                        + "".join(traceback.format_exception(error)), encoding="utf-8")
    except OSError:
        return None
    return path


def _one_line(text: object) -> str:
    """A message on one line: line breaks inside it become spaces."""
    return re.sub(r"\s*[\r\n]+\s*", " ", str(text)).strip()


def _run(args: argparse.Namespace) -> int:
    """The command, holding its --out folder's lock when it writes one (one writer per folder)."""
    if args.command in LOCKED_COMMANDS and getattr(args, "out", None):
        with OutputLock(args.out, args.command, say=lambda text: print(f"msp-analysis: {text}", file=sys.stderr)):
            return args.func(args)
    return args.func(args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    use_system_allocator()  # the allocator Arrow's frames come from (toolkit.memory says why)
    skip_unused_imports()  # a grammar nothing here uses, 2.7 s of CPU (toolkit.startup says why)
    try:
        return _run(args)
    except MspError as error:  # the user can put it right: one line, no traceback
        print(f"msp-analysis: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("msp-analysis: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # anything else is a bug in the package, not the user's input
        log = _log_bug(error)
        where = f"the traceback is in {log}" if log else "".join(traceback.format_exception(error))
        print(f"msp-analysis: internal error ({type(error).__name__}: {_one_line(error)}). This is a bug in msp-analysis, "
              f"not a problem with your input; please report it with the command you ran; {where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
