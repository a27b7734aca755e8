"""``GET /fhir/Patient/{id}/$everything``: a patient's record as a FHIR R4 Bundle.

For an EHR or a clinician's tools. Authenticate with the API's bearer token
(``POST /api/token``) or a logged-in browser session. Clinicians and admins give the registry
id and get the identified record; analysts give the pseudonym they see (``S-xxxxxxxx``) and get
it pseudonymised, dates shifted as in their exports (:mod:`psoreg.interop.fhir.export`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select

from psoreg.interop.fhir.export import bundle
from psoreg.interop.records import read_registry
from psoreg.store.deid import pseudonym
from psoreg.store.models import PatientRow
from psoreg.store.service import Actor
from psoreg.web.api import api_actor, bearer
from psoreg.web.app import current_actor, secret_of, store_of
from psoreg.web.exports import audit_export

router = APIRouter(prefix="/fhir", tags=["fhir"])
FHIR_JSON = "application/fhir+json"


def fhir_actor(
    request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    """The bearer token's user, else the browser session's (401 without either)."""
    if cred is not None:
        return api_actor(request, cred)
    from psoreg.web.app import NotLoggedIn

    try:
        return current_actor(request)
    except NotLoggedIn:
        from fastapi import HTTPException

        raise HTTPException(401, "log in, or send a bearer token from POST /api/token") from None


def _outcome(status: int, code: str, text: str) -> JSONResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON)


@router.get("/Patient/{patient_id}/$everything")
def everything(
    request: Request, patient_id: str, actor: Annotated[Actor, Depends(fhir_actor)]
) -> Any:
    """The patient's resources as a searchset Bundle (pseudonymised for analysts)."""
    secret = None if actor.identified else secret_of(request)
    with store_of(request).session() as s:
        if secret is None:
            pk = s.scalar(
                select(PatientRow.id).where(PatientRow.patient_id == patient_id.strip().upper())
            )
        else:
            rows = s.execute(select(PatientRow.id, PatientRow.patient_id)).all()
            pk = next((r[0] for r in rows if pseudonym(secret, r[1]) == patient_id), None)
        if pk is not None and actor.site_codes is not None:
            site = s.scalar(select(PatientRow.site).where(PatientRow.id == pk))
            pk = pk if site in actor.site_codes else None  # another site's: as if absent
        if pk is None:
            return _outcome(404, "not-found", f"no patient {patient_id}")
        result = bundle(read_registry(s, [pk]), secret=secret)
    result["type"] = "searchset"
    result["total"] = 1
    audit_export(request, actor, f"fhir:{patient_id}"[:64], 1)
    return JSONResponse(result, media_type=FHIR_JSON)
