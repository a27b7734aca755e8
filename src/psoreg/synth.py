"""A realistic synthetic registry cohort, for scale tests and benchmarks.

:func:`synthesize` writes one Parquet file per :class:`~psoreg.cohort.Cohort` table
(``patients``, ``courses``, ``assessments``, ``milestones``, ``events``, ``relapses``), with
exactly the columns and types of :data:`psoreg.cohort.SCHEMAS`. The model (documented with its
rates in ``docs/scale.md``) is deliberately simple but shaped like a national biologics registry:

* patients with one or more sequential biologic courses (switchers), demographics, comorbidities
  and prior systemic treatment;
* courses of the catalogue's psoriasis biologics (TNF, IL-12/23, IL-17 and IL-23 inhibitors) in
  approximate real-world shares;
* a response curve per course, ``improvement(t) = Emax · (1 − exp(−t/τ))``, whose speed (τ) and
  depth (Emax) differ by drug and class; previous biologic failure lowers the response;
* secondary failure (loss of response after a response) at a per-drug yearly rate, paradoxical
  events, adverse events, and competing stop reasons (every
  :class:`~psoreg.model.vocab.StopReason`);
* relapse after stopping (improvement decays with a per-drug half-life) and rare rebounds, with
  recorded relapse episodes and their morphology;
* irregular visit schedules (a baseline visit in the four weeks before the first dose, visits
  at weeks 4, 8, 12, 16, 20, 24 … jittered by up to ±10 days, 15 % missed, visits after
  stopping), about 15 assessments per course on average; PASI is measured with noise to one
  decimal, and BSA, DLQI and sPGA, recorded at most visits, follow it;
* optionally, the doses given: the catalogue's label schedule up to the stop, some missed.

The generator is vectorised with numpy, works in fixed chunks of courses (so memory stays
bounded) and writes each chunk as Parquet row groups with pyarrow. It is deterministic: the
same ``courses`` and ``seed`` give the same bytes (for the same pyarrow version), because every
chunk has its own random stream derived from ``(seed, chunk number)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from psoreg.catalogue import all_drugs, expected_doses
from psoreg.cohort import SCHEMAS
from psoreg.model.vocab import PUSTULAR_MORPHOLOGIES, REBOUND_MORPHOLOGIES, StopReason

__all__ = [
    "CHUNK_COURSES",
    "DRUG_PROFILES",
    "DrugProfile",
    "arrow_schema",
    "synthesize",
]

#: Courses per generated chunk. Fixed, so the output depends only on ``courses`` and ``seed``.
CHUNK_COURSES = 1 << 15
#: Identifiers are a letter and this many digits (``C00000001``), so they sort numerically.
ID_DIGITS = 8

_ARROW_TYPES = {
    "string": pa.string(),
    "float64": pa.float64(),
    "boolean": pa.bool_(),
    "datetime64[ns]": pa.date32(),  # Spark cannot read nanosecond timestamps
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a cohort table (columns and types of ``SCHEMAS[table]``)."""
    return pa.schema([(c, _ARROW_TYPES[t]) for c, t in SCHEMAS[table].items()])


@dataclass(frozen=True)
class DrugProfile:
    """How courses of one drug behave in the synthetic registry (approximate, see docs)."""

    name: str
    #: Share of courses (a recent registry: IL-23 and IL-17 inhibitors growing, TNF declining).
    share: float
    #: Share of biologic-naive courses reaching PASI75 at the drug's response week (trials).
    p75: float
    #: Response time constant in weeks: 63 % of the eventual improvement is reached by week τ.
    tau: float
    #: Yearly rate of secondary failure (loss of response) among responders.
    secondary_failure_per_year: float
    #: Median weeks after stopping until half of the improvement is lost.
    relapse_half_life: float
    #: Yearly rate of paradoxical events (paradoxical psoriasis, palmoplantar pustulosis…).
    paradoxical_per_year: float


#: Per-drug behaviour. Speeds and depths follow the pivotal trials' order of magnitude
#: (IL-17 fastest, IL-23 deepest and most durable, etanercept slowest); rates are plausible
#: registry magnitudes, not estimates.
DRUG_PROFILES: tuple[DrugProfile, ...] = (
    DrugProfile("adalimumab", 0.19, 0.71, 5.0, 0.10, 20, 0.020),
    DrugProfile("etanercept", 0.05, 0.49, 7.0, 0.10, 12, 0.020),
    DrugProfile("infliximab", 0.03, 0.78, 3.0, 0.15, 16, 0.025),
    DrugProfile("certolizumab pegol", 0.02, 0.75, 5.0, 0.08, 16, 0.020),
    DrugProfile("ustekinumab", 0.16, 0.68, 6.0, 0.06, 30, 0.006),
    DrugProfile("secukinumab", 0.12, 0.80, 3.0, 0.06, 20, 0.012),
    DrugProfile("ixekizumab", 0.07, 0.87, 2.5, 0.06, 20, 0.012),
    DrugProfile("brodalumab", 0.02, 0.84, 2.5, 0.06, 10, 0.012),
    DrugProfile("bimekizumab", 0.05, 0.90, 2.5, 0.05, 28, 0.012),
    DrugProfile("guselkumab", 0.12, 0.88, 5.0, 0.03, 36, 0.005),
    DrugProfile("risankizumab", 0.14, 0.88, 5.0, 0.03, 40, 0.005),
    DrugProfile("tildrakizumab", 0.03, 0.75, 7.0, 0.03, 36, 0.005),
)

# --- fixed vocabularies and rates -----------------------------------------------------------

