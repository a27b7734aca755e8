"""Cohort statistics and the case-series summary."""

from psoreg.analysis.stats import (
    QUANTILE_METHODS,
    Correlation,
    Count,
    MedianIQR,
    correlation,
    count,
    fmt,
    median_iqr,
    round_half_up,
)

__all__ = [
    "QUANTILE_METHODS",
    "Correlation",
    "Count",
    "MedianIQR",
    "correlation",
    "count",
    "fmt",
    "median_iqr",
    "round_half_up",
]
