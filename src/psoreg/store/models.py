"""SQLAlchemy 2 tables of the registry.

Clinical records carry a ``version`` column used for optimistic locking (SQLAlchemy's
``version_id_col``: an UPDATE that finds another version raises ``StaleDataError``; the service
layer checks the version the user read first and raises :class:`~psoreg.store.errors.Conflict`).
Dates are stored; weeks from the first dose are derived when the cohort is built.

Identifying data (``name``, ``birth_date``, ``hospital_number``) lives only on
:class:`PatientRow`; analysts see a pseudonym and shifted dates (:mod:`psoreg.store.deid`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SoftDeleted:
    """Mixin: a record deleted with a reason is kept, hidden from every query (the session's
    global filter, :mod:`psoreg.store.softdelete`), and restorable by an administrator."""

    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(64))
    deleted_reason: Mapped[str | None] = mapped_column(String(500))


class Versioned:
    """Mixin: integer ``version`` used for optimistic locking."""

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (Index("uq_users_username_ci", text("lower(username)"), unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # admin | clinician | analyst
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: sees every site, with the account's role (a national analyst); otherwise ``sites``
    all_sites: Mapped[bool] = mapped_column(Boolean, default=False)
    sites: Mapped[list[UserSite]] = relationship(
        cascade="all, delete-orphan", order_by="UserSite.site"
    )
    #: the language of the web pages for this user ("en", "ms"); None = the browser's choice
    language: Mapped[str | None] = mapped_column(String(8))


class Site(Base):
    """A centre of the registry (a hospital's dermatology department). Every patient belongs
    to one; users belong to one or more with a role at each (:class:`UserSite`)."""

    __tablename__ = "sites"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class UserSite(Base):
    """A user's role at one site (clinician or analyst)."""

    __tablename__ = "user_sites"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    site: Mapped[str] = mapped_column(ForeignKey("sites.code"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))


class AuthSession(Base):
    """A browser session held on the server: the cookie carries only a random id whose SHA-256
    is stored here, so logging out, a password change, deactivation or an administrator revokes
    it at once, in every worker process, and it does not survive a revocation after a restart."""

    __tablename__ = "auth_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token of the JSON API: scoped, expiring, revocable; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(String(100))  # space-separated: read write export
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(64))
    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """One login attempt (web page or API), counted by the persistent limiter."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_address_at", "address", "at"),
        Index("ix_login_attempts_username_at", "username", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))  # as typed, lower case
    address: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))  # html | api
    outcome: Mapped[str] = mapped_column(String(8))  # pending | failure | success | blocked


class PatientRow(SoftDeleted, Versioned, Base):
    __tablename__ = "patients"
    __table_args__ = (Index("uq_patients_patient_id_ci", text("upper(patient_id)"), unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    hospital_number: Mapped[str | None] = mapped_column(String(64))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(16), default="unknown")
    ethnicity: Mapped[str | None] = mapped_column(String(100))
    weight_kg: Mapped[float | None] = mapped_column(Float)
    phenotypes: Mapped[str | None] = mapped_column(String(300))
    phenotype_history: Mapped[str | None] = mapped_column(String(300))
    onset_year: Mapped[int | None] = mapped_column(Integer)
    psoriatic_arthritis: Mapped[bool | None] = mapped_column(Boolean)
    comorbidities: Mapped[str | None] = mapped_column(String(1000))
    biologic_naive: Mapped[bool | None] = mapped_column(Boolean)
    prior_phototherapy: Mapped[bool | None] = mapped_column(Boolean)
    prior_systemics: Mapped[str | None] = mapped_column(String(1000))
    site: Mapped[str] = mapped_column(ForeignKey("sites.code"), index=True)
    #: consent to the registry: when, which information sheet (version), what it covers
    #: (``psoreg.store.consent.SCOPES``) and the date it was withdrawn
    consent_date: Mapped[dt.date | None] = mapped_column(Date)
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_scope: Mapped[str | None] = mapped_column(String(32))
    consent_withdrawn_date: Mapped[dt.date | None] = mapped_column(Date)
    courses: Mapped[list[CourseRow]] = relationship(
        back_populates="patient",
        order_by="(CourseRow.start_date, CourseRow.id)",
        cascade="all, delete-orphan",
    )


def _partial(name: str, *columns: str, where: str) -> Index:
    """A partial index (SQLite and PostgreSQL): the rows ``where`` holds (migration 0006)."""
    return Index(name, *columns, sqlite_where=text(where), postgresql_where=text(where))


class CourseRow(SoftDeleted, Versioned, Base):
    __tablename__ = "courses"
    __table_args__ = (
        Index("uq_courses_course_id_ci", text("upper(course_id)"), unique=True),
        _partial("ix_courses_deleted", "patient_pk", where="deleted_at IS NOT NULL"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(String(64), unique=True)
    patient_pk: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    drug: Mapped[str] = mapped_column(String(64))
    regimen: Mapped[str | None] = mapped_column(String(300))
    start_date: Mapped[dt.date] = mapped_column(Date)
    stop_date: Mapped[dt.date | None] = mapped_column(Date)
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    followup_date: Mapped[dt.date | None] = mapped_column(Date)
    baseline_pasi: Mapped[float | None] = mapped_column(Float)
    baseline_dlqi: Mapped[int | None] = mapped_column(Integer)
    next_treatment: Mapped[str | None] = mapped_column(String(200))
    patient: Mapped[PatientRow] = relationship(back_populates="courses")
    doses: Mapped[list[DoseRow]] = relationship(
        back_populates="course", order_by="DoseRow.date", cascade="all, delete-orphan"
    )
    visits: Mapped[list[VisitRow]] = relationship(
        back_populates="course", order_by="VisitRow.date", cascade="all, delete-orphan"
    )
    events: Mapped[list[EventRow]] = relationship(
        back_populates="course", order_by="EventRow.date", cascade="all, delete-orphan"
    )
    relapses: Mapped[list[RelapseRow]] = relationship(
        back_populates="course", order_by="RelapseRow.date", cascade="all, delete-orphan"
    )


class DoseRow(SoftDeleted, Versioned, Base):
    __tablename__ = "doses"
    __table_args__ = (
        Index("ix_doses_course_date", "course_pk", "date"),
        _partial("ix_doses_live_course_date", "course_pk", "date", where="deleted_at IS NULL"),
        _partial("ix_doses_deleted", "course_pk", where="deleted_at IS NOT NULL"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    dose_mg: Mapped[float] = mapped_column(Float)
    course: Mapped[CourseRow] = relationship(back_populates="doses")


class VisitRow(SoftDeleted, Versioned, Base):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_course_date", "course_pk", "date"),
        _partial("ix_visits_live_course_date", "course_pk", "date", where="deleted_at IS NULL"),
        _partial("ix_visits_deleted", "course_pk", where="deleted_at IS NOT NULL"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    pasi: Mapped[float | None] = mapped_column(Float)
    #: the 16 PASI components (``head_erythema`` … ``lower_limbs_area_percent``) when entered
    pasi_components: Mapped[dict | None] = mapped_column(JSON)
    bsa: Mapped[float | None] = mapped_column(Float)
    dlqi: Mapped[int | None] = mapped_column(Integer)
    #: the 10 DLQI answers when the questionnaire was entered
    dlqi_answers: Mapped[list | None] = mapped_column(JSON)
    pga: Mapped[int | None] = mapped_column(Integer)
    course: Mapped[CourseRow] = relationship(back_populates="visits")


class EventRow(SoftDeleted, Versioned, Base):
    __tablename__ = "events"
    __table_args__ = (_partial("ix_events_deleted", "course_pk", where="deleted_at IS NOT NULL"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    date: Mapped[dt.date] = mapped_column(Date)
    morphology: Mapped[str | None] = mapped_column(String(300))
    sites: Mapped[str | None] = mapped_column(String(300))
    bsa: Mapped[float | None] = mapped_column(Float)
    management: Mapped[str | None] = mapped_column(String(500))
    drug_continued: Mapped[bool | None] = mapped_column(Boolean)
    description: Mapped[str | None] = mapped_column(Text)
    #: Naranjo answers by item key (``after_drug`` …), when causality was assessed
    naranjo: Mapped[dict | None] = mapped_column(JSON)
    #: WHO-UMC criteria by key (``time_relationship`` …), when causality was assessed
    who_umc: Mapped[dict | None] = mapped_column(JSON)
    course: Mapped[CourseRow] = relationship(back_populates="events")


class RelapseRow(SoftDeleted, Versioned, Base):
    __tablename__ = "relapses"
    __table_args__ = (_partial("ix_relapses_deleted", "course_pk", where="deleted_at IS NOT NULL"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    morphology: Mapped[str | None] = mapped_column(String(300))
    treatment: Mapped[str | None] = mapped_column(String(200))
    course: Mapped[CourseRow] = relationship(back_populates="relapses")


class AuditRow(Base):
    """One append-only audit entry: who changed which field of which record, when and why.

    ``row_hash`` is a keyed hash (HMAC-SHA256 with a key derived from the site secret) of the
    entry and of ``prev_hash``, the previous entry's hash, so the entries form a chain that
    ``psoreg audit verify`` checks (:mod:`psoreg.store.audit`).
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | login ...
    table_name: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    #: the record's version after the change (conflict pages show who changed what since)
    record_version: Mapped[int | None] = mapped_column(Integer)
    #: client address of logins and exports
    address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The end of the audit chain (one row): the last entry's id and hash, updated with every
    append under a row lock so that concurrent writers chain one after another."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    #: HMAC of a fixed text with the chain key: tells a wrong secret.key from tampering
    key_check: Mapped[str | None] = mapped_column(String(64))