_SIGMA = 1.5  # spread of the logit of Emax between courses
_REAL_WORLD_SHIFT = -0.3  # registries respond less than trials
_EXPERIENCED_SHIFT = -0.6  # after a previous biologic (or not biologic-naive)
_MISSED_VISIT = 0.15
_MISSED_POST_STOP_VISIT = 0.20
_JITTER_DAYS = 10
#: Longest registry window of a patient (weeks from the first course to the data cut).
MAX_WEEKS = 520
_ON_WEEKS = np.array(
    [4, 8, 12, 16, 20, 24, 32, 40, 52] + list(range(64, MAX_WEEKS + 1, 12)),
    dtype=np.int64,
)
_POST_WEEKS = np.array([4, 8, 12, 16, 24, 32, 44, 56, 68, 80, 92, 104], dtype=np.int64)
#: Yearly rates of stopping for reasons other than (lack of) response.
_STOP_RATES_PER_YEAR = {
    StopReason.adverse_event: 0.035,
    StopReason.cost_or_access: 0.015,
    StopReason.patient_choice: 0.03,
    StopReason.other: 0.015,
}
_REMISSION_PER_YEAR = 0.04  # among courses with Emax ≥ 90, after 26 weeks
_ADVERSE_PER_YEAR = 0.15  # adverse events that do not stop the course
_PARADOXICAL_STOPS = 0.5  # share of paradoxical events that stop the course
_REBOUND_SHARE = 0.01  # stops followed by a rebound above baseline
_RECORDED_RELAPSE = 0.6  # share of relapses recorded as an episode

_SEXES = (("M", 0.57), ("F", 0.43))
_ETHNICITIES = (
    ("White", 0.70), ("South Asian", 0.10), ("Chinese", 0.06), ("Black", 0.05),
    ("Mixed", 0.03), ("Other", 0.03), (None, 0.03),
)  # fmt: skip
_PHENOTYPES = (
    ("plaque", 0.84), ("plaque;scalp", 0.05), ("plaque;nail", 0.04),
    ("plaque;palmoplantar pustular", 0.02), ("plaque;guttate", 0.02), ("plaque;inverse", 0.01),
    ("plaque;generalised pustular", 0.01), ("plaque;erythrodermic", 0.01),
)  # fmt: skip
_COMORBIDITIES = (
    ("hypertension", 0.25), ("dyslipidaemia", 0.20), ("obesity", 0.30),
    ("type 2 diabetes", 0.10), ("depression", 0.12), ("fatty liver", 0.10), ("latent TB", 0.03),
)  # fmt: skip
_SYSTEMICS = (
    ("methotrexate", 0.75), ("ciclosporin", 0.35), ("acitretin", 0.25),
    ("fumaric acid esters", 0.10), ("apremilast", 0.10),
)  # fmt: skip
_AFTER_LAST = (
    ("methotrexate", 0.15), ("acitretin", 0.08), ("ciclosporin", 0.07), ("apremilast", 0.05),
    ("phototherapy", 0.05), (None, 0.60),
)  # fmt: skip
_AE_DESCRIPTIONS = (
    "injection-site reaction", "upper respiratory tract infection", "raised transaminases",
    "neutropenia", "candidiasis", "serious infection", "headache",
)  # fmt: skip
_PARADOXICAL_MORPHOLOGY = (
    ("palmoplantar pustular", 0.40), ("plaque", 0.25), ("scalp", 0.10), ("guttate", 0.10),
    ("inverse", 0.10), ("generalised pustular", 0.05),
)  # fmt: skip
_PARADOXICAL_SITES = {
    "palmoplantar pustular": "palms;soles", "plaque": "elbows;knees;trunk", "scalp": "scalp",
    "guttate": "trunk;limbs", "inverse": "flexures", "generalised pustular": "generalised",
}  # fmt: skip
_PARADOXICAL_MANAGEMENT = (
    ("topical corticosteroids", 0.55), ("topical corticosteroids and vitamin D analogue", 0.2),
    ("phototherapy", 0.1), ("methotrexate added", 0.1), ("acitretin added", 0.05),
)  # fmt: skip
_RELAPSE_MORPHOLOGY = (
    ("plaque", 0.85), ("plaque;localised pustular", 0.07), ("guttate", 0.03),
    ("palmoplantar pustular", 0.03), ("erythrodermic", 0.01), ("generalised pustular", 0.01),
)  # fmt: skip
_REBOUND_MORPHOLOGY = (("plaque", 0.7), ("erythrodermic", 0.15), ("generalised pustular", 0.15))

#: Probability that a patient starts another biologic after each stop reason.
_SWITCH_BY_REASON = {
    StopReason.inefficacy: 0.85,
    StopReason.secondary_failure: 0.85,
    StopReason.adverse_event: 0.7,
    StopReason.paradoxical_event: 0.6,
    StopReason.remission: 0.1,
    StopReason.cost_or_access: 0.4,
    StopReason.patient_choice: 0.3,
    StopReason.other: 0.5,
}
_REASONS = list(StopReason)
_SWITCH = np.array([_SWITCH_BY_REASON[r] for r in _REASONS])

_PUSTULAR = {m.value for m in PUSTULAR_MORPHOLOGIES}
_REBOUND = {m.value for m in REBOUND_MORPHOLOGIES}
_DRUG_NAMES = tuple(p.name for p in DRUG_PROFILES)
_SHARES = np.array([p.share for p in DRUG_PROFILES]) / sum(p.share for p in DRUG_PROFILES)


