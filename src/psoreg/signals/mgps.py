"""MGPS: DuMouchel's gamma–Poisson shrinker (Am Stat 1999;53:177), as openEBGM fits it.

Model: the count N of a pair is Poisson(λE), and λ follows the two-gamma mixture
P·Γ(α1, β1) + (1−P)·Γ(α2, β2) (shape, rate). The marginal of N is then a mixture of two negative
binomials. The hyperparameters θ = (α1, β1, α2, β2, P) are fitted by maximum likelihood over
the pairs, by default on the likelihood *truncated* at N ≥ 1 (zero cells are neither listed nor
counted), as openEBGM's ``autoHyper`` does; ``truncate=None`` fits the ordinary likelihood,
which is right when the zero cells are included (``all-cells`` option).

Posterior per pair: λ | N ~ Q·Γ(α1+N, β1+E) + (1−Q)·Γ(α2+N, β2+E), Q the posterior weight of
the first component. EBGM = exp(E[ln λ | N]); EB05/EB95 are the 5th/95th percentiles of the
posterior mixture, found here by a vectorised, bracketed Newton iteration to 1e-10 (openEBGM
bisects each pair in R). Signal rule: EB05 ≥ 2 (Szarfman et al., *Drug Saf* 2002;25:381).

Large tables are fitted on *squashed* data (DuMouchel & Pregibon 2001, openEBGM's
``squashData``): pairs with the same N are sorted by E and pooled in bins of ``bin_size``
consecutive points (mean E, weight = points), so the likelihood runs over thousands of points
instead of millions. The posterior is then computed for every pair exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import optimize, special
from threadpoolctl import threadpool_limits

__all__ = [
    "OPENEBGM_STARTS",
    "PARAM_LOWER",
    "PARAM_UPPER",
    "Hyper",
    "Posterior",
    "fit_hyperparameters",
    "negative_log_likelihood",
    "posterior",
    "squash",
]

#: The starting points of openEBGM's vignette for ``autoHyper``/``exploreHypers``
#: (α1, β1, α2, β2, P).
OPENEBGM_STARTS: tuple[tuple[float, float, float, float, float], ...] = (
    (0.2, 0.1, 2.0, 4.0, 1 / 3),
    (0.1, 0.1, 10.0, 10.0, 0.2),
    (0.3, 0.5, 6.0, 6.0, 0.5),
    (0.5, 0.3, 12.0, 12.0, 0.8),
    (0.2, 0.2, 5.0, 5.0, 0.4),
)
#: openEBGM's box for α and β (``param_lower``, ``param_upper`` of ``exploreHypers``); P lies
#: in [param_lower, 1 − param_lower].
PARAM_LOWER = 1e-5
PARAM_UPPER = 20.0


@dataclass(frozen=True)
class Hyper:
    """Fitted (or given) prior: a two-gamma mixture, component 1 with weight P ≤ 0.5."""

    alpha1: float
    beta1: float
    alpha2: float
    beta2: float
    p: float
    neg_log_lik: float = float("nan")
    truncate: int | None = 1
    points: int = 0
    squashed: bool = False

    @property
    def theta(self) -> tuple[float, float, float, float, float]:
        return (self.alpha1, self.beta1, self.alpha2, self.beta2, self.p)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def canonical(self) -> Hyper:
        """The same mixture written with component 1 the one of weight P ≤ 0.5."""
        if self.p <= 0.5:
            return self
        return Hyper(
            self.alpha2, self.beta2, self.alpha1, self.beta1, 1 - self.p,
            self.neg_log_lik, self.truncate, self.points, self.squashed,
        )  # fmt: skip


def _log_nb(n: np.ndarray | float, e: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """log NB(n; α, β/(β+E)): the marginal of a Poisson(λE) count with λ ~ Γ(α, β)."""
    return (
        special.gammaln(alpha + n) - special.gammaln(alpha) - special.gammaln(n + 1)
        + alpha * np.log(beta) - (alpha + n) * np.log(beta + e) + n * np.log(e)
    )  # fmt: skip


@dataclass(frozen=True)
class _Pairs:
    """The pairs prepared once for many likelihood evaluations (N takes few distinct values)."""

    n: np.ndarray
    e: np.ndarray
    log_e: np.ndarray
    n_values: np.ndarray  # distinct N
    n_index: np.ndarray  # position of each pair's N in n_values
    const: float  # Σ w·(n log E − log n!), the part of log L free of θ
    weights: np.ndarray | None

    @classmethod
    def of(cls, n: np.ndarray, e: np.ndarray, weights: np.ndarray | None = None) -> _Pairs:
        n = np.asarray(n, dtype=float)
        e = np.asarray(e, dtype=float)
        values, index = np.unique(n, return_inverse=True)
        log_e = np.log(e)
        part = n * log_e - special.gammaln(n + 1)
        const = float(np.sum(part * weights) if weights is not None else np.sum(part))
        return cls(n, e, log_e, values, index, const, weights)


def _nll_and_grad(
    theta: np.ndarray, data: _Pairs, truncate: int | None
) -> tuple[float, np.ndarray]:
    """−log L and its gradient in (α1, β1, α2, β2, P).

    Truncated at N ≥ N*, each component is divided by its own P(N ≥ N*) and the two are mixed
    with weight P: openEBGM's ``negLLzero`` (checked: its published caers estimate is a
    stationary point of this likelihood, not of the renormalised mixture).
    """
    n, e = data.n, data.e
    p = theta[4]
    comps = []
    for alpha, beta, w in ((theta[0], theta[1], p), (theta[2], theta[3], 1 - p)):
        log_be = np.log(beta + e)
        log_ratio = np.log(beta) - log_be  # log β/(β+E)
        lg = special.gammaln(alpha + data.n_values) - special.gammaln(alpha)
        dg = special.digamma(alpha + data.n_values) - special.digamma(alpha)
        log_f = np.log(w) + lg[data.n_index] + alpha * np.log(beta) - (alpha + n) * log_be
        d_alpha = dg[data.n_index] + log_ratio
        d_beta = alpha / beta - (alpha + n) / (beta + e)
        if truncate:
            below = np.zeros_like(e)
            da_below = np.zeros_like(e)
            db_below = np.zeros_like(e)
            for k in range(truncate):
                lgk = special.gammaln(alpha + k) - special.gammaln(alpha) - special.gammaln(k + 1)
                m = np.exp(lgk + alpha * log_ratio + k * (data.log_e - log_be))
                below += m
                da_below += m * (special.digamma(alpha + k) - special.digamma(alpha) + log_ratio)
                db_below += m * (alpha / beta - (alpha + k) / (beta + e))
            rest = np.maximum(1 - below, 1e-300)
            log_f = log_f - np.log(rest)
            d_alpha = d_alpha + da_below / rest
            d_beta = d_beta + db_below / rest
        comps.append((log_f, d_alpha, d_beta))
    (l1, da1, db1), (l2, da2, db2) = comps
    ll = np.logaddexp(l1, l2)
    w1 = np.exp(l1 - ll)
    w2 = 1 - w1
    g = np.vstack([w1 * da1, w1 * db1, w2 * da2, w2 * db2, w1 / p - w2 / (1 - p)])
    if data.weights is not None:
        ll = ll * data.weights
        g = g * data.weights
    return float(-(np.sum(ll) + data.const)), -g.sum(axis=1)


def negative_log_likelihood(
    theta: tuple[float, float, float, float, float] | np.ndarray,
    n: np.ndarray,
    e: np.ndarray,
    weights: np.ndarray | None = None,
    truncate: int | None = 1,
) -> float:
    """−log L of θ over pairs (n, e); truncated at N ≥ ``truncate`` unless it is None."""
    theta = np.asarray(theta, dtype=float)
    return _nll_and_grad(theta, _Pairs.of(n, e, weights), truncate)[0]


def _unpack(x: np.ndarray) -> np.ndarray:
    return np.array([*np.exp(x[:4]), special.expit(x[4])])


def squash(
    n: np.ndarray,
    e: np.ndarray,
    bin_size: int = 50,
    min_points: int = 500,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pool pairs of equal N into bins of about ``bin_size`` pairs of consecutive E (weighted
    mean E, weight = pairs); N values with fewer than ``min_points`` entries are kept as they
    are. Returns (n, e, weight)."""
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    w = np.ones_like(n) if weights is None else np.asarray(weights, dtype=float)
    order = np.lexsort((e, n))
    n, e, w = n[order], e[order], w[order]
    out_n, out_e, out_w = [], [], []
    values, starts, counts = np.unique(n, return_index=True, return_counts=True)
    for value, start, count in zip(values, starts, counts, strict=True):
        be, bw = e[start : start + count], w[start : start + count]
        if count < min_points:
            out_n.append(np.full(count, value))
            out_e.append(be)
            out_w.append(bw)
            continue
        # cut where the running weight passes multiples of bin_size
        cum = np.cumsum(bw)
        group = np.minimum((cum - bw) // bin_size, np.inf).astype(np.int64)
        edges = np.flatnonzero(np.diff(group, prepend=-1))
        sw = np.add.reduceat(bw, edges)
        out_n.append(np.full(len(edges), value))
        out_e.append(np.add.reduceat(be * bw, edges) / sw)
        out_w.append(sw)
    return np.concatenate(out_n), np.concatenate(out_e), np.concatenate(out_w)


def _minimise(objective: object, start: tuple[float, ...], bounds: list) -> optimize.OptimizeResult:
    lo, hi = np.array(bounds).T
    x0 = np.clip(np.array([*np.log(start[:4]), special.logit(start[4])]), lo, hi)
    return optimize.minimize(
        objective, x0, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-9},
    )  # fmt: skip


