"""The journal reviewer's findings on `psoreg report` (issue 12), one named test each.

Compiles the LaTeX with Debian's TeX Live (scripts/deps/texlive.sh), reads the log for "Float
too large" and overfull boxes wider than 1 pt, checks the PDF's fonts with pdffonts, renders
PDF pages with pdftoppm and HTML pages with chromium (Playwright) to test-artifacts/journal/ for
a person to look at, and checks figures are distinguishable without colour.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psoreg.cli import app
from psoreg.io import load
from psoreg.reports import build_report, write_report
from psoreg.reports.figure_files import write_figure
from psoreg.reports.figures.style import OKABE_ITO, SERIES_STYLES
from psoreg.reports.render_tex import compile_pdf, log_problems
from tests.conftest import CASE_SERIES, EXAMPLES, VISIT_COHORT
from tests.test_report_helpers import ARTIFACTS, docx_tables

OUT = ARTIFACTS / "journal"
PUBLISHED = EXAMPLES / "ukmmc-ustekinumab-case-series.published.json"
IN_CI = bool(os.environ.get("CI"))
needs_tex = pytest.mark.skipif(
    not IN_CI and (shutil.which("pdflatex") is None or shutil.which("pdffonts") is None),
    reason="TeX Live / poppler not installed: run scripts/deps/texlive.sh",
)
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def case_series():
    r = build_report(load(CASE_SERIES), source=CASE_SERIES, published=PUBLISHED)
    yield r
    r.close()


@pytest.fixture(scope="module")
def visits_grouped():
    r = build_report(load(VISIT_COHORT), source=VISIT_COHORT, group_by="drug")
    yield r
    r.close()


@pytest.fixture(scope="module")
def compiled(case_series, visits_grouped, tmp_path_factory):
    """Both reports as .tex compiled to PDF: {name: (pdf, log)}."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    out = {}
    for name, rep in (("case-series", case_series), ("visit-cohort", visits_grouped)):
        d = tmp_path_factory.mktemp(name)
        write_report(rep, d / f"{name}.tex")
        out[name] = compile_pdf(d / f"{name}.tex")
    return out


# --- LaTeX and PDF -------------------------------------------------------------------------


@needs_tex
def test_latex_compiles_with_nothing_off_the_page(compiled) -> None:
    for name, (pdf, log) in compiled.items():
        assert pdf.exists(), name
        assert log_problems(log) == [], name
        assert "Float too large" not in log


@needs_tex
def test_latex_tables_use_the_document_font_with_booktabs_captions_and_labels(compiled) -> None:
    for _, (pdf, _log) in compiled.items():
        tex = pdf.with_suffix(".tex").read_text(encoding="utf-8")
        assert "resizebox" not in tex and "scalebox" not in tex
        assert r"\usepackage{booktabs}" in tex and r"\usepackage{longtable}" in tex
        assert "|" not in "".join(re.findall(r"\\begin\{longtable\}\{([^\n]*)\}", tex))
        assert tex.count(r"\begin{longtable}") == tex.count(r"\label{tab:")
        assert tex.count(r"\begin{figure}") == tex.count(r"\label{fig:")


def test_log_check_catches_float_too_large_and_overfull_boxes() -> None:
    log = (
        "LaTeX Warning: Float too large for page by 174.06108pt on input line 111.\n"
        "Overfull \\hbox (5.4266pt too wide) in paragraph at lines 96--96\n"
        "Overfull \\hbox (0.13293pt too wide) in alignment at lines 113--118\n"
    )
    assert len(log_problems(log)) == 2


@needs_tex
def test_pdf_fonts_are_type1_or_truetype_never_type3(compiled, tmp_path) -> None:
    for name, (pdf, _) in compiled.items():
        out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True)
        fonts = out.stdout.splitlines()[2:]
        assert fonts, name
        for line in fonts:
            assert "Type 3" not in line, line
            assert "Type 1" in line or "TrueType" in line, line
            assert " yes " in line  # embedded


@needs_tex
def test_cli_writes_pdf_and_pages_render(tmp_path) -> None:
    pdf = tmp_path / "report.pdf"
    res = CliRunner().invoke(app, ["report", str(CASE_SERIES), "--out", str(pdf)])
    assert res.exit_code == 0, res.output
    assert pdf.read_bytes()[:5] == b"%PDF-"
    # figures are vector (no raster image below 300 dpi anywhere)
    imgs = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    for line in imgs.stdout.splitlines()[2:]:
        x_ppi, y_ppi = (int(v) for v in line.split()[12:14])
        assert min(x_ppi, y_ppi) >= 300, line
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("pdf-page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(OUT / "pdf-page")], check=True, timeout=120
    )
    pages = sorted(OUT.glob("pdf-page-*.png"))
    assert len(pages) >= 10
    assert all(p.stat().st_size > 5_000 for p in pages)


# --- HTML ----------------------------------------------------------------------------------