#: outcome flags kept as columns of :class:`CourseOutcomeRow` (the patient list filters on them)
OUTCOME_FLAG_COLUMNS = (
    "treatment_success",
    "secondary_failure",
    "primary_failure",
    "relapse",
    "rebound",
    "paradoxical_event",
)


class CourseOutcomeRow(Base):
    """A course's outcomes as the engine derived them (``psoreg.store.outcome_table``).

    Refreshed in the same transaction as every write that changes the course's inputs;
    ``outcomes_version`` names the definitions and options that produced it, so a row of
    another version is stale and never shown. The flags the patient list filters on are
    columns; the whole row (every ``OUTCOME_COLUMNS`` value) is ``outcome``.
    """

    __tablename__ = "course_outcomes"
    #: the list's flags and the stale check read this index, never the JSON rows
    __table_args__ = (
        Index(
            "ix_course_outcomes_patient_flags",
            "patient_pk",
            "outcomes_version",
            "course_pk",
            *OUTCOME_FLAG_COLUMNS,
        ),
    )
    course_pk: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    patient_pk: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[str] = mapped_column(String(64))
    outcomes_version: Mapped[str] = mapped_column(String(32))
    treatment_success: Mapped[bool | None] = mapped_column(Boolean)
    secondary_failure: Mapped[bool | None] = mapped_column(Boolean)
    primary_failure: Mapped[bool | None] = mapped_column(Boolean)
    relapse: Mapped[bool | None] = mapped_column(Boolean)
    rebound: Mapped[bool | None] = mapped_column(Boolean)
    paradoxical_event: Mapped[bool | None] = mapped_column(Boolean)
    #: the values the dashboard counts and draws, as columns (copies of ``outcome``'s)
    drug: Mapped[str | None] = mapped_column(String(64))
    stopped: Mapped[bool | None] = mapped_column(Boolean)
    week_pasi75: Mapped[float | None] = mapped_column(Float)
    weeks_on_treatment: Mapped[float | None] = mapped_column(Float)
    survival_event: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: the course's cells of outcomes.csv, neutralised and quoted, with where its free-text
    #: cells are and the version of the code that wrote them (``psoreg.store.outcome_lines``)
    csv_line: Mapped[str | None] = mapped_column(Text)
    csv_spans: Mapped[str | None] = mapped_column(Text)
    csv_version: Mapped[str | None] = mapped_column(String(32))