def _drug_constants() -> dict[str, Any]:
    """Per-drug arrays (indexed like ``DRUG_PROFILES``) with catalogue facts folded in."""
    catalogue = {d.name: d for d in all_drugs()}
    missing = [p.name for p in DRUG_PROFILES if p.name not in catalogue]
    if missing:  # pragma: no cover - guards a catalogue rename
        raise RuntimeError(f"synthetic profiles name drugs not in the catalogue: {missing}")
    week = np.array([catalogue[p.name].response_week or 12 for p in DRUG_PROFILES], float)
    tau = np.array([p.tau for p in DRUG_PROFILES])
    p75 = np.array([p.p75 for p in DRUG_PROFILES])
    # logit(Emax) ~ N(mu, SIGMA) with P(Emax·(1 − e^(−w/τ)) ≥ 75) = p75 at the response week w
    q = 0.75 / (1 - np.exp(-week / tau))
    z = np.array([NormalDist().inv_cdf(p) for p in p75])
    mu = np.log(q / (1 - q)) + _SIGMA * z
    regimens, high_dose = [], []  # high dose: e.g. ustekinumab above 100 kg, 90 mg
    for p in DRUG_PROFILES:
        r = catalogue[p.name].regimen
        weeks = r.maintenance_interval_weeks
        every = "every week" if weeks == 1 else f"every {weeks:g} weeks"
        regimens.append(f"{r.maintenance_dose:g} {r.dose_unit} {every}")
        rule = r.weight_rules[0] if r.weight_rules else None
        high_dose.append(
            (rule.threshold_kg, f"{rule.dose:g} {r.dose_unit} {every}")
            if rule
            else (math.inf, regimens[-1])
        )
    schedules = []  # per drug: weeks, mg (normal, high weight), weight threshold, per kg
    for p in DRUG_PROFILES:
        d = catalogue[p.name]
        plain = expected_doses(d, MAX_WEEKS)
        rule = d.regimen.weight_rules[0] if d.regimen.weight_rules else None
        high = expected_doses(d, MAX_WEEKS, weight_kg=rule.threshold_kg + 1) if rule else plain
        schedules.append(
            (
                np.array([x.week for x in plain]),
                np.array([x.dose for x in plain]),
                np.array([x.dose for x in high]),
                rule.threshold_kg if rule else math.inf,
                plain[0].unit.endswith("/kg"),
            )
        )
    return {
        "schedules": schedules,
        "week": week,
        "tau": tau,
        "mu": mu,
        "sf": np.array([p.secondary_failure_per_year for p in DRUG_PROFILES]),
        "half_life": np.array([p.relapse_half_life for p in DRUG_PROFILES], float),
        "paradoxical": np.array([p.paradoxical_per_year for p in DRUG_PROFILES]),
        "regimen": np.array(regimens, dtype=object),
        "high_threshold": np.array([h[0] for h in high_dose]),
        "high_regimen": np.array([h[1] for h in high_dose], dtype=object),
    }


# --- small vectorised helpers ---------------------------------------------------------------


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    """``prefix`` + zero-padded ``numbers`` as an Arrow string array, built without Python loops."""
    n = len(numbers)
    width = ID_DIGITS + 1
    powers = 10 ** np.arange(ID_DIGITS - 1, -1, -1, dtype=np.int64)
    buf = np.empty((n, width), dtype=np.uint8)
    buf[:, 0] = ord(prefix)
    buf[:, 1:] = (numbers[:, None] // powers) % 10 + ord("0")
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf.tobytes()))


def _pick(rng: np.random.Generator, choices: tuple[tuple[object, float], ...], n: int) -> pa.Array:
    """``n`` draws from a categorical distribution, as a string array (``None`` = null)."""
    values = [c[0] for c in choices]
    p = np.array([c[1] for c in choices], float)
    codes = rng.choice(len(values), size=n, p=p / p.sum())
    return _take(values, codes)


