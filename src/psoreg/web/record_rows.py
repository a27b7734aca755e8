"""The rows of the patient page's record tables, written in Python.

A patient page lists every visit, dose, event and relapse of the patient's courses (about 25
rows for a patient with two courses). Written by Jinja, each row cost a dozen attribute
lookups, escapes and, for each call of a context function inside the loop, a copy of the
template's context; here each row is one f-string over values escaped as Jinja escapes them
(``markupsafe.escape`` of the value, so ``str()`` of numbers and dates), giving the same HTML
byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from psoreg import i18n
from psoreg.i18n import N_


@lru_cache(maxsize=4096)
def translated(lang: str, message: str) -> Markup:
    """``message`` translated into ``lang`` as jinja2's newstyle gettext returns it without
    variables (``%%`` read as ``%``); the catalogues do not change while the process runs."""
    return Markup(i18n.translations(lang).gettext(message)) % {}


@lru_cache(maxsize=256)
def _rowactions_html(lang: str, can_write: bool, table: str) -> tuple[str, str]:
    """The row actions of a ``table`` row, in ``lang``, as text around the row's key: the part
    before and after ``{pk}`` is filled in. Written once per language, role and table (a patient
    page has one row per visit, dose, event and relapse: a Jinja macro per row cost about a
    tenth of the page)."""

    def t(message: str) -> str:
        return translated(lang, message)

    # the words outside the f-strings, where pybabel finds them
    edit_, delete_, query_ = t(N_("edit")), t(N_("delete")), t(N_("query"))
    raise_, open_ = t(N_("Raise a data query on this record")), t(N_("open data query"))
    table = str(escape(table))
    edit = (
        f'<span class="rowactions"><a href="/edit/{table}/{{pk}}" class="edit-{table}">'
        f'{edit_}</a> <a href="/delete/{table}/{{pk}}" class="delete-{table}">{delete_}</a>'
        "</span>"
        if can_write
        else ""
    )
    query = (
        f' <a href="/queries/new/{table}/{{pk}}" class="query-link" title="{raise_}">{query_}</a>'
    )
    flag = f' <span class="flag bad" title="{open_}">?</span>'
    return edit + query, flag


RowActions = Callable[[str, Any], Markup]


def row_actions(lang: str, can_write: bool, queried: Collection[tuple[str, Any]]) -> RowActions:
    """``actions(table, pk)``: a record's edit and delete links (for writers), its data query
    link, and a flag when the record has an open data query (``(table, pk)`` in ``queried``)."""

    def actions(table: str, pk: Any) -> Markup:
        links, flag = _rowactions_html(lang, can_write, table)
        html = links.replace("{pk}", str(escape(pk)))
        if (table, pk) in queried:
            html += flag
        return Markup(html)

    return actions


def _cell(value: Any) -> str:
    """A value as ``{{ value if value is not none else "" }}`` writes it."""
    return "" if value is None else str(escape(value))


def visit_rows(visits: list[dict[str, Any]], lang: str, actions: RowActions) -> Markup:
    """The ``<tr>`` rows of a course's visits table (see ``patient.html``)."""
    grid = f' <span class="muted">({translated(lang, N_("grid"))})</span>'
    return Markup(
        "".join(
            f"<tr><td>{escape(v['date'])}</td><td>{escape(v['week'])}</td>"
            f"<td>{_cell(v['pasi'])}{grid if v['grid'] else ''}</td><td>{_cell(v['dlqi'])}</td>"
            f"<td>{_cell(v['bsa'])}</td>\n"
            f'<td class="acts">{actions("visits", v["pk"])}</td></tr>'
            for v in visits
        )
    )
