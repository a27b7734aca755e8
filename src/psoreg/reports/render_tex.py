"""The report as a standalone LaTeX document, and as PDF through pdflatex.

Journal conventions: ``booktabs`` rules (no vertical rules), every table and figure with a
``\\caption`` and a ``\\label``, tables in the document's own font and size (never scaled with
``\\resizebox``), long tables as ``longtable`` so they break across pages, and column widths
worked out from the content so nothing runs off the page. Latin Modern (Type 1) fonts; figures
are PDF files in ``<stem>_figures/`` with TrueType fonts (matplotlib ``pdf.fonttype`` 42).

:func:`compile_pdf` runs ``pdflatex`` (Debian TeX Live, ``scripts/deps/texlive.sh``) and
:func:`log_problems` reads its log for "Float too large" and overfull boxes wider than 1 pt.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from psoreg.reports.figure_files import write_figures
from psoreg.reports.model import Report, ReportTable, numbered

#: LaTeX's ten special characters, then the Unicode signs the report uses.
_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_\allowbreak{}",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "/": r"/\allowbreak{}",
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
    "‘": "`",
    "“": "``",
    "”": "''",
    "√": r"\ensuremath{\surd}",
    "ε": r"\ensuremath{\varepsilon}",
    "Σ": r"\ensuremath{\Sigma}",
    "α": r"\ensuremath{\alpha}",
    "Φ": r"\ensuremath{\Phi}",
    "▲": r"\ensuremath{\blacktriangle}",
    "◇": r"\ensuremath{\diamond}",
    "✖": r"\ensuremath{\times}",
    "★": r"\ensuremath{\star}",
    "○": r"\ensuremath{\circ}",
    "•": r"\textbullet{}",
    "°": r"\textdegree{}",
    "µ": r"\textmu{}",
    "\u00a0": "~",
}

#: Longest run of characters without a break opportunity (hashes, long identifiers).
_MAX_RUN = 18


def escape(s: str) -> str:
    """``s`` safe inside LaTeX text mode; very long unbreakable runs get break points."""
    out = []
    for word in re.split(r"(\s+)", s):
        if len(word) > _MAX_RUN and not word.isspace():
            chunks = [word[i : i + _MAX_RUN] for i in range(0, len(word), _MAX_RUN)]
            out.append("\u0000".join(chunks))
        else:
            out.append(word)
    text = "".join(out)
    return "".join(r"\allowbreak{}" if ch == "\u0000" else _ESCAPES.get(ch, ch) for ch in text)


PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[a4paper,landscape,margin=1.8cm]{geometry}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage{textcomp}
\usepackage{amssymb}
\usepackage{graphicx}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{array}
\usepackage[font=small,labelfont=bf,labelsep=period,skip=4pt]{caption}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\setlength{\tabcolsep}{4pt}
\setlength{\LTcapwidth}{\textwidth}
\raggedbottom
"""

#: Text width of landscape A4 with 1.8 cm margins, and a generous average glyph width at 10 pt.
TEXT_WIDTH_CM = 29.7 - 2 * 1.8
CHAR_CM = 0.2
BOLD_CHAR_CM = 0.25  # headers are bold
COLSEP_CM = 2 * 4 / 72.27 * 2.54  # two \tabcolsep of 4 pt


#: Font sizes a wide table may step down to (the document's font, never scaled): LaTeX size
#: command and its size relative to the 10 pt body.
SIZES = [("", 1.0), (r"\small", 0.9), (r"\footnotesize", 0.8)]


def layout(t: ReportTable) -> tuple[str, list[float]]:
    """(size command, column widths in cm): the largest size whose words all fit."""
    for cmd, factor in SIZES:
        widths, fits = column_widths(t, factor)
        if fits:
            return cmd, widths
    return SIZES[-1][0], column_widths(t, SIZES[-1][1])[0]


