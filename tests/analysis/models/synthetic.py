"""Small synthetic frames with a known answer, shared by the model tests."""

import numpy as np
import pandas as pd

YEARS = ("2021-22", "2022-23")


def synthetic_enquiries(n_councils=60, per_council_year=60, effects=(0.4, -0.2), intercept=0.5, council_sd=0.3,
                        seed=0, record_level_x=False):
    """0/1 outcomes from a logit with two council × year predictors and a council random intercept."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_councils):
        u = rng.normal(0, council_sd)
        for year in YEARS:
            x1, x2 = rng.normal(size=2)
            n = per_council_year
            x = np.column_stack([np.full(n, x1), rng.normal(size=n) if record_level_x else np.full(n, x2)])
            logit = intercept + x @ np.array(effects) + u
            y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
            rows.append(pd.DataFrame({"ons_code": f"C{c:03d}", "financial_year": year, "x1": x[:, 0],
                                      "x2": x[:, 1], "y": y}))
    return pd.concat(rows, ignore_index=True)


def synthetic_ordinal(n_councils=50, per_council=100, beta=0.6, beta_low_cut=None, seed=2):
    """Three ordered levels (0 < 1 < 2) from one council-level predictor `x` (true slope `beta`).

    By default a latent logistic cut at -1.5 and -0.5, so odds are proportional. With
    `beta_low_cut` each cut has its own logit, log-odds(Y >= 1) = 2 + beta_low_cut * x and
    log-odds(Y = 2) = -0.5 + beta * x, which breaks proportional odds.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_councils):
        x, u = rng.normal(), rng.normal(0, 0.2)
        if beta_low_cut is None:
            latent = beta * x + u + rng.logistic(size=per_council)
            level = np.where(latent > -0.5, 2, np.where(latent > -1.5, 1, 0))
        else:
            draw = rng.random(per_council)
            top = 1 / (1 + np.exp(-(-0.5 + beta * x + u)))
            not_bottom = max(top, 1 / (1 + np.exp(-(2.0 + beta_low_cut * x + u))))
            level = np.where(draw < top, 2, np.where(draw < not_bottom, 1, 0))
        rows.append(pd.DataFrame({"ons_code": f"C{c:03d}", "financial_year": "2022-23", "x": x, "level": level}))
    return pd.concat(rows, ignore_index=True)