class DataQuery(Base):
    """A data query (REDCap's data resolution workflow): a question raised on one field of one
    record, assigned, answered and closed; its thread is :class:`DataQueryMessage`."""

    __tablename__ = "data_queries"
    __table_args__ = (Index("ix_data_queries_site_status", "site", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(ForeignKey("sites.code"))
    patient_pk: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    table_name: Mapped[str] = mapped_column(String(32))
    record_pk: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # open | answered | closed
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    messages: Mapped[list[DataQueryMessage]] = relationship(
        cascade="all, delete-orphan", order_by="DataQueryMessage.id"
    )


class DataQueryMessage(Base):
    """One step of a query's thread: raised, answered, closed, reopened, assigned."""

    __tablename__ = "data_query_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(
        ForeignKey("data_queries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)


class ImportBatch(Base):
    """A spreadsheet uploaded for import: kept between its preview and its commit (the file
    itself is dropped once committed), audited as one batch."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(ForeignKey("sites.code"))
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # previewed | committed | refused
    #: the uploaded files (a JSON list of names with the bytes stored in ``data``, in order)
    names: Mapped[list | None] = mapped_column(JSON)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    counts: Mapped[dict | None] = mapped_column(JSON)
    committed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


CLINICAL_TABLES: dict[str, type[Base]] = {
    "patients": PatientRow,
    "courses": CourseRow,
    "doses": DoseRow,
    "visits": VisitRow,
    "events": EventRow,
    "relapses": RelapseRow,
}