@pytest.mark.skipif(
    not IN_CI and not Path(CHROMIUM).exists(), reason="Debian chromium not installed"
)
def test_html_pages_screenshot(case_series) -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    html = OUT / "case-series.html"
    write_report(case_series, html)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.goto(html.resolve().as_uri())
        height = page.evaluate("document.body.scrollHeight")
        shots = []
        for i, top in enumerate(range(0, min(height, 1600 * 12), 1600)):
            page.evaluate(f"window.scrollTo(0, {top})")
            shot = OUT / f"html-page-{i + 1:02d}.png"
            page.screenshot(path=str(shot))
            shots.append(shot)
        captions = page.locator("caption").count()
        figcaptions = page.locator("figcaption").count()
        browser.close()
    assert len(shots) >= 4 and all(s.stat().st_size > 20_000 for s in shots)
    assert captions == len(case_series.tables) + len(case_series.appendix)
    assert figcaptions == len(case_series.figures)


# --- Word ----------------------------------------------------------------------------------


def test_docx_three_line_tables_seq_captions_widths_alt_text_300dpi(case_series, tmp_path) -> None:
    from docx import Document
    from PIL import Image

    path = tmp_path / "r.docx"
    write_report(case_series, path)
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    assert "Table Grid" not in xml
    assert xml.count("SEQ Table") == len(case_series.tables)
    assert xml.count("SEQ Figure") == len(case_series.figures)
    assert 'w:insideV w:val="nil"' in xml and 'w:top w:val="single"' in xml
    doc = Document(str(path))
    t2 = next(t for t in doc.tables if t.rows[0].cells[0].text == "ID" and len(t.columns) > 12)
    widths = {round(c.width.cm, 1) for c in t2.rows[0].cells}
    assert len(widths) > 3  # not equal widths
    alts = [s._inline.docPr.get("descr") for s in doc.inline_shapes]
    assert len(alts) == len(case_series.figures) and all(a and len(a) > 20 for a in alts)
    for shape in doc.inline_shapes:
        blob = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        part = doc.part.related_parts[blob]
        dpi = Image.open(__import__("io").BytesIO(part.blob)).info.get("dpi")
        assert dpi and round(dpi[0]) >= 299, dpi
    tables = docx_tables(path)
    assert "Table 3. Summary of the case series" in tables


# --- figures -------------------------------------------------------------------------------


def _series_styles(lines) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(str(ln.get_linestyle()) + str(ln.get_dashes() if hasattr(ln, "get_dashes") else ""),
             str(ln.get_marker())) for ln in lines]  # fmt: skip


def test_figures_are_distinguishable_in_greyscale(visits_grouped, case_series) -> None:
    from PIL import Image

    km = next(f for f in visits_grouped.figures if f.key == "km_drug_survival").figure
    curves = [ln for ln in km.axes[0].get_lines() if str(ln.get_gid()).startswith("km:")]
    assert len(curves) == 4
    styles = [(s.linestyle, s.marker) for s in SERIES_STYLES]
    assert len(set(map(str, styles))) == len(styles)  # every style differs without colour
    assert len({str(ln.get_marker()) for ln in curves}) == 4
    assert len({str(ln._unscaled_dash_pattern) for ln in curves}) == 4
    traj = next(f for f in case_series.figures if f.key == "trajectories").figure
    marks = [str(ln.get_marker()) for ln in traj.axes[1].get_lines()
             if str(ln.get_gid()).startswith("milestones")]  # fmt: skip
    assert len(set(marks)) == len(marks) == 8
    swimmer = next(f for f in visits_grouped.figures if f.key == "swimmer").figure
    hatches = {p.get_hatch() for p in swimmer.axes[0].patches if p.get_gid() == "course-bar"}
    assert len(hatches) == 4  # one pattern per drug
    OUT.mkdir(parents=True, exist_ok=True)
    for name, fig in (("km", km), ("trajectories", traj), ("swimmer", swimmer)):
        png = write_figure(fig, OUT / f"grey-{name}.png")
        Image.open(png).convert("L").save(png)


def test_no_okabe_ito_yellow_on_white(case_series, visits_grouped) -> None:
    assert "#F0E442" not in [c.upper() for c in OKABE_ITO]
    for rep in (case_series, visits_grouped):
        for f in rep.figures:
            for ax in f.figure.axes:
                for ln in ax.get_lines():
                    assert str(ln.get_color()).upper() != "#F0E442", f.key


def test_km_legend_below_the_plot_and_captions_in_proper_case(case_series) -> None:
    km = [f for f in case_series.figures if f.key.startswith("km_")]
    assert [f.title.split(". ", 1)[1] for f in km] == [
        "Kaplan–Meier curve: Time to PASI75",
        "Kaplan–Meier curve: Time to PASI90",
        "Kaplan–Meier curve: Drug survival",
        "Kaplan–Meier curve: Relapse-free time after stopping",
    ]
    for f in km:
        ax = f.figure.axes[0]
        anchor = ax.get_legend().get_bbox_to_anchor().transformed(ax.transAxes.inverted())
        assert anchor.y0 < 0  # under the axes, which keep the full width
        assert "log-log" in f.caption and "smallest time with S(t) ≤ 0.5" in f.caption


# --- STROBE and gtsummary items ------------------------------------------------------------


