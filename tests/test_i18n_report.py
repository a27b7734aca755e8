"""Bahasa Malaysia: the report's Abstrak gives the paper's figures, the ms report has no English
table text, numbers and dates follow the locale, and the catalogue check catches gaps."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator

import docx
import pytest
from typer.testing import CliRunner

from psoreg.cli import app
from psoreg.i18n import check as catalogue
from psoreg.i18n import (
    check_language,
    gettext,
    negotiate,
    set_language,
    translations,
    use_language,
)
from psoreg.i18n.formats import date, decimal, percent
from psoreg.io import load
from psoreg.reports import build_report
from psoreg.reports.render_html import render_html
from tests.conftest import CASE_SERIES

PUBLISHED = CASE_SERIES.with_name("ukmmc-ustekinumab-case-series.published.json")


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    """A CLI run in-process sets the language: leave English to the tests after this one."""
    yield
    set_language("en")


@pytest.fixture(scope="module")
def both_docx(tmp_path_factory) -> docx.document.Document:
    """`psoreg report examples/ukmmc-ustekinumab-case-series.csv --lang both --out r.docx`."""
    out = tmp_path_factory.mktemp("both") / "r.docx"
    res = CliRunner().invoke(app, ["report", str(CASE_SERIES), "--lang", "both", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return docx.Document(str(out))


def _section(doc, heading: str) -> str:
    paras = doc.paragraphs
    i = next(
        i for i, p in enumerate(paras) if p.style.name.startswith("Heading") and p.text == heading
    )
    return paras[i + 1].text


def test_abstrak_gives_the_papers_figures(both_docx) -> None:
    """The paper's Abstrak: 'Enam (75%) pesakit adalah lelaki. Enam (75%) … tidak pernah
    menerima agen biologi … Usia median pesakit adalah 41.5 tahun (IQR 26.8-48.3), tempoh median
    penyakit ialah 16.5 tahun (IQR 6.5-23.0) … PASI75 … adalah 16 minggu. PASI75 pada minggu ke 12
    dicapai oleh 37.5% pesakit … keseluruhan rawatan adalah selama 102 minggu … Dua (25%) …
    kegagalan sekunder. Seorang (12.5%) … peristiwa paradoks … penyakit berulang adalah 40
    minggu.'"""
    ms = _section(both_docx, "Abstrak")
    assert "6 (75%) adalah lelaki" in ms
    assert "6 (75%) tidak pernah menerima agen biologi" in ms
    # the data (and the paper's Results) give 41; the paper's Abstrak printed 41.5: noted
    assert "Usia median pesakit adalah 41 tahun (IQR 26.8–48.3; Abstrak asal: 41.5)" in ms
    assert "tempoh median penyakit ialah 16.5 tahun (IQR 6.5–23.0)" in ms
    assert "Tempoh median untuk mencapai PASI75 adalah 16 minggu" in ms
    assert "PASI75 pada minggu ke-12 (kejayaan rawatan) dicapai oleh 37.5% pesakit" in ms
    assert "Tempoh median keseluruhan rawatan adalah selama 102 minggu" in ms
    assert "Kegagalan sekunder berlaku pada 2 (25%) pesakit" in ms
    assert "peristiwa paradoks pada 1 (12.5%)" in ms
    assert "dengan tempoh median 40 minggu" in ms
    # the journal's decimal point, never a decimal comma
    assert not re.search(r"\d,\d", ms)


def test_abstract_pair_in_the_journals_order(both_docx) -> None:
    heads = [p.text for p in both_docx.paragraphs if p.style.name.startswith("Heading")]
    assert heads.index("Abstrak") + 1 == heads.index("Abstract") < heads.index("Results")
    en = _section(both_docx, "Abstract")
    for figure in ("6 (75%) were male", "41 years (IQR 26.8–48.3; the paper's abstract: 41.5)",
                   "16.5 years", "16 weeks", "37.5%", "102 weeks", "2 (25%)", "1 (12.5%)",
                   "40 weeks"):  # fmt: skip
        assert figure in en
    # the same numbers in the same order in both languages
    nums = lambda s: re.findall(r"\d+(?:\.\d+)?", s)  # noqa: E731
    assert nums(_section(both_docx, "Abstrak")) == nums(en)
    # the Abstrak's runs are tagged Malay for Word's proofing tools
    abstrak = next(p for p in both_docx.paragraphs if p.text == _section(both_docx, "Abstrak"))
    assert 'w:val="ms-MY"' in abstrak.runs[0]._r.xml


