"""The FHIR mapping's reference data (``psoreg/data/fhir/mapping.json``) and small helpers."""

from __future__ import annotations

import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "data" / "fhir" / "mapping.json"
#: the namespace of the resources' ids (uuid5 of "<type>/<key>": stable across exports)
NAMESPACE = uuid.UUID("5b0c1f0e-8f0a-5d7e-9a53-0d3c4b2a7e15")


@cache
def mapping() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def system(name: str) -> str:
    return mapping()["systems"][name]


def codesystem() -> str:
    return mapping()["codesystem"]


def id_system(name: str) -> str:
    return mapping()["identifier_systems"][name]


def ext_url(name: str) -> str:
    return mapping()["extension_base"] + name.replace("_", "-")


def psoreg_coding(code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": codesystem(), "code": code.replace(" ", "-")}
    if display:
        out["display"] = display
    return out


def concept(name: str, text: str | None = None) -> dict[str, Any]:
    """A CodeableConcept for ``name``: the codings of mapping.json, then psoreg's own."""
    display = mapping()["displays"].get(name, name)
    codings = [
        {"system": system(s), "code": c, "display": d} for s, c, d in mapping()["codes"][name]
    ]
    codings.append(psoreg_coding(name, display))
    return {"coding": codings, "text": text or display}


def psoreg_code(cc: dict[str, Any] | None) -> str | None:
    """psoreg's code in a CodeableConcept (None if it has none)."""
    for c in (cc or {}).get("coding", []):
        if c.get("system") == codesystem():
            return c.get("code")
    return None


def has_code(cc: dict[str, Any] | None, name: str) -> bool:
    """True if ``cc`` carries psoreg's code ``name`` or one of the mapped codings of ``name``."""
    if psoreg_code(cc) == name:
        return True
    known = {(system(s), c) for s, c, _ in mapping()["codes"].get(name, [])}
    return any((c.get("system"), c.get("code")) in known for c in (cc or {}).get("coding", []))


def rid(kind: str, key: str) -> str:
    """A stable resource id (a uuid5): FHIR ids allow only [A-Za-z0-9-.]{1,64}."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{key}"))


def extensions(table: str) -> dict[str, tuple[str, str]]:
    """field -> (resource type, FHIR value type) of the registry fields kept as extensions."""
    out = {}
    for key, (resource, vtype) in mapping()["extensions"].items():
        t, f = key.split(".", 1)
        if t == table:
            out[f] = (resource, vtype)
    return out
