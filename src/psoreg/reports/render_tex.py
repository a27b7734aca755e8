"""The report as a standalone LaTeX document (``pdflatex report.tex`` compiles it).

Plain ``tabular`` with ``\\hline`` rules (no booktabs), only standard packages (geometry,
fontenc, inputenc, graphicx); every special character of the text is escaped (:func:`escape`)
and the few Unicode signs the report prints are mapped to LaTeX. Figures are PDF files in
``<stem>_figures/``.
"""

from __future__ import annotations

from pathlib import Path

from psoreg.reports.figure_files import write_figure
from psoreg.reports.model import Report, ReportTable

#: LaTeX's ten special characters, then the Unicode signs the report uses.
_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "–": "--",
    "—": "---",
    "−": "-",
    "≥": r"\ensuremath{\geq}",
    "≤": r"\ensuremath{\leq}",
    "±": r"\textpm{}",
    "×": r"\texttimes{}",
    "⇒": r"\ensuremath{\Rightarrow}",
    "→": r"\ensuremath{\rightarrow}",
    "·": r"\ensuremath{\cdot}",
    "₀": r"\textsubscript{0}",
    "…": r"\ldots{}",
    "’": "'",
    "“": "``",
    "”": "''",
}


def escape(s: str) -> str:
    """``s`` safe inside LaTeX text mode."""
    return "".join(_ESCAPES.get(ch, ch) for ch in s)


PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[a4paper,landscape,margin=1.8cm]{geometry}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{graphicx}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
"""


def _spec(t: ReportTable) -> str:
    """Column types: ``l``, or a wrapping ``p{}`` for long text columns."""
    out = []
    for j, _ in enumerate(t.columns):
        longest = max([len(t.headers()[j])] + [len(r[j]) for r in t.matrix()])
        out.append(f"p{{{min(9.0, 0.16 * longest):.1f}cm}}" if longest > 28 else "l")
    return "|".join(out)


def table_tex(t: ReportTable) -> str:
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        f"\\textbf{{{escape(t.title)}}}\\par\\smallskip",
        r"\footnotesize",
        r"\resizebox{\linewidth}{!}{%",
        f"\\begin{{tabular}}{{{_spec(t)}}}",
        r"\hline",
        " & ".join(escape(h) for h in t.headers()) + r" \\",
        r"\hline",
    ]
    lines += [" & ".join(escape(c) for c in row) + r" \\" for row in t.matrix()]
    lines += [r"\hline", r"\end{tabular}}"]
    lines += [f"\\par\\scriptsize {escape(f)}" for f in t.footnotes]
    lines += [r"\end{table}", ""]
    return "\n".join(lines)


def render_tex(report: Report, figdir: Path, relative_to: Path) -> tuple[str, list[Path]]:
    """LaTeX source and the figure files (PDF) written to ``figdir``."""
    out = [PREAMBLE, r"\begin{document}", f"\\section*{{{escape(report.title)}}}"]
    for n in report.notes:
        out.append(f"\\textit{{Note: {escape(n)}}}\\par")
    out += [r"\subsection*{Results}", escape(" ".join(s.text for s in report.paragraph)), ""]
    out += [r"\subsection*{Tables}"] + [table_tex(t) for t in report.tables]
    out.append(r"\clearpage\subsection*{Figures}")
    files = []
    for f in report.figures:
        p = write_figure(f.figure, figdir / f"{f.key}.pdf")
        files.append(p)
        rel = p.relative_to(relative_to).as_posix()
        width = r"\linewidth" if f.key in ("swimmer", "trajectories") else r"0.6\linewidth"
        out += [
            r"\begin{figure}[htbp]",
            r"\centering",
            f"\\includegraphics[width={width},height=0.8\\textheight,keepaspectratio]{{{rel}}}",
            f"\\par\\small\\textbf{{{escape(f.title)}.}} {escape(f.caption)}",
            r"\end{figure}",
            "",
        ]
    out.append(r"\clearpage\subsection*{Appendix: reproducibility}")
    out += [table_tex(t) for t in report.appendix]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n", files
