"""The catalogue check run by ``make lint`` (and so by CI): every message of the code is in the
Bahasa Malaysia catalogue, translated, not fuzzy, with the same ``{placeholders}``.

``python -m psoreg.i18n.check`` extracts the messages from the sources afresh (Babel, with the
same mapping as ``make i18n-extract``: ``babel.cfg``) and compares them with
``locale/ms/LC_MESSAGES/psoreg.po``; it prints one line per problem and exits 1 if there is any.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from psoreg.i18n import DOMAIN, LOCALE_DIR

ROOT = LOCALE_DIR.parents[3]  # the repository (src/psoreg/i18n/locale -> .)
PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[!:][^{}]*)?\}(?!\})")


def placeholders(text: str) -> set[str]:
    """The ``str.format`` names of a message ('{k} of {n}' -> {'k', 'n'})."""
    return set(PLACEHOLDER.findall(text))


Key = tuple[str, str | None]  # (msgid, context)


def extracted() -> dict[Key, tuple[str, int]]:
    """(msgid, context) -> (file, line) of every message marked in the sources (``babel.cfg``)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    out: dict[Key, tuple[str, int]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            out.setdefault((msgid, context), (filename, lineno))
    return out


#: ``_("…")`` inside an f-string's braces: the extractor does not see it, so it would never
#: reach the catalogue (and this check would not know).
HIDDEN = re.compile(r"""\bf(["'])(?:(?!\1).)*\{[^}]*\b(?:_|gettext|pgettext|ngettext)\(\s*["']""")


def hidden_messages(root: Path | None = None) -> list[str]:
    """Lines of the Python sources that call gettext inside an f-string."""
    root = root or ROOT / "src"
    out = []
    for path in sorted(root.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if HIDDEN.search(line):
                out.append(f"{path.relative_to(ROOT)}:{n}: _() inside an f-string is not extracted")
    return out


def problems(
    lang: str = "ms",
    messages: dict[Key, tuple[str, int]] | None = None,
    po: Path | None = None,
) -> list[str]:
    """Every missing, untranslated or fuzzy message of ``lang`` (its catalogue, or ``po``), and
    placeholder mismatches."""
    from babel.messages.pofile import read_po

    po = po or LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        return [f"{po}: no catalogue (make i18n-update)"]
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    messages = extracted() if messages is None else messages
    out = []
    rel = po.relative_to(ROOT) if po.is_relative_to(ROOT) else po
    for message, errors in catalog.check():  # Babel's own (what pybabel compile refuses)
        out += [f"{rel}: {message.id!r}: {e}" for e in errors if message.string]
    for (msgid, context), (filename, lineno) in sorted(messages.items(), key=lambda kv: kv[1]):
        m = catalog.get(msgid, context=context)
        where = f"{filename}:{lineno}"
        if m is None:
            out.append(f"{rel}: missing {msgid!r} ({where}; run make i18n-update)")
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy:
            out.append(f"{rel}: fuzzy {msgid!r} ({where})")
        elif not all(strings):
            out.append(f"{rel}: untranslated {msgid!r} ({where})")
        elif any(placeholders(s) != placeholders(msgid) for s in strings):
            out.append(
                f"{rel}: placeholders differ in {msgid!r}: "
                f"{sorted(placeholders(msgid))} vs {[sorted(placeholders(s)) for s in strings]}"
            )
    return out


def main() -> int:
    found = hidden_messages() + problems("ms")
    for line in found:
        print(line)
    if found:
        print(f"i18n: {len(found)} problem(s) in the Bahasa Malaysia catalogue")
        return 1
    print(f"i18n: ms catalogue complete ({len(extracted())} messages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