def _table(name: str, columns: dict[str, object]) -> pa.Table:
    """A cohort table with exactly the ``SCHEMAS`` columns; columns not generated are null."""
    schema = arrow_schema(name)
    n = len(next(iter(columns.values())))
    arrays = [
        pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(n, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _take(values: list[object], codes: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    texts = [None if v is None else str(v) for v in values]
    arr = pa.array(texts, pa.string()).take(pa.array(codes.astype(np.int32), mask=mask))
    return arr


def _flags(rng: np.random.Generator, choices: tuple[tuple[str, float], ...], n: int) -> pa.Array:
    """Independent yes/no items joined with ';' (null when none), e.g. comorbidities."""
    bits = np.zeros(n, dtype=np.int64)
    for i, (_, p) in enumerate(choices):
        bits |= (rng.random(n) < p).astype(np.int64) << i
    combos: list[object] = []
    for m in range(1 << len(choices)):
        names = [name for i, (name, _) in enumerate(choices) if m >> i & 1]
        combos.append(";".join(names) or None)
    return _take(combos, bits)


def _in_fast(codes: np.ndarray, values: list[object], words: set[str]) -> np.ndarray:
    table = np.array([v is not None and any(w in words for w in str(v).split(";")) for v in values])
    return table[codes] if len(codes) else np.zeros(0, bool)


def _days_to_weeks(days: np.ndarray) -> np.ndarray:
    return days.astype(np.float64) / 7.0


def _exp_weeks(rng: np.random.Generator, per_year: np.ndarray | float, n: int) -> np.ndarray:
    """Exponential waiting times in weeks for yearly rates (rate 0 → never)."""
    rate = np.broadcast_to(np.asarray(per_year, float), (n,)) / 52.0
    with np.errstate(divide="ignore"):
        return np.where(rate > 0, rng.exponential(1.0, n) / np.where(rate > 0, rate, 1), np.inf)


# --- one chunk ------------------------------------------------------------------------------


def _course_round(
    rng: np.random.Generator,
    drug: np.ndarray,
    experienced: np.ndarray,
    horizon: np.ndarray,
    const: dict[str, Any],
) -> dict[str, np.ndarray]:
    """Latent response and the (competing) stop of one course per patient in ``drug``."""
    m = len(drug)
    week_r = const["week"][drug]
    tau = const["tau"][drug] * np.exp(rng.normal(0, 0.25, m))
    logit = (
        const["mu"][drug]
        + _REAL_WORLD_SHIFT
        + _EXPERIENCED_SHIFT * experienced
        + _SIGMA * rng.standard_normal(m)
    )
    emax = 100.0 / (1.0 + np.exp(-logit))
    at_primary = emax * (1 - np.exp(-week_r / tau))
    # secondary failure: a decline that starts after a response, at a per-drug yearly rate
    sf_onset = 12 + _exp_weeks(rng, const["sf"][drug], m)
    finite = np.isfinite(sf_onset)
    at_onset = emax * (1 - np.exp(-np.where(finite, sf_onset, 0) / tau))
    sf_onset = np.where(finite & (at_onset >= 55), sf_onset, np.inf)
    sf_len = rng.uniform(4, 16, m)

    stops = {r: np.full(m, np.inf) for r in StopReason}
    ineff = rng.random(m)
    stops[StopReason.inefficacy] = np.where(
        (at_primary < 50) & (ineff < 0.85),
        week_r + rng.uniform(0, 12, m),
        np.where((at_primary < 75) & (ineff < 0.30), week_r + rng.uniform(4, 36, m), np.inf),
    )
    stops[StopReason.secondary_failure] = np.where(
        rng.random(m) < 0.85, sf_onset + sf_len + rng.uniform(2, 16, m), np.inf
    )
    for reason, rate in _STOP_RATES_PER_YEAR.items():
        stops[reason] = _exp_weeks(rng, rate, m)
    stops[StopReason.remission] = np.where(
        emax >= 90, 26 + _exp_weeks(rng, _REMISSION_PER_YEAR, m), np.inf
    )
    par_week = _exp_weeks(rng, const["paradoxical"][drug], m)
    stops[StopReason.paradoxical_event] = np.where(
        rng.random(m) < _PARADOXICAL_STOPS, par_week + rng.uniform(0, 8, m), np.inf
    )
    times = np.stack([stops[r] for r in _REASONS])
    reason = times.argmin(axis=0)
    stop_t = times[reason, np.arange(m)]
    return {
        "drug": drug,
        "tau": tau,
        "emax": emax,
        "sf_onset": sf_onset,
        "sf_len": sf_len,
        "sf_floor": rng.uniform(0, 45, m),
        "par_week": par_week,
        "reason": reason,
        "stop_t": np.maximum(stop_t, 1.0),
        "stopped": stop_t <= horizon,
        "horizon": horizon,
    }


def _draw_drug(rng: np.random.Generator, m: int, avoid: np.ndarray | None = None) -> np.ndarray:
    """Drugs in registry shares; a switch re-draws once when it picked the same drug again."""
    drug = rng.choice(len(DRUG_PROFILES), size=m, p=_SHARES)
    if avoid is not None:
        again = rng.choice(len(DRUG_PROFILES), size=m, p=_SHARES)
        drug = np.where(drug == avoid, again, drug)
    return drug


def _patients_courses(
    rng: np.random.Generator, n: int, const: dict[str, Any]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Patients, and exactly ``n`` of their courses in patient order (courses follow switches).

    Each patient is observed for a registry window (first biologic to data cut). A course that
    stops for a reason that leads to a switch is followed, after a gap, by another course.
    """
    pats: list[dict[str, np.ndarray]] = []
    rounds: list[dict[str, np.ndarray]] = []
    offset, total = 0, 0
    while total < n:
        m = max(16, int((n - total) / 1.4) + 1)
        window = rng.uniform(4, MAX_WEEKS, m)  # weeks from the first course to the data cut
        naive = rng.random(m) < 0.6
        pats.append({"window": window, "naive": naive})
        active = np.arange(m)
        start = np.zeros(m)
        drug = _draw_drug(rng, m)
        seq = 0
        while active.size:
            c = _course_round(
                rng, drug, (seq > 0) | ~naive[active], window[active] - start[active], const
            )
            gap = rng.uniform(0, 12, active.size)
            next_start = start[active] + c["stop_t"] + gap
            switch = (
                c["stopped"]
                & (rng.random(active.size) < _SWITCH[c["reason"]])
                & (next_start < window[active] - 4)
            )
            next_drug = _draw_drug(rng, active.size, avoid=drug)
            remaining = window[active] - start[active] - c["stop_t"]
            c.update(
                pat=offset + active,
                seq=np.full(active.size, seq),
                switched=switch,
                next_drug=np.where(switch, next_drug, -1),
                post_len=np.where(switch, gap, np.minimum(np.maximum(remaining, 0), 104)),
            )
            rounds.append(c)
            total += active.size
            start[active[switch]] = next_start[switch]
            drug = next_drug[switch]
            active = active[switch]
            seq += 1
        offset += m
    courses = {k: np.concatenate([r[k] for r in rounds]) for k in rounds[0]}
    order = np.lexsort((courses["seq"], courses["pat"]))[:n]
    courses = {k: v[order] for k, v in courses.items()}
    n_pat = int(courses["pat"][-1]) + 1 if n else 0
    patients = {k: np.concatenate([p[k] for p in pats])[:n_pat] for k in pats[0]}
    return patients, courses


@dataclass
class _Chunk:
    tables: dict[str, pa.Table]
    patients: int


def _chunk(
    rng: np.random.Generator,
    first_course: int,
    first_patient: int,
    n: int,
    const: dict[str, Any],
    abstracted_share: float,
    with_doses: bool = False,
) -> _Chunk:
    """Generate ``n`` courses (and their patients) starting at the given identifiers."""
    pt, cs = _patients_courses(rng, n, const)
    n_pat = len(pt["naive"])
    pat, last = cs["pat"], ~cs["switched"]

    # --- patients
    sex_codes = rng.choice(2, size=n_pat, p=[s[1] for s in _SEXES])
    age = np.clip(rng.normal(46, 14, n_pat), 18, 90).round(1)
    weight = np.clip(rng.normal(np.where(sex_codes == 0, 92, 80), 18), 40, 200).round(1)
    duration = np.minimum(rng.gamma(3.0, 6.0, n_pat), age - 5).round(1)
    pheno_values = [p[0] for p in _PHENOTYPES]
    pheno_p = np.array([p[1] for p in _PHENOTYPES])
    pheno_codes = rng.choice(len(pheno_values), size=n_pat, p=pheno_p / pheno_p.sum())
    patients = _table(
        "patients",
        {
            "patient_id": _ids("P", first_patient + np.arange(n_pat)),
            "sex": _take([s[0] for s in _SEXES], sex_codes),
            "age_years": age,
            "ethnicity": _pick(rng, _ETHNICITIES, n_pat),
            "weight_kg": weight,
            "phenotype_history": _take(pheno_values, pheno_codes),
            "psoriatic_arthritis": rng.random(n_pat) < 0.25,
            "disease_duration_years": duration,
            "comorbidities": _flags(rng, _COMORBIDITIES, n_pat),
            "biologic_naive": pt["naive"],
            "prior_phototherapy": rng.random(n_pat) < 0.75,
            "prior_systemics": _flags(rng, _SYSTEMICS, n_pat),
            "pustular_history": _in_fast(pheno_codes, pheno_values, _PUSTULAR),
        },
    )

    # --- courses: response and timeline
    drug, emax, tau = cs["drug"], cs["emax"], cs["tau"]
    sf_onset, sf_len, sf_floor = cs["sf_onset"], cs["sf_len"], cs["sf_floor"]
    par_week, first, stopped, horizon = cs["par_week"], cs["reason"], cs["stopped"], cs["horizon"]
    baseline = np.clip(np.exp(rng.normal(np.log(14), 0.45, n)), 3, 60).round(1)

    def curve(t: np.ndarray, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return emax[idx] * (1 - np.exp(-np.maximum(t, 0) / tau[idx]))

    stop_day = np.where(stopped, np.round(cs["stop_t"] * 7), 0).astype(np.int64)
    stop_week = np.where(stopped, _days_to_weeks(stop_day), np.nan)
    end_on = np.where(stopped, stop_week, horizon)  # last on-therapy week
    post_len = np.where(stopped, cs["post_len"], 0.0)
    followup_day = np.where(stopped, stop_day + np.round(post_len * 7), np.round(horizon * 7))
    followup_week = _days_to_weeks(followup_day.astype(np.int64))

    def improvement(t: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Improvement (%) at on-therapy weeks ``t`` of courses ``idx``, incl. secondary failure."""
        imp = curve(t, idx)
        on_sf = t > sf_onset[idx]
        if on_sf.any():
            onset = np.where(on_sf, sf_onset[idx], 0)
            at_onset = curve(onset, idx)
            frac = np.minimum(1, (t - onset) / sf_len[idx])
            imp = np.where(on_sf, at_onset - (at_onset - sf_floor[idx]) * frac, imp)
        return imp

    at_stop = improvement(np.where(stopped, stop_week, 0), np.arange(n))
    half_life = const["half_life"][drug] * np.exp(rng.normal(0, 0.35, n))
    rebound = stopped & (rng.random(n) < _REBOUND_SHARE)

    def after_stop(t_since: np.ndarray, idx: np.ndarray) -> np.ndarray:
        decay = at_stop[idx] * 0.5 ** ((t_since / half_life[idx]) ** 2)
        flare = at_stop[idx] - (at_stop[idx] + 40) * np.minimum(1, t_since / 6)
        return np.where(rebound[idx], flare, decay)

    # --- abstracted (chart-review) courses carry milestones instead of visits
    abstracted = rng.random(n) < abstracted_share

    # --- visits: baseline, jittered schedule on therapy, schedule after the stop
    base_day = -rng.integers(0, 29, n)  # within the 4-week look-back
    late = rng.random(n) < 0.03  # baseline recorded too early to count
    base_day = np.where(late, -rng.integers(29, 61, n), base_day)
    has_base = (rng.random(n) >= 0.06) & ~abstracted
    on_day = _ON_WEEKS[None, :] * 7 + rng.integers(
        -_JITTER_DAYS, _JITTER_DAYS + 1, (n, len(_ON_WEEKS))
    )
    on_ok = (
        (on_day <= np.round(end_on * 7)[:, None])
        & (rng.random((n, len(_ON_WEEKS))) >= _MISSED_VISIT)
        & ~abstracted[:, None]
    )
    post_day = (
        stop_day[:, None]
        + _POST_WEEKS[None, :] * 7
        + rng.integers(-_JITTER_DAYS, _JITTER_DAYS + 1, (n, len(_POST_WEEKS)))
    )
    post_ok = (
        stopped[:, None]
        & (post_day <= followup_day[:, None])
        & (rng.random((n, len(_POST_WEEKS))) >= _MISSED_POST_STOP_VISIT)
        & ~abstracted[:, None]
    )
    # rows are course-major and each row is in week order: baseline < on-therapy < after stop
    days = np.concatenate([base_day[:, None], on_day, post_day], axis=1)
    ok = np.concatenate([has_base[:, None], on_ok, post_ok], axis=1)
    kind = np.concatenate(
        [
            np.zeros((n, 1), np.int8),
            np.ones((n, len(_ON_WEEKS)), np.int8),
            np.full((n, len(_POST_WEEKS)), 2, np.int8),
        ],
        axis=1,
    )
    row_course = np.broadcast_to(np.arange(n)[:, None], days.shape)[ok]
    v_day = days[ok]
    v_kind = kind[ok]
    v_week = _days_to_weeks(v_day)
    imp = np.zeros(len(v_day))
    on = v_kind == 1
    imp[on] = improvement(v_week[on], row_course[on])
    post = v_kind == 2
    imp[post] = after_stop(v_week[post] - stop_week[row_course[post]], row_course[post])
    b = baseline[row_course]
    pasi = b * (1 - imp / 100) * np.exp(rng.normal(0, 0.12, len(imp))) + rng.normal(
        0, 0.25, len(imp)
    )
    pasi = np.clip(pasi, 0, 72).round(1)
    pasi = np.where(v_kind == 0, b, pasi)

    # other scores of the visit, each recorded at some visits only, following the PASI
    m = len(pasi)
    severity = pasi * np.exp(rng.normal(0, 0.25, m))
    pga = np.select([pasi == 0, severity < 3, severity < 8, severity < 15], [0, 1, 2, 3], 4)
    bsa = np.where(pasi == 0, 0.0, np.clip(0.9 * pasi * np.exp(rng.normal(0, 0.35, m)), 0.1, 100))
    dlqi = np.clip(np.round(0.55 * severity + rng.normal(0, 1.5, m)), 0, 30)

    course_ids = _ids("C", first_course + np.arange(n))
    assessments = _table(
        "assessments",
        {
            "course_id": course_ids.take(pa.array(row_course.astype(np.int32))),
            "week": v_week,
            "pasi": pasi,
            "bsa": pa.array(bsa.round(1), mask=rng.random(m) >= 0.7),
            "dlqi": pa.array(dlqi.astype(np.float64), mask=rng.random(m) >= 0.6),
            "pga": pa.array(pga.astype(np.float64), mask=rng.random(m) >= 0.8),
        },
    )

    # --- courses table
    stated = (rng.random(n) < 0.35) | abstracted
    reason_codes = np.where(stopped, first, 0)
    reasons = _REASONS
    high = weight[pat] > const["high_threshold"][drug]
    regimen_values = [*const["regimen"], *const["high_regimen"]]
    regimen_codes = drug + len(DRUG_PROFILES) * high
    next_drug = np.maximum(cs["next_drug"], 0)
    after_codes = rng.choice(len(_AFTER_LAST), size=n, p=[a[1] for a in _AFTER_LAST])
    next_values = list(_DRUG_NAMES) + [a[0] for a in _AFTER_LAST]
    next_codes = np.where(last, len(_DRUG_NAMES) + after_codes, next_drug)
    next_null = ~stopped | (last & (np.array([a[0] is None for a in _AFTER_LAST])[after_codes]))
    courses = _table(
        "courses",
        {
            "course_id": course_ids,
            "patient_id": _ids("P", first_patient + pat),
            "drug": _take(list(_DRUG_NAMES), drug),
            "regimen": _take(regimen_values, regimen_codes),
            # a start date for calendar-month rebound windows; derived from the course number,
            # not the random stream, so every other column stays as it was for a seed
            "start_date": pa.array(
                np.datetime64("2015-01-01")
                + ((first_course + np.arange(n)) * 37 % 3650).astype("timedelta64[D]"),
                pa.date32(),
            ),
            "stop_week": pa.array(stop_week, mask=~stopped),
            "stop_reason": _take([r.value for r in reasons], reason_codes, mask=~stopped),
            "followup_week": followup_week,
            "baseline_pasi": pa.array(baseline, mask=~stated),
            "next_treatment": _take(next_values, next_codes, mask=next_null),
        },
    )

    # --- events: paradoxical (one at most) and adverse
    end_obs = np.where(stopped, stop_week, horizon)
    par = par_week <= end_obs
    par_idx = np.flatnonzero(par)
    par_w = _days_to_weeks(np.maximum(np.round(par_week[par_idx] * 7), 1).astype(np.int64))
    par_morph_values = [m[0] for m in _PARADOXICAL_MORPHOLOGY]
    pm = np.array([m[1] for m in _PARADOXICAL_MORPHOLOGY])
    par_codes = rng.choice(len(pm), size=len(par_idx), p=pm / pm.sum())
    ae_n = rng.poisson(_ADVERSE_PER_YEAR * end_obs / 52.0)
    ae_idx = np.repeat(np.arange(n), ae_n)
    ae_day = np.ceil(rng.uniform(0, 1, len(ae_idx)) * end_obs[ae_idx] * 7).astype(np.int64)
    ae_stop = np.flatnonzero(stopped & (first == reasons.index(StopReason.adverse_event)))
    ae_idx = np.concatenate([ae_idx, ae_stop])
    ae_day = np.concatenate([np.maximum(ae_day, 1), stop_day[ae_stop]])
    order = np.lexsort((ae_day, ae_idx))
    ae_idx, ae_day = ae_idx[order], ae_day[order]
    ev_idx = np.concatenate([par_idx, ae_idx])
    ev_order = np.argsort(ev_idx, kind="stable")
    n_par = len(par_idx)
    ev_kind_codes = np.concatenate([np.zeros(n_par, np.int32), np.ones(len(ae_idx), np.int32)])
    ev_morph_codes = np.concatenate([par_codes, np.zeros(len(ae_idx), np.int64)])
    ev_morph_null = np.concatenate([np.zeros(n_par, bool), np.ones(len(ae_idx), bool)])
    ae_desc_codes = rng.integers(0, len(_AE_DESCRIPTIONS), len(ae_idx))
    ev_desc_values = ["paradoxical psoriasis", *_AE_DESCRIPTIONS]
    ev_desc_codes = np.concatenate([np.zeros(n_par, np.int64), 1 + ae_desc_codes])
    rebound_morph = np.concatenate(
        [_in_fast(par_codes, par_morph_values, _REBOUND), np.zeros(len(ae_idx), bool)]
    )
    # sites, extent and management of paradoxical events; whether the drug went on
    par_stop = stopped[par_idx] & (first[par_idx] == reasons.index(StopReason.paradoxical_event))
    sites = np.array([_PARADOXICAL_SITES[m] for m in par_morph_values], dtype=object)
    bsa = np.round(np.clip(np.exp(rng.normal(np.log(3), 0.9, n_par)), 0.1, 90), 1)
    manage_values = [m[0] for m in _PARADOXICAL_MANAGEMENT]
    mp = np.array([m[1] for m in _PARADOXICAL_MANAGEMENT])
    manage = rng.choice(len(mp), size=n_par, p=mp / mp.sum())
    manage = np.where(par_stop, len(manage_values), manage)  # stopped: switched biologic
    manage_values.append("biologic stopped and switched")
    n_ae = len(ae_idx)
    ae_continued = order < n_ae - len(ae_stop)  # the adverse events that stopped the course
    events = _table(
        "events",
        {
            "course_id": course_ids.take(pa.array(ev_idx[ev_order].astype(np.int32))),
            "kind": _take(["paradoxical", "adverse"], ev_kind_codes[ev_order]),
            "week": np.concatenate([par_w, _days_to_weeks(ae_day)])[ev_order],
            "morphology": _take(
                par_morph_values, ev_morph_codes[ev_order], mask=ev_morph_null[ev_order]
            ),
            "rebound_morphology": rebound_morph[ev_order],
            "pustular": np.concatenate(
                [_in_fast(par_codes, par_morph_values, _PUSTULAR), np.zeros(len(ae_idx), bool)]
            )[ev_order],
            "description": _take(ev_desc_values, ev_desc_codes[ev_order]),
            "sites": pa.array(
                np.concatenate([sites[par_codes], np.full(n_ae, None, object)])[ev_order],
                pa.string(),
            ),
            "bsa": pa.array(
                np.concatenate([bsa, np.full(n_ae, np.nan)])[ev_order],
                mask=ev_morph_null[ev_order],
            ),
            "management": _take(
                manage_values,
                np.concatenate([manage, np.zeros(n_ae, np.int64)])[ev_order],
                mask=ev_morph_null[ev_order],
            ),
            "drug_continued": np.concatenate([~par_stop, ae_continued])[ev_order],
        },
    )

    # --- relapse episodes after stopping (recorded for some relapses)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_t = np.where(
            rebound,
            6 * (at_stop - 50) / (at_stop + 40),
            half_life * np.sqrt(np.log2(np.maximum(at_stop, 50) / 50)),
        )
    relapsed = stopped & (at_stop >= 50) & (rel_t <= post_len)
    rec = np.flatnonzero(relapsed & (rng.random(n) < _RECORDED_RELAPSE))
    rel_week = _days_to_weeks(np.maximum(np.round(rel_t[rec] * 7), 1).astype(np.int64))
    rel_values = [m[0] for m in _RELAPSE_MORPHOLOGY]
    rm = np.array([m[1] for m in _RELAPSE_MORPHOLOGY])
    rel_codes = rng.choice(len(rm), size=len(rec), p=rm / rm.sum())
    rb_values = [m[0] for m in _REBOUND_MORPHOLOGY]
    rb_codes = rng.choice(len(rb_values), size=len(rec), p=[m[1] for m in _REBOUND_MORPHOLOGY])
    all_values = rel_values + rb_values
    codes = np.where(rebound[rec], len(rel_values) + rb_codes, rel_codes)
    relapses = _table(
        "relapses",
        {
            "course_id": course_ids.take(pa.array(rec.astype(np.int32))),
            "weeks_after_stop": rel_week,
            "morphology": _take(all_values, codes),
            "pustular": _in_fast(codes, all_values, _PUSTULAR),
            "rebound_morphology": _in_fast(codes, all_values, _REBOUND),
        },
    )

    milestones = _milestones(
        np.flatnonzero(abstracted), course_ids, emax, tau, sf_onset, sf_len, sf_floor,
        curve, stopped, stop_week, end_on, rel_t, relapsed,
    )  # fmt: skip
    tables = {
        "patients": patients,
        "courses": courses,
        "assessments": assessments,
        "milestones": milestones,
        "events": events,
        "relapses": relapses,
    }
    if with_doses:
        tables["doses"] = _doses(rng, const, drug, weight[pat], end_on, ~abstracted, course_ids)
    return _Chunk(tables=tables, patients=n_pat)


def _doses(
    rng: np.random.Generator,
    const: dict[str, Any],
    drug: np.ndarray,
    weight: np.ndarray,
    end_on: np.ndarray,
    keep: np.ndarray,
    course_ids: pa.Array,
) -> pa.Table:
    """The label schedule of each course's drug up to its stop, 5 % missed, ±2 days late/early.

    Weight rules apply (ustekinumab above 100 kg: 90 mg; infliximab 5 mg/kg).
    """
    parts_c, parts_d, parts_m = [], [], []
    for d, (weeks, normal, high, threshold, per_kg) in enumerate(const["schedules"]):
        idx = np.flatnonzero((drug == d) & keep)
        if not len(idx):
            continue
        day = np.round(weeks * 7).astype(np.int64)[None, :] + rng.integers(
            -2, 3, (len(idx), len(weeks))
        )
        day[:, 0] = 0  # the first dose defines week 0
        ok = (day <= np.round(end_on[idx] * 7)[:, None]) & (rng.random(day.shape) >= 0.05)
        ok[:, 0] = True
        mg = np.where((weight[idx] > threshold)[:, None], high[None, :], normal[None, :])
        if per_kg:
            mg = np.round(mg * weight[idx][:, None])
        rows = np.broadcast_to(idx[:, None], day.shape)[ok]
        parts_c.append(rows)
        parts_d.append(day[ok])
        parts_m.append(np.broadcast_to(mg, day.shape)[ok])
    c = np.concatenate(parts_c) if parts_c else np.zeros(0, np.int64)
    order = np.argsort(c, kind="stable")
    return _table(
        "doses",
        {
            "course_id": course_ids.take(pa.array(c[order].astype(np.int32))),
            "week": _days_to_weeks(np.concatenate(parts_d)[order]) if parts_d else np.zeros(0),
            "dose_mg": np.concatenate(parts_m)[order].astype(np.float64)
            if parts_m
            else np.zeros(0),
        },
    )


def _milestones(
    idx: np.ndarray,
    course_ids: pa.Array,
    emax: np.ndarray,
    tau: np.ndarray,
    sf_onset: np.ndarray,
    sf_len: np.ndarray,
    sf_floor: np.ndarray,
    curve: Callable[..., np.ndarray],
    stopped: np.ndarray,
    stop_week: np.ndarray,
    end_on: np.ndarray,
    rel_t: np.ndarray,
    relapsed: np.ndarray,
) -> pa.Table:
    """Milestones of chart-review courses: first weeks reached, rounded up to a 4-week visit."""
    rows_c: list[np.ndarray] = []
    rows_m: list[str] = []
    rows_w: list[np.ndarray] = []
    for level, name in ((50, "pasi50"), (75, "pasi75"), (90, "pasi90")):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = -tau[idx] * np.log(1 - level / emax[idx])
        t = np.ceil(t / 4) * 4
        ok = (emax[idx] > level) & (t <= end_on[idx]) & (t < sf_onset[idx])
        rows_c.append(idx[ok])
        rows_m += [name] * int(ok.sum())
        rows_w.append(t[ok])
    # loss of PASI50 during a secondary failure
    with np.errstate(invalid="ignore"):
        at_onset = curve(np.where(np.isfinite(sf_onset[idx]), sf_onset[idx], 0), idx)
        t_loss = sf_onset[idx] + sf_len[idx] * (at_onset - 50) / (at_onset - sf_floor[idx])
    ok = np.isfinite(sf_onset[idx]) & (t_loss <= end_on[idx])
    rows_c.append(idx[ok])
    rows_m += ["secondary_failure"] * int(ok.sum())
    rows_w.append(np.ceil(t_loss[ok]))
    ok = relapsed[idx]
    rows_c.append(idx[ok])
    rows_m += ["relapse_loss_of_pasi50"] * int(ok.sum())
    rows_w.append(np.ceil(stop_week[idx][ok] + rel_t[idx][ok]))
    c = np.concatenate(rows_c)
    w = np.concatenate(rows_w).astype(np.float64)
    m = np.array(rows_m, dtype=object)
    order = np.lexsort((w, c))
    return _table(
        "milestones",
        {
            "course_id": course_ids.take(pa.array(c[order].astype(np.int32))),
            "milestone": pa.array(m[order].tolist(), pa.string()),
            "week": w[order],
        },
    )


# --- the public entry points ----------------------------------------------------------------

#: The files written: one per cohort table.
TABLES = tuple(SCHEMAS)


def synthesize(
    courses: int,
    seed: int,
    out_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    abstracted_share: float = 0.0,
    doses: bool = False,
) -> dict[str, int]:
    """Write a synthetic cohort of ``courses`` courses as Parquet files in ``out_dir``.

    Files are named after the cohort tables (``patients.parquet``, ``courses.parquet`` …, one
    per table of ``SCHEMAS``) and hold exactly its columns. ``progress(done, total)`` is called
    after each chunk of courses. ``abstracted_share`` of courses are chart-review records
    (milestones, no visits; 0 by default, so ``milestones.parquet`` is empty). ``doses`` adds
    each course's administrations (the label schedule up to the stop, some missed; about 40 per
    course, so off by default and ``doses.parquet`` is empty). Returns each table's row count.
    """
    if courses < 0:
        raise ValueError("courses must be ≥ 0")
    if courses >= 10**ID_DIGITS:
        raise ValueError(f"courses must be < {10**ID_DIGITS}")
    if not 0.0 <= abstracted_share <= 1.0:
        raise ValueError("abstracted_share must be between 0 and 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    const = _drug_constants()
    rows = dict.fromkeys(TABLES, 0)
    writers = {
        t: pq.ParquetWriter(out_dir / f"{t}.parquet", arrow_schema(t), compression="snappy")
        for t in TABLES
    }
    try:
        done, patients, chunk_no = 0, 0, 0
        while done < courses:
            n = min(CHUNK_COURSES, courses - done)
            rng = np.random.default_rng(np.random.SeedSequence([seed, chunk_no]))
            chunk = _chunk(rng, done, patients, n, const, abstracted_share, doses)
            for t, table in chunk.tables.items():
                if table.num_rows:
                    writers[t].write_table(table, row_group_size=1 << 20)
                rows[t] += table.num_rows
            done += n
            patients += chunk.patients
            chunk_no += 1
            if progress is not None:
                progress(done, courses)
    finally:
        for w in writers.values():
            w.close()
    return rows
