"""Sharing safely (small-count suppression, no identifiers), grouping tests, LaTeX escaping."""

from __future__ import annotations

import re

import pytest

from psoreg.io import load
from psoreg.reports import build_report, write_report
from psoreg.reports.model import Cell, ReportTable, Row
from psoreg.reports.render_tex import escape, table_tex
from tests.conftest import CASE_SERIES, VISIT_COHORT
from tests.test_report_helpers import ARTIFACTS, numbers


@pytest.fixture(scope="module")
def visit_suppressed():
    r = build_report(load(VISIT_COHORT), suppress_below=3, group_by="drug", source=VISIT_COHORT)
    yield r
    r.close()


def test_counts_under_k_are_masked_everywhere(visit_suppressed) -> None:
    r = visit_suppressed
    s = r.table("summary")
    assert s.cell("male", "value").text == "3/5 (60%)"  # 3 is not under 3
    assert s.cell("psoriatic_arthritis", "value").text == "<3"
    assert s.cell("weeks_to_relapse", "value").text == "not shown (n<3)"
    assert s.cell("weeks_to_relapse", "note").text.startswith("n<3")
    for t in r.tables:
        for row in t.rows:
            for cell in row.cells.values():
                if cell.count is not None and cell.count < 3:
                    # a masked count shows <3; its CI (which would give it away) shows —
                    assert cell.suppressed and ("<3" in cell.text or cell.text == "—"), (
                        t.key, row.key)  # fmt: skip
                    assert not re.search(r"\d%\)", cell.text)  # no percentage of a count
                    assert not re.search(r"\b(n|events)=\d", cell.text)
    assert any("shown as <3" in f for f in s.footnotes)
    # the paragraph shows the masked cells, not the numbers
    assert "<3" in r.paragraph_text()
    assert "1/5 (20%)" not in r.paragraph_text()
    # per-patient figures are left out of a suppressed report; the flow diagram masks its counts
    assert {f.key for f in r.figures}.isdisjoint({"swimmer", "trajectories"})
    flow = next(f for f in r.figures if f.key == "flow").figure
    texts = [t.get_text() for t in flow.axes[0].texts]
    assert any("n = <3" in t for t in texts)


def test_suppressed_html_has_no_small_counts(visit_suppressed, tmp_path) -> None:
    out = tmp_path / "s.html"
    write_report(visit_suppressed, out)
    html = out.read_text(encoding="utf-8")
    assert "1/5 (20%)" not in html and "&lt;3" in html


def test_identifiers_are_numbers_unless_asked(tmp_path) -> None:
    cohort = load(VISIT_COHORT)
    r = build_report(cohort)
    out = tmp_path / "r.html"
    write_report(r, out)
    write_report(r, tmp_path / "r.md")
    text = out.read_text(encoding="utf-8") + (tmp_path / "r.md").read_text(encoding="utf-8")
    for ident in ["P01", "P02", "P05", "C01", "C06"]:
        assert ident not in text
    assert [row.key for row in r.table("table2").rows] == ["1", "2.1", "2.2", "3", "4", "5"]
    r2 = build_report(cohort, include_identifiers=True)
    assert [row.key for row in r2.table("table1").rows][:2] == ["P01", "P02"]
    assert r2.table("table2").rows[0].key == "C01"
    swimmer = next(f for f in r2.figures if f.key == "swimmer").figure
    ticks = [t.get_text() for t in swimmer.axes[0].get_yticklabels()]
    assert ticks[0] == "C01"
    r.close()
    r2.close()


def test_group_by_biologic_naive_uses_fisher_and_mann_whitney() -> None:
    r = build_report(load(CASE_SERIES), group_by="biologic_naive")
    g = r.table("groups")
    assert g.headers()[1:4] == [
        "Overall (N = 8 patients, 8 courses)",
        "Biologic-naive (N = 6 patients, 6 courses)",
        "Biologic-experienced (N = 2 patients, 2 courses)",
    ]
    assert g.cell("patients", "g0").text == "6" and g.cell("patients", "g1").text == "2"
    assert g.cell("male", "test").text == "Fisher"
    assert g.cell("age", "test").text == "MWU"
    from scipy.stats import fisher_exact, mannwhitneyu

    from psoreg.reports.cells import p_text

    # male: naive 4/6 (patients 1,4,5,8 male; 6,7 female), experienced 2/2
    assert g.cell("male", "p").text == p_text(fisher_exact([[4, 2], [2, 0]]).pvalue)
    p = mannwhitneyu([50, 29, 44, 26, 49, 21], [46, 38], alternative="two-sided").pvalue
    assert abs(float(g.cell("age", "p").text) - p) < 0.006
    foot = " ".join(g.footnotes)
    assert "scipy.stats.fisher_exact" in foot and "scipy.stats.mannwhitneyu" in foot
    r.close()


