"""MGPS on openEBGM's caers data: hyperparameters and the vignette's top pairs by EB05."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

from psoreg.signals.analysis import run_report_table
from psoreg.signals.mgps import (
    Hyper,
    fit_hyperparameters,
    negative_log_likelihood,
    posterior,
    squash,
)

CAERS = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "pharmacovigilance" / "caers.csv.gz"
)
pytestmark = pytest.mark.skipif(not CAERS.exists(), reason="shared caers data not present")

#: openEBGM 0.9.1, autoHyper on the full data (pharmacovigilance README)
OPENEBGM_THETA = (3.25596685, 0.39998994, 2.02376139, 1.90614108, 0.06530755)
#: the vignette's θ (fit on squashed data) and its top pairs by QUANT_05 (README table)
VIGNETTE_THETA = Hyper(3.25379356, 0.39988854, 2.02612692, 1.90807970, 0.06534557)
TOP5 = [
    ("REUMOFAN PLUS", "WEIGHT INCREASED", 16, 0.40643623, 15.68, 23.26, 33.48),
    ("HYDROXYCUT REGULAR RAPID RELEASE CAPLETS", "EMOTIONAL DISTRESS", 19, 0.89690107, 11.65, 16.78, 23.55),
    ("REUMOFAN PLUS", "IMMOBILE", 6, 0.07866508, 10.16, 18.28, 30.83),
    ("HYDROXYCUT HARDCORE CAPSULES", "CARDIO-RESPIRATORY DISTRESS", 8, 0.30482718, 9.00, 15.25, 24.52),
    ("HYDROXYCUT REGULAR RAPID RELEASE CAPLETS", "INJURY", 11, 0.56317044, 8.98, 14.28, 21.78),
]  # fmt: skip


@pytest.fixture(scope="module")
def caers():
    return run_report_table(CAERS)


def test_caers_counts(caers):
    t = caers.table
    assert len(t) == 17_189  # product–event pairs with N >= 1 (README)
    assert caers.population == 3_356
    assert (t.a >= 1).all()


def test_hyperparameters_within_half_percent_of_openebgm(caers):
    got = caers.hyper.theta
    for name, ours, ref in zip(
        ("alpha1", "beta1", "alpha2", "beta2", "P"), got, OPENEBGM_THETA, strict=True
    ):
        assert abs(ours - ref) / ref < 0.005, (name, ours, ref)
    assert caers.hyper.truncate == 1 and not caers.hyper.squashed


def test_top5_by_eb05_with_vignette_theta(caers):
    t = caers.table
    post = posterior(t.a.to_numpy(float), t.expected.to_numpy(float), VIGNETTE_THETA)
    order = np.argsort(-post.eb05)[:5]
    for i, (drug, event, n, e, eb05, ebgm, eb95) in zip(order, TOP5, strict=True):
        assert (t.drug.iloc[i], t.event.iloc[i]) == (drug, event)
        assert t.a.iloc[i] == n
        assert t.expected.iloc[i] == pytest.approx(e, abs=5e-9)
        # openEBGM bisects each quantile to 2 decimals: agreement to 2 decimals = within 0.01
        assert abs(post.eb05[i] - eb05) <= 0.01, (drug, event, post.eb05[i], eb05)
        assert abs(post.ebgm[i] - ebgm) <= 0.01, (drug, event, post.ebgm[i], ebgm)
        assert abs(post.eb95[i] - eb95) <= 0.01, (drug, event, post.eb95[i], eb95)


def test_posterior_quantiles_against_root_finding():
    n = np.array([0, 1, 3, 8, 40])
    e = np.array([0.2, 0.05, 2.5, 0.3, 10.0])
    post = posterior(n, e, VIGNETTE_THETA)
    a1, b1, a2, b2, _ = VIGNETTE_THETA.theta
    for k in range(n.size):
        q = post.q[k]

        def cdf(x, k=k, q=q):
            return q * stats.gamma.cdf(x, a1 + n[k], scale=1 / (b1 + e[k])) + (
                1 - q
            ) * stats.gamma.cdf(x, a2 + n[k], scale=1 / (b2 + e[k]))

        assert post.eb05[k] == pytest.approx(
            optimize.brentq(lambda x: cdf(x) - 0.05, 1e-9, 1e4), rel=1e-8
        )
        assert post.eb95[k] == pytest.approx(
            optimize.brentq(lambda x: cdf(x) - 0.95, 1e-9, 1e4), rel=1e-8
        )
        assert post.eb05[k] < post.ebgm[k] < post.eb95[k]


def test_fit_recovers_a_known_prior_and_squashing_agrees():
    rng = np.random.default_rng(7)
    true = (2.0, 1.0, 8.0, 2.0, 0.2)
    size = 20_000
    comp = rng.random(size) < true[4]
    lam = np.where(
        comp, rng.gamma(true[0], 1 / true[1], size), rng.gamma(true[2], 1 / true[3], size)
    )
    e = rng.uniform(0.2, 3.0, size)
    n = rng.poisson(lam * e)
    keep = n >= 1
    exact = fit_hyperparameters(n[keep], e[keep], squash_above=None)
    squashed = fit_hyperparameters(n[keep], e[keep], squash_above=1000)
    assert squashed.squashed and not exact.squashed
    # maximum likelihood: no worse than the truth
    nll_fit = negative_log_likelihood(exact.theta, n[keep], e[keep])
    assert nll_fit <= negative_log_likelihood(true, n[keep], e[keep]) + 1e-6
    assert exact.neg_log_lik == pytest.approx(nll_fit)
    # squashing is an approximation: nearly the optimum likelihood, nearly the same EBGMs
    assert negative_log_likelihood(squashed.theta, n[keep], e[keep]) - nll_fit < 5
    ebgm_exact = posterior(n[keep], e[keep], exact).ebgm
    ebgm_squashed = posterior(n[keep], e[keep], squashed).ebgm
    rel = np.abs(ebgm_squashed / ebgm_exact - 1)
    assert np.median(rel) < 0.005 and np.max(rel) < 0.05
    # the squashed points carry every pair's weight
    sn, se, sw = squash(n[keep], e[keep], bin_size=50)
    assert sw.sum() == keep.sum() and len(sn) < keep.sum() / 5


def test_bad_input_refused():
    with pytest.raises(ValueError, match="N >= 1"):
        fit_hyperparameters(np.array([0, 1]), np.array([1.0, 1.0]))
    with pytest.raises(ValueError, match="positive"):
        fit_hyperparameters(np.array([1, 1]), np.array([0.0, 1.0]))
