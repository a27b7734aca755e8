"""Soft delete: a deleted record is kept, with who deleted it, when and why, and hidden.

Every ORM query of a session from a factory given to :func:`install` leaves out the records
of the six clinical tables whose ``deleted_at`` is set - the query's own rows and every
relationship it loads (SQLAlchemy's documented "global filter" recipe: ``with_loader_criteria``
added in ``do_orm_execute``). So the patient page, the list, the outcome engine's cohort, the
stored outcomes, the exports, REDCap and FHIR never see them, without each remembering to.

An administrator's pages (the deleted records, restoring one) and the uniqueness checks of ids
ask for them with ``execution_options(include_deleted=True)``. Queries through
``Session.connection()`` (Core, not ORM) are not filtered: they say ``deleted_at IS NULL``
themselves.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from psoreg.store.models import SoftDeleted

INCLUDE_DELETED = "include_deleted"


def _hide_deleted(state: ORMExecuteState) -> None:
    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get(INCLUDE_DELETED, False)
    ):
        state.statement = state.statement.options(
            with_loader_criteria(
                SoftDeleted, lambda cls: cls.deleted_at.is_(None), include_aliases=True
            )
        )


def install(factory: sessionmaker[Session]) -> None:
    """Make every session of ``factory`` hide soft-deleted clinical records."""
    event.listen(factory, "do_orm_execute", _hide_deleted)
