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
  within 3 months (NPF) or 2 months (EMEA) of stopping (Papp 2006 Table 1).
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

REBOUND_MONTHS: dict[str, float] = {"npf": 3.0, "ema": 2.0}


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
    rebound_definition: ReboundDefinition = Field(
        "npf", description="Rebound window: npf = 3 months, ema = 2 months (Papp 2006)."
    )
    rebound_pasi_ratio: float = Field(
        1.25, ge=1, le=3, description="Rebound PASI threshold as a multiple of baseline (NPF)."
    )
    survival_events: SurvivalEvents = Field(
        "any_stop",
        description="Drug survival event: any stop (default) or only stops for failure "
        "(inefficacy, secondary failure, adverse or paradoxical event); other stops censor.",
    )

    def rebound_weeks(self, definition: str | None = None) -> float:
        return REBOUND_MONTHS[definition or self.rebound_definition] * WEEKS_PER_MONTH

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
    "rebound": "PASI ≥ ratio × baseline, or new generalised pustular/erythrodermic psoriasis, "
    "within the NPF (3 months) or EMEA (2 months) window after stopping (Papp 2006).",
    "weeks_on_treatment": "Start to stop; ongoing courses censored at last follow-up.",
    "paradoxical_event": "A recorded paradoxical event during the course; latency from first dose.",
}
