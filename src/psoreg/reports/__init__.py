"""Publication output: the case-series report (tables, results paragraph, figures, appendix).

``build_report(cohort, options, quantile, suppress_below, include_identifiers) -> Report`` builds
a format-free report; ``write_report(report, path)`` writes it as .html, .docx, .md or .tex
(chosen by the suffix) and ``write_tables_csv(report, folder)`` each table as CSV.
See docs/reports.md.
"""

from psoreg.reports.build import build_report
from psoreg.reports.model import Cell, CellRef, Report, ReportFigure, ReportTable, Row, Sentence
from psoreg.reports.write import FORMATS, write_report, write_tables_csv

__all__ = [
    "FORMATS",
    "Cell",
    "CellRef",
    "Report",
    "ReportFigure",
    "ReportTable",
    "Row",
    "Sentence",
    "build_report",
    "write_report",
    "write_tables_csv",
]
