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
    Integer,
    MetaData,
    String,
    Text,
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


class Versioned:
    """Mixin: integer ``version`` used for optimistic locking."""

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # admin | clinician | analyst
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PatientRow(Versioned, Base):
    __tablename__ = "patients"
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
    courses: Mapped[list[CourseRow]] = relationship(
        back_populates="patient", order_by="CourseRow.start_date", cascade="all, delete-orphan"
    )


class CourseRow(Versioned, Base):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(String(64), unique=True)
    patient_pk: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
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


class DoseRow(Versioned, Base):
    __tablename__ = "doses"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    dose_mg: Mapped[float] = mapped_column(Float)
    course: Mapped[CourseRow] = relationship(back_populates="doses")


class VisitRow(Versioned, Base):
    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
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


class EventRow(Versioned, Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
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


class RelapseRow(Versioned, Base):
    __tablename__ = "relapses"
    id: Mapped[int] = mapped_column(primary_key=True)
    course_pk: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    morphology: Mapped[str | None] = mapped_column(String(300))
    treatment: Mapped[str | None] = mapped_column(String(200))
    course: Mapped[CourseRow] = relationship(back_populates="relapses")


class AuditRow(Base):
    """One append-only audit entry: who changed which field of which record, when and why."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | login ...
    table_name: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


CLINICAL_TABLES: dict[str, type[Base]] = {
    "patients": PatientRow,
    "courses": CourseRow,
    "doses": DoseRow,
    "visits": VisitRow,
    "events": EventRow,
    "relapses": RelapseRow,
}
