"""Outcome definitions: every option has a name, a default and a cited source.

Sources (see ``shared/reference/clinical-facts.md`` and the case series' Methods):

* **Treatment success** – PASI75 at week 12 (case series Methods, citing Menter 2011 and Smith
  2017). Per-drug assessment weeks (infliximab 10; IL-17 agents and etanercept 12; adalimumab,
  IL-23 agents, ustekinumab 16; tildrakizumab 28) follow the MIMS summary — *confirm against the
  primary label* — and are used when ``primary_week_by_drug`` is set.
* **Minimal response** – PASI50 (case series Methods, citing Smith 2017 / BAD).
* **Primary failure** – minimal response not reached at the primary assessment (BAD 2017).
* **Secondary failure** – PASI50 reached, then lost while still on therapy (case series Methods,
  citing Smith 2017). Confirmation at a second visit is a psoreg option, off by default as in the
  case series.
* **Relapse after stopping** – ``loss_of_pasi50`` (default): the first visit after the stop with
  PASI > 50% of baseline, "time to lose PASI50" (case series Methods, attributed there to Menter
  2011); ``half_of_best``: loss of ≥50% of the best PASI improvement (NPF and EMEA, Papp et al.,
  BMC Dermatol 2006;6:9 Table 1). Both are always computed; the option picks the headline one.
* **Rebound** – PASI ≥125% of baseline, or new generalised pustular or erythrodermic psoriasis,
  within 3 months of stopping (NPF); PASI ≥125% of baseline, or new *pustular* (any: generalised,
  localised or palmoplantar), erythrodermic or more inflammatory psoriasis, within 2 months
  (EMEA) (Papp 2006 Table 1). "More inflammatory psoriasis" has no recorded morphology and is
  not coded. Windows are counted in days (``rebound_window_unit="days"``: 92 and 62 days, the
  longest 3 and 2 calendar months, so no flare within 3 calendar months of any stop date is
  missed) or in calendar months from the stop date where the course has a start date
  (``"calendar_months"``; otherwise days). A zero baseline PASI makes the 125% rule
  meaningless (0 ≥ 1.25 × 0): by default it does not apply (clinical-facts §1: response is
  undefined for a zero baseline); ``rebound_zero_baseline="any_pasi"`` counts any PASI > 0.
* **Relapse boundary** – NPF: "loss of 50% of the PASI improvement" (a loss of exactly half
  counts, ``half_of_best_loss="at_least_half"``); EMEA: "loss of >50%" (it does not, default
  ``"more_than_half"``) (Papp 2006 Table 1).
* **BAD minimal response** – PASI50 *and* a DLQI fall of at least 4 points from baseline (Smith
  2017; clinical-facts §3, wording UNVERIFIED; ``dlqi_mcid`` 5 gives NICE TA180's threshold),
  ``minimal_response_definition="pasi50_dlqi"``; the case series' PASI50 alone is the default.
* **Paradoxical event after the stop** – a paradoxical event is one *during* therapy (case
  series Methods; Maronese 2024). One dated after the stop is flagged
  (``n_paradoxical_after_stop``, a note in every summary) and not counted (default
  ``paradoxical_after_stop="flag"``), or counted with ``"count"``.
* **Doses** (:class:`DoseOptions`) – etanercept induction 50 mg twice weekly for 3 months =
  13 weeks (Enbrel FDA label, clinical-facts §4); a dose due in the week the course stopped is
  not reported missed (the stop decision replaces it).
* **Paradoxical event type** (:class:`CaseCoding`) – Maronese 2024's three types (new-onset,
  worsening, phenotype change) by default, or Navarro & Daudén 2014's two (de novo vs
  exacerbation), applied by one rule to registry, clinic and literature cases alike.
* **Visit window** and **baseline look-back** – psoreg conventions (no published standard; ±2
  weeks is a common protocol visit window), stated in every output.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

WEEKS_PER_MONTH = 365.25 / 12 / 7  # 4.348 weeks

RelapseDefinition = Literal["loss_of_pasi50", "half_of_best"]
ReboundDefinition = Literal["npf", "ema"]
SurvivalEvents = Literal["any_stop", "failure_stop"]
ReboundWindowUnit = Literal["days", "calendar_months"]
ReboundZeroBaseline = Literal["not_applicable", "any_pasi"]
HalfOfBestLoss = Literal["more_than_half", "at_least_half"]
MinimalResponse = Literal["pasi50", "pasi50_dlqi"]
ParadoxicalAfterStop = Literal["flag", "count"]
RecordedRelapse = Literal["counts", "ignored"]

#: Rebound windows (Papp 2006 Table 1): NPF 3 months, EMEA 2 months.
REBOUND_MONTHS: dict[str, int] = {"npf": 3, "ema": 2}


class OutcomeOptions(BaseModel):
    """The definitions the engine applies. Every field is documented with its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    primary_week: float = Field(
        12,
        ge=1,
        le=104,
        description="Primary assessment week for treatment success (case series; Menter 2011; "
        "Smith 2017).",
    )
    primary_week_by_drug: bool = Field(
        False,
        description="Use each drug's response-assessment week from the catalogue instead "
        "(MIMS summary; confirm against the label). Drugs without one use primary_week.",
    )
    window_before: float = Field(
        2, ge=0, le=26, description="Weeks before the primary week a visit may fall (psoreg)."
    )
    window_after: float = Field(
        2, ge=0, le=26, description="Weeks after the primary week a visit may fall (psoreg)."
    )
    missing_primary_as_failure: bool = Field(
        False,
        description="Count a course with no visit in the primary window as not achieving "
        "success (non-responder imputation); otherwise it is 'not assessable'.",
    )
    baseline_lookback_weeks: float = Field(
        4,
        ge=0,
        le=104,
        description="Baseline PASI = last visit at or before the first dose and no earlier than "
        "this many weeks before it, unless the course states its baseline (psoreg).",
    )
    secondary_failure_confirmation: bool = Field(
        False,
        description="Require the next on-therapy visit to confirm loss of PASI50 (psoreg; the "
        "case series does not).",
    )
    relapse_definition: RelapseDefinition = Field(
        "loss_of_pasi50",
        description="Headline relapse definition: loss_of_pasi50 (case series, after Menter "
        "2011) or half_of_best (NPF/EMEA, Papp 2006).",
    )
    recorded_relapse: RecordedRelapse = Field(
        "counts",
        description="A relapse episode recorded by the clinic (its date, morphology) counts as "
        "a relapse under both definitions, at the earlier of its week and the PASI's, even "
        "with no later visit (counts; the outcome's relapse_source says 'recorded'); ignored "
        "keeps the PASI-only definitions (psoreg; the case series counts relapses from the "
        "charts).",
    )
    rebound_definition: ReboundDefinition = Field(
        "npf", description="Rebound window: npf = 3 months, ema = 2 months (Papp 2006)."
    )
    rebound_pasi_ratio: float = Field(
        1.25, ge=1, le=3, description="Rebound PASI threshold as a multiple of baseline (NPF)."
    )
    rebound_window_unit: ReboundWindowUnit = Field(
        "days",
        description="Rebound window counted in days (rebound_days_npf/ema) or in calendar "
        "months from the stop date (courses with a start date; others use days).",
    )
    rebound_days_npf: int = Field(
        92,
        ge=1,
        le=366,
        description="NPF rebound window in days: 3 months = up to 92 days (Papp 2006).",
    )
    rebound_days_ema: int = Field(
        62,
        ge=1,
        le=366,
        description="EMEA rebound window in days: 2 months = up to 62 days (Papp 2006).",
    )
    rebound_zero_baseline: ReboundZeroBaseline = Field(
        "not_applicable",
        description="Baseline PASI 0: the 125% rule does not apply (not_applicable; response is "
        "undefined for a zero baseline, clinical-facts §1) or any PASI > 0 counts (any_pasi).",
    )
    half_of_best_loss: HalfOfBestLoss = Field(
        "more_than_half",
        description="half_of_best relapse: loss of more than half the best improvement (EMEA, "
        "'>50%') or of at least half (NPF, 'loss of 50%') (Papp 2006 Table 1).",
    )
    minimal_response_definition: MinimalResponse = Field(
        "pasi50",
        description="Minimal response: PASI50 (case series) or PASI50 and a DLQI fall of at "
        "least dlqi_mcid points from baseline (BAD, Smith 2017).",
    )
    dlqi_mcid: int = Field(
        4,
        ge=1,
        le=30,
        description="DLQI fall for the BAD minimal response: 4 (BAD; Basra 2015) "
        "or 5 (NICE TA180).",
    )
    paradoxical_after_stop: ParadoxicalAfterStop = Field(
        "flag",
        description="A paradoxical event dated after the stop: flagged and not counted (flag; "
        "paradoxical events occur on therapy, case series; Maronese 2024) or counted (count).",
    )
    survival_events: SurvivalEvents = Field(
        "any_stop",
        description="Drug survival event: any stop (default) or only stops for failure "
        "(inefficacy, secondary failure, adverse or paradoxical event); other stops censor.",
    )

    def rebound_days(self, definition: str | None = None) -> int:
        """The rebound window of ``definition`` (default: the headline one) in days."""
        d = definition or self.rebound_definition
        return self.rebound_days_npf if d == "npf" else self.rebound_days_ema

    def rebound_weeks(self, definition: str | None = None) -> float:
        """The rebound window in weeks (days / 7), for courses without calendar dates."""
        return self.rebound_days(definition) / 7

    def describe(self) -> list[dict[str, object]]:
        """Each option's name, value and description, for outputs and the appendix."""
        return [
            {"option": name, "value": getattr(self, name), "definition": f.description}
            for name, f in type(self).model_fields.items()
        ]


