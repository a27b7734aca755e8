"""De-identification for analysts: pseudonymous ids and dates shifted consistently per patient.

The pseudonym and the shift are keyed HMACs of the registry's patient id with the site's
secret, so they are stable across pages and exports but cannot be reversed without the secret.
Every date of one patient moves by the same number of days (between 30 and 365, either way),
so intervals - weeks on treatment, time to PASI75 - are preserved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac


def _digest(secret: str, patient_id: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"{purpose}:{patient_id}".encode(), hashlib.sha256).digest()


def pseudonym(secret: str, patient_id: str) -> str:
    """A stable pseudonymous id such as ``S-3f9a1c2b``."""
    return "S-" + _digest(secret, patient_id, "id").hex()[:8]


def shift_days(secret: str, patient_id: str) -> int:
    """The patient's date shift in days: ±30 to ±365, never 0."""
    n = int.from_bytes(_digest(secret, patient_id, "shift")[:4], "big")
    days = 30 + n % 336
    return days if n & 1 << 31 else -days


def shift(secret: str, patient_id: str, d: dt.date | None) -> dt.date | None:
    """``d`` moved by the patient's shift (``None`` stays ``None``)."""
    if d is None:
        return None
    return d + dt.timedelta(days=shift_days(secret, patient_id))