def test_flow_of_courses_hand_worked(case_series, visits_grouped) -> None:
    cs = case_series.table("flow")
    # 8 included, 8 assessable, 7 stopped (1 ongoing), 5 followed (2 switched after secondary
    # failure with no relapse to time), 5 eligible, 5 relapsed
    assert [cs.cell(k, "n").text for k in ("included", "assessable", "stopped", "followed",
            "eligible", "relapsed")] == ["8", "8", "7", "5", "5", "5"]  # fmt: skip
    vc = visits_grouped.table("flow")
    # C04 has no visit in weeks 10-14; C03, C04 ongoing; C02 and C06 stopped without later
    # visits; C01 and C05 followed, both responding at the stop, both relapsed (loss of PASI50)
    assert [vc.cell(k, "n").text for k in ("included", "assessable", "stopped", "followed",
            "eligible", "relapsed")] == ["6", "5", "4", "2", "2", "2"]  # fmt: skip
    assert any(f.key == "flow" for f in case_series.figures)


def test_missing_data_adverse_events_follow_up_and_sensitivity(visits_grouped) -> None:
    r = visits_grouped
    m = r.table("missing")
    assert m.cell("baseline_dlqi", "missing").text == "5/6 (83.3%)"  # only C01 has one
    assert m.cell("treatment_success", "missing").text == "1/6 (16.7%)"  # C04
    ae = r.table("adverse_events")
    assert ae.cell("adverse", "courses").text == "1/6 (16.7%)"  # C02 injection-site reaction
    assert ae.cell("paradoxical_palmoplantar_pustular", "events").text == "1"  # C04
    fu = r.table("followup")
    assert fu.cell("ongoing", "value").text == "2/6 (33.3%)"
    s = r.table("sensitivity")
    # C01: loss of PASI50 at 28 weeks; half of best (95% -> 47.5%) not lost under EMEA ">50%"
    assert s.cell("loss_of_pasi50", "relapse").text == "2/2 (100%)"
    assert s.cell("half_of_best", "relapse").text == "1/2 (50%)"


def test_unknown_rows_and_wilson_cis_in_the_summary(case_series) -> None:
    t = case_series.table("summary")
    keys = [r.key for r in t.rows]
    assert keys[keys.index("minimal_response") + 1] == "minimal_response_unknown"
    assert t.cell("minimal_response_unknown", "value").text == "5"
    # Wilson 95% CI of 3/8: (0.375 + 1.9208/8)/(1 + 3.8415/8) ± ... = 13.7% to 69.4%
    assert t.cell("treatment_success", "ci").text == "13.7–69.4"
    assert any("Wilson" in f for f in t.footnotes)


def test_group_by_never_tests_a_variable_against_itself() -> None:
    r = build_report(load(CASE_SERIES), group_by="biologic_naive")
    g = r.table("groups")
    assert "biologic_naive" not in [row.key for row in g.rows]
    assert any("not tested against itself" in f for f in g.footnotes)
    r.close()


def test_p_above_0_99_is_printed_as_more_than() -> None:
    from psoreg.reports.cells import p_text

    assert p_text(1.0) == ">0.99" and p_text(0.995) == ">0.99" and p_text(0.99) == "0.99"
    r = build_report(load(CASE_SERIES), group_by="biologic_naive")
    ps = [row.text("p") for row in r.table("groups").rows]
    assert "1" not in ps and ">0.99" in ps
    r.close()


def test_suppression_masks_paragraph_details_and_per_patient_figures() -> None:
    r = build_report(load(CASE_SERIES), suppress_below=5, source=CASE_SERIES)
    text = r.paragraph_text()
    assert "52, 44" not in text and "at week(s)" not in text  # each failure's week: per patient
    full = build_report(load(CASE_SERIES))
    assert "at week(s) 52, 44" in full.paragraph_text()  # shown when not shared
    full.close()
    keys = {t.key for t in r.tables}
    assert "table1" not in keys and "table2" not in keys
    assert {f.key for f in r.figures}.isdisjoint({"swimmer", "trajectories"})
    assert any("--suppress-below 5" in n for n in r.notes)
    r.close()


# --- the paper's figures -------------------------------------------------------------------


def test_summary_reproduces_the_papers_figures_with_notes() -> None:
    res = CliRunner().invoke(app, ["summarize", str(CASE_SERIES)], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    out = res.output
    assert "PASI90 by week 16: 5/8 (paper: 6 (75%))" in out
    assert "Relapse with plaques: 5 of the 7 who stopped (71.4%) (paper:" in out
    assert "matches week 17, not week 16" in out
    assert "uses all 8 patients as the denominator" in out


def test_report_shows_the_comparison_table(case_series) -> None:
    t = case_series.table("published")
    assert t.cell("pasi90_by_week16", "psoreg").text == "5/8"
    assert t.cell("pasi90_by_week16", "verdict").text == "differs"
    assert t.cell("relapse_plaque", "psoreg").text == "5 of the 7 who stopped (71.4%)"
    assert t.cell("relapse_plaque", "verdict").text == "same"
    assert any("week 17" in n for n in case_series.notes)
