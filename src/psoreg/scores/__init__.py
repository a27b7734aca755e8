"""Clinical score calculators: pure functions, no I/O.

Each module's docstring cites the clinical source of each definition
(``shared/reference/clinical-facts.md`` sections 1-2), including the UNVERIFIED points:

* :mod:`~psoreg.scores.pasi` -- PASI, PASI response (:mod:`~psoreg.scores.area` holds the 0-6
  area score shared with PPPASI)
* :mod:`~psoreg.scores.bsa` -- BSA %, palm method, NPF severity band
* :mod:`~psoreg.scores.dlqi` -- DLQI with the Cardiff rules, bands, MCID
* :mod:`~psoreg.scores.pga` -- 5-point sPGA
* :mod:`~psoreg.scores.pppasi` -- PPPASI and PPP PGA
* :mod:`~psoreg.scores.gppga` -- GPPGA
* :mod:`~psoreg.scores.napsi` -- NAPSI (standard and long)

Every rejected input raises :class:`psoreg.errors.InvalidValue` naming the field and the allowed
values.
"""

from psoreg.scores.area import AREA_SCORE_MAX, area_score
from psoreg.scores.bsa import (
    BSA_MAX,
    PALM_PERCENT,
    NpfSeverity,
    bsa_from_palms,
    npf_severity,
    validate_bsa,
)
from psoreg.scores.dlqi import (
    DLQI_ANSWERS,
    DLQI_ITEM7_ANSWERS,
    DLQI_ITEMS,
    DLQI_MAX,
    DLQI_MCID,
    DLQI_SUBSCALES,
    DlqiAnswer,
    DlqiBand,
    DlqiResult,
    dlqi,
    dlqi_band,
    dlqi_improved,
    validate_dlqi_total,
)
from psoreg.scores.gppga import GPPGA_MAX, GppgaResult, gppga, gppga_grade_from_mean
from psoreg.scores.napsi import (
    NAPSI_BED_FEATURES,
    NAPSI_FEATURES,
    NAPSI_MATRIX_FEATURES,
    NAPSI_MAX_NAILS,
    NailScore,
    NapsiResult,
    long_nail_from_quadrants,
    nail_from_quadrants,
    napsi,
    napsi_long,
    napsi_long_nail,
)
from psoreg.scores.pasi import (
    PASI_MAX,
    PASI_REGIONS,
    PASI_RESPONSE_THRESHOLDS,
    PASI_WEIGHTS,
    PasiResponse,
    PasiResult,
    RegionScore,
    improvement,
    pasi,
    pasi_from_components,
    response,
    validate_pasi_total,
)
from psoreg.scores.pga import (
    SPGA_LABELS,
    SPGA_MAX,
    is_clear_or_almost_clear,
    spga_from_components,
    spga_label,
    validate_spga,
)
from psoreg.scores.pppasi import (
    PPP_PGA_LABELS,
    PPPASI_MAX,
    PPPASI_REGIONS,
    PPPASI_WEIGHTS,
    PppasiRegionScore,
    PppasiResult,
    ppp_pga_label,
    pppasi,
    pppasi_from_components,
    validate_ppp_pga,
)

__all__ = [
    "AREA_SCORE_MAX",
    "BSA_MAX",
    "DLQI_ANSWERS",
    "DLQI_ITEM7_ANSWERS",
    "DLQI_ITEMS",
    "DLQI_MAX",
    "DLQI_MCID",
    "DLQI_SUBSCALES",
    "GPPGA_MAX",
    "NAPSI_BED_FEATURES",
    "NAPSI_FEATURES",
    "NAPSI_MATRIX_FEATURES",
    "NAPSI_MAX_NAILS",
    "PALM_PERCENT",
    "PASI_MAX",
    "PASI_REGIONS",
    "PASI_RESPONSE_THRESHOLDS",
    "PASI_WEIGHTS",
    "PPPASI_MAX",
    "PPPASI_REGIONS",
    "PPPASI_WEIGHTS",
    "PPP_PGA_LABELS",
    "SPGA_LABELS",
    "SPGA_MAX",
    "DlqiAnswer",
    "DlqiBand",
    "DlqiResult",
    "GppgaResult",
    "NailScore",
    "NapsiResult",
    "NpfSeverity",
    "PasiResponse",
    "PasiResult",
    "PppasiRegionScore",
    "PppasiResult",
    "RegionScore",
    "area_score",
    "bsa_from_palms",
    "dlqi",
    "dlqi_band",
    "dlqi_improved",
    "gppga",
    "gppga_grade_from_mean",
    "improvement",
    "is_clear_or_almost_clear",
    "long_nail_from_quadrants",
    "nail_from_quadrants",
    "napsi",
    "napsi_long",
    "napsi_long_nail",
    "npf_severity",
    "pasi",
    "pasi_from_components",
    "ppp_pga_label",
    "pppasi",
    "pppasi_from_components",
    "response",
    "spga_from_components",
    "spga_label",
    "validate_bsa",
    "validate_dlqi_total",
    "validate_pasi_total",
    "validate_ppp_pga",
    "validate_spga",
]
