"""Sites (the centres of a multi-centre registry) and users' roles at them.

Every patient belongs to one site. A user belongs to one or more sites with a role at each
(clinician or analyst): the role at a site decides what the user sees and does with its
patients - clinicians see and change only their sites' patients, analysts see (de-identified)
and export only their sites'. An account granted **all sites** has its own role at every site
(a national analyst, a registry-wide data manager); administrators act at every site and manage
sites and memberships. Every change is audited (table ``sites`` / ``users``).

A new registry has one site, ``MAIN`` ("Main site"); a single clinic never needs another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from psoreg.i18n import _
from psoreg.store import audit
from psoreg.store import parse as p
from psoreg.store.errors import FieldError, Forbidden, NotFound
from psoreg.store.models import PatientRow, Site, User, UserSite

DEFAULT_SITE = "MAIN"
CODE_LENGTH = 16
_code = p.identifier(CODE_LENGTH)
_name = p.limited_text(200)


def _require_admin(actor: Any) -> None:
    if actor is not None and not actor.is_admin:
        raise Forbidden(_("only administrators manage sites and memberships"))


def _audit(
    s: Session, by: str, action: str, table: str, rid: str, changes: dict, addr: Any
) -> None:
    audit.record(
        s, username=by, action=action, table=table, record_id=rid, changes=changes, address=addr
    )


def all_sites(s: Session, *, active_only: bool = False) -> list[Site]:
    q = select(Site).order_by(Site.code)
    if active_only:
        q = q.where(Site.active)
    return list(s.scalars(q))


def get_site(s: Session, code: str) -> Site:
    site = s.get(Site, (code or "").strip().upper())
    if site is None:
        raise NotFound(_("no site {code}").format(code=repr(code)))
    return site


def add_site(s: Session, code: Any, name: Any, by: str, address: str | None = None) -> Site:
    """A new site: a code (letters, digits, . - _, up to 16, stored in upper case; it never
    changes) and a name."""
    errors: dict[str, str] = {}
    c = n = None
    try:
        c = _code("code", code)
    except FieldError as exc:
        errors.update(exc.errors)
    try:
        n = _name("name", name)
    except FieldError as exc:
        errors.update(exc.errors)
    if not c:
        errors.setdefault("code", _("required"))
    elif s.get(Site, c) is not None:
        errors["code"] = _("{code} already exists").format(code=c)
    if not n:
        errors.setdefault("name", _("required"))
    if errors:
        raise FieldError(errors)
    site = Site(code=c, name=n, active=True)
    s.add(site)
    s.flush()
    _audit(s, by, "create", "sites", c, {"code": (None, c), "name": (None, n)}, address)  # type: ignore[arg-type]
    return site


def update_site(
    s: Session,
    code: str,
    by: str,
    *,
    name: Any = None,
    active: bool | None = None,
    address: str | None = None,
) -> Site:
    """Rename a site, or close it to new patients (``active=False``) and open it again."""
    site = get_site(s, code)
    changes: dict[str, tuple[Any, Any]] = {}
    if name is not None:
        new = _name("name", name)
        if not new:
            raise FieldError({"name": _("required")})
        if new != site.name:
            changes["name"] = (site.name, new)
            site.name = new
    if active is not None and active != site.active:
        changes["active"] = (site.active, active)
        site.active = active
    if changes:
        s.flush()
        _audit(s, by, "update", "sites", site.code, changes, address)
    return site


@dataclass(frozen=True)
class Membership:
    site: str
    role: str


def parse_memberships(items: list[str], default_role: str) -> list[Membership]:
    """``["KL", "PEN:analyst"]`` -> memberships (the role defaults to the account's)."""
    from psoreg.store.service import SITE_ROLES

    out: dict[str, Membership] = {}
    for item in items:
        code, _sep, role = item.partition(":")
        role = (role or default_role).strip().lower()
        if role == "admin":
            role = "clinician"
        if role not in SITE_ROLES:
            raise FieldError(
                {
                    "sites": _("{item}: the role at a site is one of {roles}").format(
                        item=item, roles=", ".join(SITE_ROLES)
                    )
                }
            )
        out[code.strip().upper()] = Membership(code.strip().upper(), role)
    return list(out.values())


def set_memberships(
    s: Session,
    username: str,
    memberships: list[Membership],
    by: str,
    *,
    all_sites: bool | None = None,
    address: str | None = None,
) -> User:
    """Replace a user's sites and roles (and, when given, the all-sites grant); audited."""
    from psoreg.accounts.users import get as get_user
    from psoreg.store.service import SITE_ROLES

    user = get_user(s, username)
    errors = {}
    for m in memberships:
        if s.get(Site, m.site) is None:
            errors["sites"] = _("no site {code}").format(code=repr(m.site))
        elif m.role not in SITE_ROLES:
            errors["sites"] = _("{item}: the role at a site is one of {roles}").format(
                item=m.site, roles=", ".join(SITE_ROLES)
            )
    if errors:
        raise FieldError(errors)
    before = {m.site: m.role for m in user.sites}
    after = {m.site: m.role for m in memberships}
    changes: dict[str, tuple[Any, Any]] = {}
    if before != after:
        changes["sites"] = (_text(before), _text(after))
        for m in list(user.sites):
            if m.site not in after:
                user.sites.remove(m)
            else:
                m.role = after[m.site]
        for code, role in after.items():
            if code not in before:
                user.sites.append(UserSite(site=code, role=role))
    if all_sites is not None and all_sites != bool(user.all_sites):
        changes["all_sites"] = (bool(user.all_sites), all_sites)
        user.all_sites = all_sites
    if changes:
        s.flush()
        _audit(s, by, "update", "users", str(user.id), changes, address)
    return user


def _text(m: dict[str, str]) -> str:
    return ", ".join(f"{k}:{v}" for k, v in sorted(m.items())) or "(none)"


def default_memberships(s: Session, role: str) -> list[Membership]:
    """A new clinician's or analyst's sites when none are given: the registry's only active
    site, if it has exactly one (a single clinic never thinks about sites)."""
    if role == "admin":
        return []
    active = all_sites(s, active_only=True)
    return [Membership(active[0].code, role)] if len(active) == 1 else []


def actor_sites(s: Session, user: User) -> tuple[tuple[str, str], ...] | None:
    """A user's ``(site, role)`` pairs for :class:`~psoreg.store.service.Actor` (None: all)."""
    if user.role == "admin" or user.all_sites:
        return None
    rows = s.execute(select(UserSite.site, UserSite.role).where(UserSite.user_id == user.id)).all()
    return tuple((site, role) for site, role in sorted(rows))


_SITE_NAME = select(Site.name).where(Site.code == bindparam("code"))


def site_name(conn: Connection, code: str | None) -> str | None:
    """The name of site ``code`` (its code when there is no such site)."""
    return conn.execute(_SITE_NAME, {"code": code}).scalar() or code


def patients_per_site(s: Session) -> dict[str, int]:
    q = select(PatientRow.site, func.count()).group_by(PatientRow.site)
    return {site: n for site, n in s.execute(q)}


def names(s: Session) -> dict[str, str]:
    return {site.code: site.name for site in all_sites(s)}