def column_widths(t: ReportTable, factor: float = 1.0) -> tuple[list[float], bool]:
    """Column widths (cm) from the content at a font ``factor``: at least the longest word, at
    most the page; and whether every column's longest word fits."""
    rows = [t.headers(), *t.matrix()]
    n = len(t.columns)
    avail = TEXT_WIDTH_CM - n * COLSEP_CM - 0.1

    def words(s: str) -> list[str]:
        return [w for part in s.split() for w in re.split(r"(?<=[/_])", part)] or [""]

    def longest(j: int) -> float:
        head = max(min(len(w), _MAX_RUN) for w in words(rows[0][j])) * BOLD_CHAR_CM
        body = max([min(len(w), _MAX_RUN) for r in rows[1:] for w in words(r[j])] or [0])
        return max(head, body * CHAR_CM) * factor + 0.15

    least = [longest(j) for j in range(n)]
    natural = [
        max(least[j], min(max(len(r[j]) for r in rows), 48) * CHAR_CM * factor + 0.15)
        for j in range(n)
    ]
    if sum(natural) <= avail:
        return natural, True
    spare = avail - sum(least)
    extra = [natural[j] - least[j] for j in range(n)]
    if spare < 0:
        return [w * avail / sum(least) for w in least], False
    if not sum(extra):
        return least, True
    return [least[j] + spare * extra[j] / sum(extra) for j in range(n)], True


def _spec(widths: list[float]) -> str:
    return "".join(f">{{\\raggedright\\arraybackslash}}p{{{w:.2f}cm}}" for w in widths)


def _caption(t: ReportTable) -> tuple[str, bool]:
    """(caption text without its 'Table N.' prefix, numbered?)."""
    m = numbered(t.title)
    return (m[1], True) if m else (t.title, False)


def _label(key: str) -> str:
    return "tab:" + re.sub(r"[^A-Za-z0-9]+", "-", key)


def table_tex(t: ReportTable, words: dict[str, str] | None = None) -> str:
    """One table: booktabs rules, caption and label, as a ``longtable`` (it breaks across
    pages, so no table can be too large for one)."""
    words = words or {"continued": "continued", "continued_next": "continued on the next page"}
    text, is_numbered = _caption(t)
    cap = (
        f"\\caption{{{escape(text)}}}"
        if is_numbered
        else f"\\caption*{{\\textbf{{{escape(text)}}}}}"
    )
    head = " & ".join(f"\\textbf{{{escape(h)}}}" for h in t.headers()) + r" \\"
    body = [" & ".join(escape(c) for c in row) + r" \\" for row in t.matrix()]
    feet = [f"{{\\footnotesize {escape(f)}\\par}}" for f in t.footnotes]
    label = f"\\label{{{_label(t.key)}}}"
    size, widths = layout(t)
    lines = [
        "{" + size,
        f"\\begin{{longtable}}{{{_spec(widths)}}}",
        f"{cap}{label}\\\\",
        r"\toprule",
        head,
        r"\midrule",
        r"\endfirsthead",
        f"\\multicolumn{{{len(t.columns)}}}{{l}}{{\\small\\itshape "
        + (r"\tablename~\thetable{}" if is_numbered else escape(text.split(".")[0]))
        + f" ({escape(words['continued'])})}}\\\\",
        r"\toprule",
        head,
        r"\midrule",
        r"\endhead",
        r"\midrule",
        f"\\multicolumn{{{len(t.columns)}}}{{r}}{{\\small\\itshape "
        f"{escape(words['continued_next'])}}}\\\\",
        r"\endfoot",
        r"\bottomrule",
        r"\endlastfoot",
        *body,
        r"\end{longtable}",
        "}",
        *feet,
        "",
    ]
    return "\n".join(lines)