@pytest.fixture(scope="module")
def ms_report():
    cohort = load(CASE_SERIES)
    rep = build_report(cohort, source=CASE_SERIES, published=PUBLISHED, lang="ms")
    yield rep
    rep.close()


def test_ms_report_has_no_english_catalogue_text(ms_report) -> None:
    """Every title, header, label and footnote of the ms report is in Malay: none equals (or
    contains, for the longer ones) an English message that the catalogue translates."""
    en_ms = {m: translations("ms").gettext(m) for m in _msgids()}
    english = {m for m, t in en_ms.items() if t != m and len(m) > 3}
    texts = [ms_report.title, *ms_report.notes, ms_report.paragraph_text()]
    for t in [*ms_report.tables, *ms_report.appendix]:
        texts += [t.title, *t.headers(), *t.footnotes]
        texts += [r.text(k) for r in t.rows for k in ("figure", "characteristic", "stage", "item")]
    for f in ms_report.figures:
        texts += [f.title, f.caption]
        for ax in f.figure.axes:
            texts += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
    leaks = sorted({m for m in english for s in texts if s == m or (len(m) > 25 and m in s)})
    assert not leaks, leaks[:10]
    assert ms_report.tables[0].title.startswith("Jadual 1. ")
    assert ms_report.figures[0].title.startswith("Rajah 1. ")
    html = render_html(ms_report)
    assert "<html lang='ms'>" in html and "<h2>Keputusan</h2>" in html


def _msgids() -> list[str]:
    return sorted({msgid for msgid, _ctx in catalogue.extracted()})


def test_english_report_is_unchanged_by_the_catalogues() -> None:
    with use_language("en"):
        assert gettext("Secondary failure") == "Secondary failure"
    with use_language("ms"):
        assert gettext("Secondary failure") == "Kegagalan sekunder"
        assert gettext("Paradoxical event") == "Peristiwa paradoks"
        assert gettext("Treatment success ({week})") == "Kejayaan rawatan ({week})"


def test_locale_numbers_and_dates() -> None:
    assert decimal(41.5, lang="ms") == "41.5" and decimal(16.0, lang="ms") == "16"
    assert decimal(1234.56, lang="ms") == "1,234.6"
    assert decimal(23, lang="ms", fixed=True) == "23.0"
    assert percent(37.5, lang="ms") == "37.5%" and percent(12.5, lang="en") == "12.5%"
    assert date(dt.date(2026, 1, 3), "long", lang="ms") == "3 Januari 2026"
    assert date(dt.date(2026, 1, 3), "long", lang="en") == "3 January 2026"


def test_language_codes_and_accept_language() -> None:
    assert check_language("ms-MY") == "ms" and check_language("EN_gb") == "en"
    with pytest.raises(ValueError, match="--lang: got 'fr'; expected one of en, ms"):
        check_language("fr")
    assert negotiate("ms-MY,ms;q=0.9,en;q=0.8") == "ms"
    assert negotiate("fr-FR,en;q=0.5,ms;q=0.7") == "ms"
    assert negotiate("en-GB,en;q=0.9,ms;q=0.8") == "en"
    assert negotiate("zh-CN, fr") == "en" and negotiate(None) == "en"
    assert negotiate("ms;q=0, en") == "en"


def test_cli_rejects_an_unknown_language(tmp_path) -> None:
    res = CliRunner().invoke(
        app, ["report", str(CASE_SERIES), "--lang", "fr", "--out", str(tmp_path / "r.md")]
    )
    assert res.exit_code == 2 and "--lang: got 'fr'; expected en, ms or both" in res.output
    res = CliRunner().invoke(app, ["--lang", "xx", "schedule", "ustekinumab"])
    assert res.exit_code == 2 and "expected one of en, ms" in res.output


