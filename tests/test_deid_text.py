"""Free text as analysts see it (issue 10): dates shifted like the record dates, hospital
numbers, phone numbers, e-mail addresses and the patient's own name masked - on the patient
page, in the CSV/Excel exports and through the API."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from psoreg.store import deid, service
from psoreg.web import create_app
from tests.web_conftest import PASSWORDS, TEST_SECRET, login

SECRET = "s3cret"


def _shifted(pid: str, iso: str) -> str:
    return (dt.date.fromisoformat(iso) + dt.timedelta(deid.shift_days(SECRET, pid))).isoformat()


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("seen on 2024-03-05 in clinic", "2024-03-05"),
        ("seen on 05/03/2024 in clinic", "2024-03-05"),
        ("seen on 5.3.2024 in clinic", "2024-03-05"),
        ("seen on 5 March 2024 in clinic", "2024-03-05"),
        ("seen on 5th of Mar 2024 in clinic", "2024-03-05"),
        ("seen on March 5, 2024 in clinic", "2024-03-05"),
        ("seen on 12/31/2024 in clinic", "2024-12-31"),
    ],
)
def test_dates_in_text_are_shifted_like_the_record_dates(text: str, day: str) -> None:
    out = deid.scrub(SECRET, "P01", text)
    assert out == f"seen on {_shifted('P01', day)} in clinic"


def test_identifiers_phones_emails_and_names_are_masked() -> None:
    text = (
        "Mrs Aisha Rahman (MRN 00123456, IC 850101-14-5678, hospital no. KL-99812) phoned "
        "from +60 12-345 6789 / (03) 7946 0958, wrote to aisha.r@example.my; Aisha agreed. "
        "Ustekinumab 45 mg at weeks 0, 4 then every 12; PASI 12.4 at week 16; doses 45 90 45."
    )
    out = deid.scrub(SECRET, "P01", text, ("Aisha Rahman", "KL-99812"))
    for secret in ("Aisha", "Rahman", "00123456", "850101", "KL-99812", "6789", "0958", "@"):
        assert secret not in out, (secret, out)
    assert out.count("[id]") == 3 and out.count("[phone]") == 2 and "[email]" in out
    # clinical numbers survive
    assert "45 mg at weeks 0, 4 then every 12; PASI 12.4 at week 16; doses 45 90 45" in out
    assert "Jan 2023" not in deid.scrub(SECRET, "P01", "since Jan 2023")
    assert deid.scrub(SECRET, "P01", "on 31/02/2024") == "on [date]"
    assert deid.scrub(SECRET, "P01", None) is None


@pytest.fixture
def registry(accounts_store):
    """One patient whose free text holds a date, a hospital number, a phone and their name."""
    with accounts_store.session() as s:
        actor = service.Actor("clinician", "clinician")
        p = service.create(
            s,
            actor,
            "patients",
            {
                "patient_id": "P7",
                "name": "Aisha Rahman",
                "hospital_number": "KL-99812",
                "birth_date": "1980-05-01",
                "comorbidities": "hypertension since 2019-04-02",
            },
        )
        c = service.create(
            s,
            actor,
            "courses",
            {"drug": "ustekinumab", "start_date": "2024-01-08", "regimen": "call 012-345 6789"},
            p.id,
        )
        service.create(
            s,
            actor,
            "events",
            {
                "kind": "paradoxical",
                "date": "2024-03-05",
                "morphology": "palmoplantar pustular",
                "description": "Aisha noticed pustules on 05/03/2024 (MRN 00123456)",
            },
            c.id,
        )
        pk = p.id
    return accounts_store, pk


def test_the_analyst_sees_scrubbed_free_text_everywhere(registry) -> None:
    store, pk = registry
    shifted = (dt.date(2024, 3, 5) + dt.timedelta(deid.shift_days(TEST_SECRET, "P7"))).isoformat()
    leaks = ("Aisha", "Rahman", "00123456", "05/03/2024", "2024-03-05", "345 6789", "2019-04-02")
    with TestClient(create_app(store, TEST_SECRET)) as c:
        login(c, "analyst")
        page = c.get(f"/patients/{pk}").text
        events = c.get("/export/events.csv").text
        patients = c.get("/export/patients.csv").text
        courses = c.get("/export/courses.csv").text
        xlsx = pd.read_excel(io.BytesIO(c.get("/export/registry.xlsx").content), sheet_name=None)
        tok = c.post(
            "/api/token", json={"username": "analyst", "password": PASSWORDS["analyst"]}
        ).json()["token"]
        api = c.get("/api/export/events", headers={"Authorization": f"Bearer {tok}"}).json()
    book = " ".join(df.to_csv() for df in xlsx.values())
    for where, text in {
        "page": page,
        "events.csv": events,
        "patients.csv": patients,
        "courses.csv": courses,
        "xlsx": book,
        "api": str(api),
    }.items():
        for leak in leaks:
            assert leak not in text, (where, leak)
    assert f"[name] noticed pustules on {shifted} ([id])" in page
    assert api[0]["description"] == f"[name] noticed pustules on {shifted} ([id])"
    assert pd.read_csv(io.StringIO(courses))["regimen"].iloc[0] == "call [phone]"
    # the clinician sees the text as written
    with TestClient(create_app(store, TEST_SECRET)) as c:
        login(c, "clinician")
        assert (
            "Aisha noticed pustules on 05/03/2024 (MRN 00123456)"
            in c.get("/export/events.csv").text
        )
