"""The report's fixed wording in one place: titles, captions, footnotes and notes.

Each text is marked with ``N_`` (for the catalogues, src/psoreg/i18n) and translated where it is
used, with ``_(strings.NAME)``, in the report's language; placeholders use ``str.format`` names.
"""

from __future__ import annotations

from psoreg.i18n import N_

KM_TITLES = {
    "pasi75": N_("Time to PASI75"),
    "pasi90": N_("Time to PASI90"),
    "drug_survival": N_("Drug survival"),
    "relapse_free": N_("Relapse-free time after stopping"),
}

KM_CAPTIONS = {
    "pasi75": N_(
        "Cumulative proportion of courses reaching PASI75; courses not reaching it are "
        "censored at their last week on treatment."
    ),
    "pasi90": N_(
        "Cumulative proportion of courses reaching PASI90; courses not reaching it are "
        "censored at their last week on treatment."
    ),
    "drug_survival": N_(
        "Proportion of courses still on the drug; ongoing courses are censored at last follow-up."
    ),
    "relapse_free": N_(
        "Proportion of courses without relapse after stopping, over courses stopped "
        "while responding; no relapse = censored at last follow-up."
    ),
}

KM_METHOD = N_(
    "Kaplan–Meier estimate; shaded: pointwise 95% CI ({ci}); vertical ticks: censored; "
    "markers: event times; table: number at risk. Median = {median}; its 95% CI is where the "
    "band crosses 0.5 (R print.survfit rule); NR = not reached, NA = not estimable."
)

SWIMMER_TITLE = N_("Swimmer plot of the courses")
SWIMMER_CAPTION = N_(
    "One bar per course from the first dose to the stop or last follow-up, shaded by drug; "
    "filled triangles: first PASI75; open diamonds: first PASI90; crosses: secondary failure; "
    "stars: paradoxical event; dotted line to an open circle: relapse after the stop; arrow: "
    "ongoing. The stop reason is written at the end of each row."
)
TRAJECTORIES_TITLE = N_("PASI trajectories")
TRAJECTORIES_CAPTION_VISITS = N_(
    "Absolute PASI and improvement from baseline (%) per course (one line style and marker per "
    "course), with PASI50/75/90 reference lines. Each point is a visit; the vertical bar marks "
    "the stop, and visits after it (off treatment) are drawn with open markers and a thin "
    "dotted line."
)
TRAJECTORIES_CAPTION_MILESTONES = N_(
    "Abstracted data: the first week each response level was reached, per course, as "
    "unconnected markers (nothing was measured between them); absolute PASI is the upper bound "
    "each milestone implies, with PASI50/75/90 reference lines."
)
FLOW_TITLE = N_("Flow of the courses")
FLOW_CAPTION = N_(
    "Courses included, assessable at the primary week, stopped, followed up after the stop and "
    "relapsed (STROBE item 13: numbers at each stage, with the reasons for leaving)."
)

SUPPRESSED_PER_PATIENT = N_(
    "Per-patient tables and figures (Table 1, Table 2, swimmer plot, PASI trajectories) are "
    "left out because small-count suppression (--suppress-below {k}) is on: each row or line "
    "describes one patient."
)
