"""How bad a finding is: the likelihood × impact matrix the engine and every renderer share."""

from __future__ import annotations

from tmcode.catalog.schema import SeverityModel
from tmcode.report import Severity

LIKELIHOOD = {"low": 1, "medium": 2, "high": 3}
IMPACT = {"low": 1, "medium": 2, "high": 3, "critical": 4}
# rows: likelihood low..high; columns: impact low..critical
_MATRIX = [
    [Severity.info, Severity.low, Severity.medium, Severity.high],
    [Severity.low, Severity.medium, Severity.high, Severity.critical],
    [Severity.low, Severity.medium, Severity.high, Severity.critical],
]


def severity_of(likelihood: int, impact: int) -> Severity:
    """Look up the severity of a likelihood (1-3) and impact (1-4), clamped to the matrix."""
    row = min(max(likelihood, 1), 3) - 1
    col = min(max(impact, 1), 4) - 1
    return _MATRIX[row][col]


def rated(model: SeverityModel, likelihood_delta: int = 0, impact_delta: int = 0) -> Severity:
    """A threat's severity: its default likelihood and impact, raised by the model's facts."""
    return severity_of(
        LIKELIHOOD[model.likelihood] + likelihood_delta, IMPACT[model.impact] + impact_delta
    )