def render_tex(report: Report, figdir: Path, relative_to: Path) -> tuple[str, list[Path]]:
    """LaTeX source and the figure files (PDF) written to ``figdir``."""
    h = report.headings()
    names = f"\\renewcommand{{\\tablename}}{{{escape(h['table'])}}}" + (
        f"\\renewcommand{{\\figurename}}{{{escape(h['figure'])}}}"
    )
    out = [PREAMBLE, r"\begin{document}", names, f"\\section*{{{escape(report.title)}}}"]
    if report.notes:
        out.append(f"\\subsection*{{{escape(h['notes'])}}}\\begin{{itemize}}")
        out += [f"\\item {escape(n)}" for n in report.notes]
        out.append(r"\end{itemize}")
    for _lang, heading, sentences in report.abstracts:
        out += [
            f"\\subsection*{{{escape(heading)}}}",
            escape(" ".join(s.text for s in sentences)),
            "",
        ]
    out += [
        f"\\subsection*{{{escape(h['results'])}}}",
        escape(" ".join(s.text for s in report.paragraph)),
        "",
    ]
    out += [f"\\subsection*{{{escape(h['tables'])}}}"] + [table_tex(t, h) for t in report.tables]
    out.append(f"\\clearpage\\subsection*{{{escape(h['figures'])}}}")
    files = write_figures(report.figures, [figdir / f"{f.key}.pdf" for f in report.figures])
    for f, p in zip(report.figures, files, strict=True):
        rel = p.relative_to(relative_to).as_posix()
        found = numbered(f.title)
        title = found[1] if found else f.title
        width = r"0.8\linewidth" if f.key.startswith("km_") else r"\linewidth"
        out += [
            r"\begin{figure}[htbp]",
            r"\centering",
            f"\\includegraphics[width={width},height=0.72\\textheight,keepaspectratio]{{{rel}}}",
            f"\\caption{{\\textbf{{{escape(title)}.}} {escape(f.caption)}}}",
            f"\\label{{fig:{_label(f.key)[4:]}}}",
            r"\end{figure}",
            "",
        ]
    out.append(f"\\clearpage\\subsection*{{{escape(h['appendix'])}}}")
    out += [table_tex(t, h) for t in report.appendix]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n", files


class LatexUnavailable(RuntimeError):
    """pdflatex is not installed."""


def compile_pdf(tex: Path, runs: int = 2) -> tuple[Path, str]:
    """Compile ``tex`` with pdflatex (in its folder); return the PDF and the log text."""
    exe = shutil.which("pdflatex")
    if exe is None:
        raise LatexUnavailable(
            "--out .pdf needs pdflatex: install Debian's texlive-latex-base, "
            "texlive-latex-recommended and lmodern (scripts/deps/texlive.sh)"
        )
    tex = Path(tex).resolve()
    for _ in range(runs):
        proc = subprocess.run(
            [exe, "-interaction=nonstopmode", "-halt-on-error", tex.name],
            cwd=tex.parent,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            log = tex.with_suffix(".log")
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else proc.stdout[-1500:]
            raise RuntimeError(f"pdflatex failed on {tex.name}:\n{tail}")
    return tex.with_suffix(".pdf"), tex.with_suffix(".log").read_text(errors="replace")


def log_problems(log: str, max_overfull_pt: float = 1.0) -> list[str]:
    """'Float too large' and overfull boxes wider than ``max_overfull_pt`` in a LaTeX log."""
    problems = [ln for ln in log.splitlines() if "Float too large" in ln]
    for m in re.finditer(r"Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)[^\n]*", log):
        if float(m.group(1)) > max_overfull_pt:
            problems.append(m.group(0))
    return problems


def write_pdf(report: Report, path: Path) -> list[Path]:
    """The report as PDF (via the LaTeX document, compiled in a temporary folder)."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="psoreg-tex-") as tmp:
        tex = Path(tmp) / "report.tex"
        text, _ = render_tex(report, Path(tmp) / "report_figures", Path(tmp))
        tex.write_text(text, encoding="utf-8")
        pdf, _log = compile_pdf(tex)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, path)
    return [path]
