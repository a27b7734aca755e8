"""Per-transaction bookkeeping in ``Session.info`` that survives SAVEPOINTs.

The audit trail (:mod:`psoreg.store.audit`) and the stored outcomes
(:mod:`psoreg.store.outcome_table`) remember in ``session.info`` what a transaction wrote and act
on it at the outer commit. SQLAlchemy fires ``after_rollback`` for a SAVEPOINT rolled back as well
as for the whole transaction, so forgetting there would lose what the enclosing transaction wrote
before the savepoint (the earlier units of a group commit, say): their outcomes would never be
refreshed. The bookkeeping is therefore forgotten only when the outermost transaction ends.

A savepoint rolled back leaves its own entries behind. That over-approximates safely: a patient
whose outcomes are refreshed needlessly gets the same values again, and the audit check may see
a rolled-back write without its (also rolled-back) entry, which fails the commit loudly rather than
letting anything through (the group commit then retries each unit alone).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker


def forget_at_end(factory: sessionmaker[Session], keys: Iterable[str]) -> None:
    """Drop ``session.info[key]`` for each of ``keys`` when a session's outermost transaction
    ends (committed or rolled back), never at a savepoint (sessions of ``factory``)."""
    keys = tuple(keys)

    def end(session: Session, tx: SessionTransaction) -> None:
        if tx.parent is None:
            for k in keys:
                session.info.pop(k, None)

    event.listen(factory, "after_transaction_end", end)