def test_catalogue_check_is_complete_and_catches_gaps(tmp_path) -> None:
    messages = catalogue.extracted()
    assert catalogue.problems("ms", messages) == []
    po = tmp_path / "psoreg.po"
    shutil.copyfile(catalogue.LOCALE_DIR / "ms" / "LC_MESSAGES" / "psoreg.po", po)
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgstr "Kegagalan sekunder"', 'msgstr ""', 1)  # untranslated
    text = text.replace(
        'msgid "Secondary failure (week)"', '#, fuzzy\nmsgid "Secondary failure (week)"', 1
    )
    text = text.replace("{k} daripada {n} ({percent})", "{k} daripada {n}", 1)  # lost a name
    po.write_text(text, encoding="utf-8")
    messages[("A message nobody translated", None)] = ("src/psoreg/x.py", 1)
    found = "\n".join(catalogue.problems("ms", messages, po))
    assert "untranslated 'Secondary failure'" in found
    assert "fuzzy 'Secondary failure (week)'" in found
    assert "placeholders differ in '{k} of {n} ({percent})'" in found
    assert "missing 'A message nobody translated'" in found


def test_cli_messages_in_malay(monkeypatch) -> None:
    """`psoreg --lang ms` (or PSOREG_LANG=ms) prints the summary and its notes in Malay."""
    res = CliRunner().invoke(app, ["--lang", "ms", "summarize", str(CASE_SERIES)])
    assert res.exit_code == 0, res.output
    output = " ".join(res.output.split())
    for text in ("Ringkasan siri kes", "Kegagalan sekunder", "Peristiwa paradoks",
                 "Dibandingkan dengan penerbitan", "Definisi"):  # fmt: skip
        assert text in output
    assert "Case-series summary" not in res.output
    monkeypatch.setenv("PSOREG_LANG", "ms")
    res = CliRunner().invoke(app, ["doses", str(CASE_SERIES.with_name("visit-cohort"))])
    assert "Sisihan dos" in res.output and "minggu ke-40: dijangka 45 mg" in res.output
    monkeypatch.setenv("PSOREG_LANG", "en")
    res = CliRunner().invoke(app, ["summarize", str(CASE_SERIES)])
    assert "Case-series summary" in res.output


def test_check_finds_gettext_hidden_in_fstrings(tmp_path) -> None:
    """Babel does not extract ``_("…")`` inside an f-string's braces; the check says where."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "m.py").write_text('a = f"{_(\'seen by no one\')} {x}"\nb = _("fine") + f" {x}"\n')
    assert [
        bool(catalogue.HIDDEN.search(line)) for line in (src / "m.py").read_text().splitlines()
    ] == [True, False]
    assert catalogue.hidden_messages() == []


def test_a_missing_or_stale_mo_is_never_used(tmp_path, monkeypatch) -> None:
    """Without a compiled .mo (a checkout used without make) the .po is compiled in memory; a
    .mo older than its .po (the .po edited since) is ignored, so no stale translation shows."""
    import os

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    import psoreg.i18n as i18n

    folder = tmp_path / "ms" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "psoreg.po"
    shutil.copyfile(i18n.LOCALE_DIR / "ms" / "LC_MESSAGES" / "psoreg.po", po)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("ms").gettext("Secondary failure") == "Kegagalan sekunder"
        with po.open("rb") as f:
            stale = read_po(f, locale="ms")
        stale["Secondary failure"].string = "STALE"
        with (folder / "psoreg.mo").open("wb") as f:
            write_mo(f, stale)
        os.utime(folder / "psoreg.mo", (1, 1))  # older than the .po
        i18n.translations.cache_clear()
        assert i18n.translations("ms").gettext("Secondary failure") == "Kegagalan sekunder"
        os.utime(folder / "psoreg.mo", None)  # now newer: the compiled one is used
        i18n.translations.cache_clear()
        assert i18n.translations("ms").gettext("Secondary failure") == "STALE"
    finally:
        monkeypatch.undo()
        i18n.translations.cache_clear()
