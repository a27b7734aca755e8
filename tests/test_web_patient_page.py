"""The patient page reads who is asking and what to show with few statements (issue 11): the
session, its user and the user's sites in one query, the patient with its site's name and
whether it has an open data query in another. What each must still do, on SQLite and
PostgreSQL: a logout, a deactivation or a withdrawn site membership stops the very next page;
the site's name and the open queries are shown.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from psoreg.accounts import users
from psoreg.store import queries, sites
from psoreg.store.models import PatientRow, Site, VisitRow
from psoreg.store.service import Actor
from tests.web_conftest import login


def _first_patient(store) -> tuple[int, str, str]:
    with store.reader() as s:
        pk, site = s.execute(select(PatientRow.id, PatientRow.site).order_by(PatientRow.id)).first()
        return pk, site, s.scalar(select(Site.name).where(Site.code == site))


def test_a_logout_or_deactivation_stops_the_next_patient_page(web_app, seeded_store) -> None:
    pk, _site, _name = _first_patient(seeded_store)
    with TestClient(web_app) as c, TestClient(web_app) as other:
        token = login(c, "clinician")
        login(other, "clinician")
        assert c.get(f"/patients/{pk}").status_code == 200
        assert c.post("/logout", data={"csrf_token": token}).status_code == 200
        r = c.get(f"/patients/{pk}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert other.get(f"/patients/{pk}").status_code == 200  # the other session lives on
        with seeded_store.session() as s:
            users.set_active(s, "clinician", False, by="admin")
        r = other.get(f"/patients/{pk}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"


def test_site_memberships_apply_to_the_next_patient_page(web_app, seeded_store) -> None:
    pk, site, name = _first_patient(seeded_store)
    with seeded_store.session() as s:
        sites.add_site(s, "ZZ", "Second clinic", by="admin")
    with TestClient(web_app) as c:
        login(c, "clinician")
        r = c.get(f"/patients/{pk}")
        assert r.status_code == 200 and f'<span id="patient-site">{site}</span>' in r.text
        assert f'<span class="muted">({name})</span>' in r.text
        # two sites, the patient's as an analyst: de-identified at once
        with seeded_store.session() as s:
            sites.set_memberships(
                s,
                "clinician",
                [sites.Membership("ZZ", "clinician"), sites.Membership(site, "analyst")],
                by="admin",
            )
        r = c.get(f"/patients/{pk}")
        assert r.status_code == 200 and "Edit patient" not in r.text
        # the patient's site withdrawn: not found on the next request
        with seeded_store.session() as s:
            sites.set_memberships(s, "clinician", [sites.Membership("ZZ", "clinician")], by="admin")
        assert c.get(f"/patients/{pk}").status_code == 404
        with seeded_store.session() as s:
            sites.set_memberships(s, "clinician", [sites.Membership(site, "clinician")], by="admin")
        r = c.get(f"/patients/{pk}")
        assert r.status_code == 200 and "Edit patient" in r.text


def test_an_open_data_query_is_listed_and_flags_its_row(web_app, seeded_store) -> None:
    pk, site, _name = _first_patient(seeded_store)
    with seeded_store.reader() as s:
        visit = s.scalar(
            select(VisitRow.id)
            .join(VisitRow.course)
            .where(VisitRow.course.property.mapper.class_.patient_pk == pk)
            .order_by(VisitRow.id)
        )
    with TestClient(web_app) as c:
        login(c, "clinician")
        page = c.get(f"/patients/{pk}").text
        assert 'id="open-queries"' not in page and 'class="flag bad" title="open' not in page
        with seeded_store.session() as s:
            actor = Actor("clinician", "clinician", sites=((site, "clinician"),))
            queries.raise_query(s, actor, "visits", visit, "pasi", "Is this PASI right?")
        page = c.get(f"/patients/{pk}").text
        assert 'id="open-queries"' in page and "Is this PASI right?" in page
        row = page.split(f'href="/edit/visits/{visit}"')[1].split("</tr>")[0]
        assert 'class="flag bad" title="open data query">?</span>' in row