DEFINITIONS: dict[str, str] = {
    "baseline_pasi": "PASI at the first dose (course's stated baseline, else last visit in the "
    "look-back window).",
    "week_pasiNN": "First on-therapy week with improvement ≥ NN% from baseline (PASI NN); "
    "PASI100 = PASI 0 (Carlin 2004; clinical-facts §1).",
    "week_pasi_leN": "First on-therapy week with absolute PASI ≤ N (MIMS ≤2; Gisondi 2021 ≤3).",
    "treatment_success": "PASI75 at the primary assessment visit (case series; Menter 2011; "
    "Smith 2017).",
    "minimal_response": "PASI50 at the primary assessment visit (Smith 2017).",
    "primary_failure": "Minimal response not reached at the primary assessment (BAD 2017).",
    "secondary_failure": "PASI50 reached, later lost while on therapy (Smith 2017).",
    "relapse_loss_of_pasi50": "After stopping, first visit with improvement < 50% (time to lose "
    "PASI50; case series).",
    "relapse_half_of_best": "After stopping, first visit with improvement < half the best "
    "on-therapy improvement (NPF/EMEA; Papp 2006).",
    "relapse_source": "What showed the headline relapse: the PASI (pasi), a relapse episode the "
    "clinic recorded (recorded), or both; recorded episodes count (recorded_relapse).",
    "rebound": "PASI ≥ ratio × baseline (baseline > 0), or new generalised pustular or "
    "erythrodermic psoriasis within 3 months of stopping (NPF); or new pustular (any, incl. "
    "palmoplantar) or erythrodermic psoriasis within 2 months (EMEA) (Papp 2006).",
    "minimal_response_pasi50_dlqi": "PASI50 and DLQI fall ≥ dlqi_mcid from baseline at the "
    "primary visit (BAD, Smith 2017).",
    "n_paradoxical_after_stop": "Paradoxical events dated after the stop (flagged; counted only "
    "with paradoxical_after_stop=count).",
    "weeks_on_treatment": "Start to stop; ongoing courses censored at last follow-up.",
    "paradoxical_event": "A recorded paradoxical event during the course; latency from first dose.",
}


