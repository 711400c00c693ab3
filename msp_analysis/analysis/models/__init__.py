"""Outcome models: one module per method over one tidy result, and the registry of methods.

People are nested in councils, culture is measured per council, and a region has 10-35
councils, so every method accounts for clustering by council:

* ``glm_cluster`` — binomial logit, council-clustered bias-reduced (CR2, Bell-McCaffrey) sandwich
  standard errors under a council random-intercept working model, with per-term Satterthwaite
  degrees of freedom (CR1, the Stata/statsmodels ones, in the details: they were too small in the
  recovery study, see :mod:`.glm_cluster`);
* ``gee`` — exchangeable working correlation, bias-reduced (Mancl-DeRouen) standard errors; the
  default with fewer than ``FEW_CLUSTERS`` councils;
* ``ordinal`` — proportional-odds logit of not < partially < fully achieved, with a check of
  proportional odds against the cut-point binary logits;
* ``mixed`` — maximum-likelihood binomial logit with a council random intercept (adaptive
  Gauss-Hermite quadrature; council-robust sandwich standard errors, the observed-information ones
  beside them in ``std_error_model``, see :mod:`.mixed` for why): estimates conditional on the
  council, the latent-scale intra-council correlation and shrunken council estimates;
* ``ols_panel`` — continuous council measures with year fixed effects, council-clustered errors.

Intervals and p-values of the cluster-robust methods use a t distribution: ``glm_cluster`` and
``mixed`` with each term's Satterthwaite (Bell-McCaffrey) degrees of freedom under a council
random-intercept working model (at most councils - 1: fewer where a few large councils carry most
of a term's variance, see :mod:`.glm_cluster`), ``gee`` and ``ordinal`` with (councils - 1); it
matters when councils are few or very unequal in size.

A method is one module with a fit function (``fit(frame, outcome, terms, cluster, *, trials,
year, **options) -> MethodFit``) and one :class:`MethodSpec` in :data:`METHODS`; the entry point
(:mod:`.fit`), the caveats, the JSON and the CLI choices all read the spec. The pipelines behind
``msp-analysis model outcome`` and ``model la-panel`` are in :mod:`.fit`, the out-of-council
prediction check in :mod:`.prediction`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from msp_analysis.analysis.models.gee import fit_gee
from msp_analysis.analysis.models.glm_cluster import fit_glm_cluster
from msp_analysis.analysis.models.mixed import fit_mixed
from msp_analysis.analysis.models.ols_panel import fit_ols_panel
from msp_analysis.analysis.models.ordinal import fit_ordinal
from msp_analysis.analysis.models.result import MethodFit
from msp_analysis.reference.codebook import culture_terms

FEW_CLUSTERS = 40  # below this many councils, cluster-robust errors need small-sample care
CULTURE_TERMS: tuple[str, ...] = culture_terms()
BINARY_OUTCOMES = ("fully_achieved", "fully_or_partially_achieved")
ORDINAL_OUTCOME = "achieved_level"

OutcomeKind = Literal["binary", "ordinal", "continuous"]

CAVEAT_ECOLOGICAL = ("The predictors {terms} are measured per council, not per person: the estimates compare "
                     "councils (and years) and do not show what happens to any one person (ecological inference); "
                     "they are associations, not effects of changing a council's culture.")
CAVEAT_ECOLOGICAL_PANEL = ("Outcome and predictor are both council averages: the estimate compares councils and years "
                           "and does not show what happens to any one person (ecological inference); it is an "
                           "association, not an effect.")
CAVEAT_CONDITIONAL = ("Estimates are conditional on the council (a council's own log-odds, random intercept zero), "
                      "so slightly larger than the population-averaged ones of glm_cluster and gee. Standard errors "
                      "are council-robust (sandwich): council-years vary more than one council intercept allows.")
CAVEAT_DROPPED = "{rows} rows with a missing outcome, predictor or council were left out."


def _few_clusters_robust(extra: str = "") -> str:
    """The few-councils caveat of a cluster-robust method; ``{clusters}`` and ``{df}`` are filled per fit."""
    return (f"Only {{clusters}} councils (fewer than {FEW_CLUSTERS}): clustered standard errors are unreliable "
            f"with few councils; intervals use t with {{df}} degrees of freedom{extra}, and results near p = 0.05 "
            "should be read with caution.")


@dataclass(frozen=True)
class MethodSpec:
    """One model method: how to fit it, what it accepts, how to label and qualify its results.

    Parameters
    ----------
    name
        The method's name (``method=`` of the entry point, ``--method`` of the CLI).
    fit
        ``fit(frame, outcome, terms, cluster, *, trials, year, **options) -> MethodFit`` on a
        complete-case frame; called with one BLAS thread.
    outcome
        The kind of outcome it models: ``binary`` (0/1 rows or successes out of trials),
        ``ordinal`` (three or more ordered levels) or ``continuous``.
    label
        How reports name the method.
    options
        Extra keyword arguments the fit function takes (anything else is refused).
    counts
        Accepts successes out of ``trials`` as well as one row per person.
    posterior
        A Bayesian fit: posterior SDs and credible intervals, no p-values.
    caveat
        Said of every fit of this method.
    few_clusters_caveat
        Said with fewer than FEW_CLUSTERS councils (``{clusters}``, ``{df}`` filled per fit).
    ecological_caveat
        Said when a predictor is measured per council (``{terms}`` filled per fit).
    table_extra
        Columns the method adds to the tidy table after ``std_error`` (from ``MethodFit.extra_columns``).
    json_extra
        Table columns its JSON terms carry besides the standard ones.
    """

    name: str
    fit: Callable[..., MethodFit]
    outcome: OutcomeKind
    label: str
    options: frozenset[str] = frozenset()
    counts: bool = False
    posterior: bool = False
    caveat: str = ""
    few_clusters_caveat: str = _few_clusters_robust()
    ecological_caveat: str = CAVEAT_ECOLOGICAL
    table_extra: tuple[str, ...] = ()
    json_extra: tuple[str, ...] = ()

    @property
    def odds_ratios(self) -> bool:
        """A logit of a binary or ordinal outcome: its estimates are log odds ratios."""
        return self.outcome != "continuous"

    def caveats(self, council_terms: list[str], clusters: int, dropped: int) -> str:
        """The caveat of one fit: ecological inference, few councils, the method's own, rows left out.

        Parameters
        ----------
        council_terms
            Terms measured per council (empty: no ecological caveat).
        clusters
            Councils in the fit.
        dropped
            Rows left out for a missing value.
        """
        parts = []
        if council_terms:
            parts.append(self.ecological_caveat.format(terms=", ".join(council_terms)))
        if clusters < FEW_CLUSTERS:
            parts.append(self.few_clusters_caveat.format(clusters=clusters, df=max(clusters - 1, 1)))
        if self.caveat:
            parts.append(self.caveat)
        if dropped:
            parts.append(CAVEAT_DROPPED.format(rows=dropped))
        return " ".join(parts)


METHODS: dict[str, MethodSpec] = {spec.name: spec for spec in (
    MethodSpec("glm_cluster", fit_glm_cluster, "binary", "Logit, council-clustered errors", counts=True,
               few_clusters_caveat=(f"Only {{clusters}} councils (fewer than {FEW_CLUSTERS}): clustered standard "
                                    "errors are unreliable with few councils; intervals use t with each term's "
                                    "Satterthwaite degrees of freedom (at most {df}, details['df']), and results "
                                    "near p = 0.05 should be read with caution.")),
    MethodSpec("gee", fit_gee, "binary", "GEE, exchangeable", counts=True,
               few_clusters_caveat=_few_clusters_robust(" and the bias-reduced (Mancl-DeRouen) standard errors"),
               table_extra=("std_error_robust",), json_extra=("std_error_robust",)),
    MethodSpec("ordinal", fit_ordinal, "ordinal", "Ordinal (not < partly < fully)"),
    MethodSpec("mixed", fit_mixed, "binary", "Mixed model (random intercept)", options=frozenset({"quadrature_points"}),
               counts=True, caveat=CAVEAT_CONDITIONAL, table_extra=("std_error_model",),
               json_extra=("std_error_model",),
               few_clusters_caveat=(f"Only {{clusters}} councils (fewer than {FEW_CLUSTERS}): the council variance "
                                    "is poorly estimated; intervals use t with each term's Satterthwaite "
                                    "degrees of freedom (at most {df}, details['df']).")),
    MethodSpec("ols_panel", fit_ols_panel, "continuous", "Linear panel, year fixed effects",
               options=frozenset({"council_effects"}), ecological_caveat=CAVEAT_ECOLOGICAL_PANEL),
)}