def fit_hyperparameters(
    n: np.ndarray,
    e: np.ndarray,
    truncate: int | None = 1,
    starts: tuple[tuple[float, float, float, float, float], ...] = OPENEBGM_STARTS,
    squash_above: int | None = 200_000,
    bin_size: int = 50,
    param_lower: float = PARAM_LOWER,
    param_upper: float = PARAM_UPPER,
) -> Hyper:
    """Maximum-likelihood θ over the pairs (every pair must have N ≥ ``truncate``).

    Every start is optimised (L-BFGS-B with the analytic gradient, on log α, log β, logit P)
    within openEBGM's box (α, β in [``param_lower``, ``param_upper``]); as openEBGM, estimates
    on the edge of the box are set aside, and the best likelihood among the others wins (the
    best on the edge only when every start ends there). Pairs with the same (N, E) are pooled
    first (exact); with more than ``squash_above`` distinct pairs left, the fit runs on
    squashed data (:func:`squash`, an approximation).
    """
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    if n.shape != e.shape or n.size == 0:
        raise ValueError("fit_hyperparameters: n and e must be non-empty and the same length")
    if np.any(e <= 0):
        raise ValueError("fit_hyperparameters: every expected count must be positive")
    if truncate and np.any(n < truncate):
        raise ValueError(f"fit_hyperparameters: truncated at N >= {truncate}, but smaller N given")
    points = n.size
    # exact compression: pairs with the same (N, E) add the same term to log L
    (n, e), weights = np.unique(np.stack([n, e]), axis=1, return_counts=True)
    weights = weights.astype(float)
    squashed = False
    if squash_above is not None and n.size > squash_above:
        n, e, weights = squash(n, e, bin_size=bin_size, weights=weights)
        squashed = True
    data = _Pairs.of(n, e, weights)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        theta = _unpack(x)
        value, grad = _nll_and_grad(theta, data, truncate)
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e300, np.zeros(5)
        # chain rule to (log α, log β, logit P)
        return value, grad * np.array([*theta[:4], theta[4] * (1 - theta[4])])

    lo, hi = np.log(param_lower), np.log(param_upper)
    bounds = [(lo, hi)] * 4 + [(special.logit(param_lower), special.logit(1 - param_lower))]
    best: optimize.OptimizeResult | None = None
    fallback: optimize.OptimizeResult | None = None
    # L-BFGS-B's few-parameter BLAS calls are 100x slower with OpenBLAS threads spinning
    with threadpool_limits(limits=1, user_api="blas"):
        results = [_minimise(objective, start, bounds) for start in starts]
    for res in results:
        # openEBGM keeps only estimates strictly inside the box
        edge = np.any(np.isclose(res.x, [b[0] for b in bounds], atol=1e-6)) or np.any(
            np.isclose(res.x, [b[1] for b in bounds], atol=1e-6)
        )
        if fallback is None or res.fun < fallback.fun:
            fallback = res
        if not edge and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        best = fallback
    a1, b1, a2, b2, p = _unpack(best.x)
    return Hyper(a1, b1, a2, b2, p, float(best.fun), truncate, points, squashed).canonical()