DoseDueAtStop = Literal["not_missed", "missed"]


class DoseOptions(BaseModel):
    """How recorded doses are compared with the label schedule (``psoreg doses``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    etanercept_induction_weeks: float = Field(
        13,
        ge=1,
        le=26,
        description="Etanercept 50 mg twice weekly for 3 months = 13 weeks (26 doses) (Enbrel "
        "FDA label Table 1; clinical-facts §4); 12 reproduces psoreg's earlier 12-week model.",
    )
    dose_due_at_stop: DoseDueAtStop = Field(
        "not_missed",
        description="A dose due in the week the course stopped is not missed (the stop decision "
        "replaces it; not_missed) or is reported missed (missed).",
    )

    def describe(self) -> list[dict[str, object]]:
        return [
            {"option": name, "value": getattr(self, name), "definition": f.description}
            for name, f in type(self).model_fields.items()
        ]


EventTypeCoding = Literal["maronese_2024", "navarro_2014"]


class CaseCoding(BaseModel):
    """How a paradoxical event's type is coded, one rule for registry, clinic and literature."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_types: EventTypeCoding = Field(
        "maronese_2024",
        description="maronese_2024: new-onset, worsening (no new morphology) or phenotype change "
        "(a morphology the patient had not had) (Maronese 2024, JID); navarro_2014: de novo vs "
        "exacerbation (worsening and phenotype change together) (Navarro & Daudén 2014).",
    )