def test_group_by_drug_with_more_than_two_groups_uses_kruskal_and_ffh() -> None:
    r = build_report(load(VISIT_COHORT), group_by="drug")
    g = r.table("groups")
    assert len(g.columns) == 1 + 1 + 4 + 2  # figure, overall, 4 drugs, p, test
    assert g.cell("baseline_pasi", "test").text == "KW"
    assert g.cell("male", "test").text == "FFH"
    foot = " ".join(g.footnotes)
    assert "Kruskal–Wallis" in foot and "Fisher–Freeman–Halton" in foot
    assert "more than one drug" in foot
    # grouped KM curves: one per drug
    km = next(f for f in r.figures if f.key == "km_drug_survival").figure
    assert len([ln for ln in km.axes[0].get_lines() if str(ln.get_gid()).startswith("km:")]) == 4
    r.close()


def test_latex_escaping() -> None:
    assert escape("a & b_1 50% $x #2 {y} ~ ^ \\ <3 –") == (
        r"a \& b\_\allowbreak{}1 50\% \$x \#2 \{y\} \textasciitilde{} \textasciicircum{} "
        r"\textbackslash{} \textless{}3 --"
    )
    t = ReportTable(
        "t",
        "Table & 1_x",
        [("a", "A%"), ("b", "B")],
        [Row("r", {"a": Cell("1/2 (50%)"), "b": Cell("x_y")})],
    )
    tex = table_tex(t)
    assert r"\begin{longtable}" in tex and "|" not in tex.split("\n")[1]  # no vertical rules
    assert r"\textbf{A\%} & \textbf{B} \\" in tex
    assert r"1/\allowbreak{}2 (50\%) & x\_\allowbreak{}y \\" in tex
    assert r"\caption*{\textbf{Table \& 1\_\allowbreak{}x}}" in tex
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert "resizebox" not in tex


def test_latex_document_is_standalone_and_balanced(tmp_path) -> None:
    r = build_report(load(CASE_SERIES), suppress_below=3)
    out = tmp_path / "r.tex"
    files = write_report(r, out)
    tex = out.read_text(encoding="utf-8")
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    n_tables = len(r.tables) + len(r.appendix)
    assert tex.count(r"\begin{longtable}") == tex.count(r"\end{longtable}") == n_tables
    assert r"\usepackage{booktabs}" in tex and "resizebox" not in tex
    assert tex.count(r"\caption{") + tex.count(r"\caption*{") == n_tables + len(r.figures)
    assert tex.count(r"\label{tab:") == n_tables and tex.count(r"\label{fig:") == len(r.figures)
    # special characters only appear escaped: each row has ncols-1 bare '&', no bare % _ $ #
    rows = [ln for ln in tex.splitlines() if ln.endswith(r" \\") and "multicolumn" not in ln]
    assert rows
    widths = {len(t.columns) - 1 for t in [*r.tables, *r.appendix]}
    for ln in rows:
        assert len(re.findall(r"(?<!\\)&", ln)) in widths
    for ln in tex.splitlines():
        if "includegraphics" in ln or ln.endswith("{%") or ln.startswith("\\usepackage"):
            continue
        for ch in "%_$#":
            assert not re.search(rf"(?<!\\){re.escape(ch)}", ln), (ch, ln)
    assert r"\textless{}3" in tex  # suppressed counts escaped
    assert all(f.exists() for f in files)
    for f in r.figures:
        assert f"r_figures/{f.key}.pdf" in tex
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "case-series-report.tex").write_text(tex, encoding="utf-8")
    r.close()


def test_paragraph_numbers_traceable_under_suppression(visit_suppressed) -> None:
    r = visit_suppressed
    for s in r.paragraph:
        cells = " ".join(r.table(x.table).cell(x.row, x.column).text for x in s.refs)
        assert set(numbers(s.text)) <= set(numbers(cells)), s.text