@dataclass(frozen=True)
class Posterior:
    """Per-pair posterior summaries (arrays)."""

    q: np.ndarray
    ebgm: np.ndarray
    eb05: np.ndarray
    eb95: np.ndarray


def _mixture_quantile(
    prob: float, q: np.ndarray, s1: np.ndarray, r1: np.ndarray, s2: np.ndarray, r2: np.ndarray
) -> np.ndarray:
    """x with q·G(x; s1, r1) + (1−q)·G(x; s2, r2) = prob, per element (G gamma CDF, rate r)."""
    x1 = special.gammaincinv(s1, prob) / r1
    x2 = special.gammaincinv(s2, prob) / r2
    lo, hi = np.minimum(x1, x2), np.maximum(x1, x2)
    x = np.where(q >= 0.5, x1, x2)
    todo = np.flatnonzero(hi - lo > 1e-12 * np.maximum(hi, 1e-300))
    for _ in range(100):
        if todo.size == 0:
            break
        xt, qt = x[todo], q[todo]
        a1, b1, a2, b2 = s1[todo], r1[todo], s2[todo], r2[todo]
        f = qt * special.gammainc(a1, b1 * xt) + (1 - qt) * special.gammainc(a2, b2 * xt) - prob
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            logx = np.log(xt)
            d1 = np.exp(a1 * np.log(b1) + (a1 - 1) * logx - b1 * xt - special.gammaln(a1))
            d2 = np.exp(a2 * np.log(b2) + (a2 - 1) * logx - b2 * xt - special.gammaln(a2))
            dens = qt * d1 + (1 - qt) * d2
        lo_t = np.where(f < 0, xt, lo[todo])
        hi_t = np.where(f > 0, xt, hi[todo])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xt - f / dens
        inside = np.isfinite(newton) & (newton >= lo_t) & (newton <= hi_t)
        solved = np.abs(f) < 1e-13
        nxt = np.where(solved, xt, np.where(inside, newton, 0.5 * (lo_t + hi_t)))
        lo[todo], hi[todo], x[todo] = lo_t, hi_t, nxt
        done = solved | (np.abs(nxt - xt) <= 1e-12 * nxt) | (hi_t - lo_t <= 1e-12 * hi_t)
        todo = todo[~done]
    return x


def posterior(n: np.ndarray, e: np.ndarray, hyper: Hyper) -> Posterior:
    """Q, EBGM, EB05 and EB95 for every pair (n, e)."""
    n = np.asarray(n, dtype=float)
    e = np.asarray(e, dtype=float)
    a1, b1, a2, b2, p = hyper.theta
    l1 = np.log(p) + _log_nb(n, e, a1, b1)
    l2 = np.log1p(-p) + _log_nb(n, e, a2, b2)
    q = np.exp(l1 - np.logaddexp(l1, l2))  # untruncated, as openEBGM's Qn
    s1, r1, s2, r2 = a1 + n, b1 + e, a2 + n, b2 + e
    elog = q * (special.digamma(s1) - np.log(r1)) + (1 - q) * (special.digamma(s2) - np.log(r2))
    eb05 = _mixture_quantile(0.05, q, s1, r1, s2, r2)
    eb95 = _mixture_quantile(0.95, q, s1, r1, s2, r2)
    return Posterior(q=q, ebgm=np.exp(elog), eb05=eb05, eb95=eb95)
