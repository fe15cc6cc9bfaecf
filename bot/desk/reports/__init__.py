"""Reports: how the desk is doing, per queue, agent and period, from what it already stores.

The values every report part shares (the measures, the periods, one report) live here; the
SQL that computes them is storage's (`storage/report_queries.py`), the definitions a
supervisor reads are the README's ("Reports"), and each is defined once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC (aware datetimes); `label` as a supervisor reads it ("Today",
    "Week of 30 Nov"), `time_zone` the IANA zone its days and hours are counted in."""

    start: datetime
    end: datetime
    label: str
    time_zone: str = "UTC"


@dataclass(frozen=True)
class Measures:
    """One row of a report: the whole desk, a queue or an agent over a period. Durations
    are seconds; None where nothing was measured (no interaction was accepted...)."""

    texts_in: int = 0
    texts_out: int = 0
    opened: int = 0
    closed: int = 0
    expired: int = 0
    abandoned: int = 0
    accepted: int = 0
    answered_within_target: int = 0
    wait_avg_seconds: float | None = None
    wait_p90_seconds: float | None = None
    # Waiting counted inside the queue's opening hours only, and the rest (overnight...).
    wait_in_hours_avg_seconds: float | None = None
    wait_out_of_hours_avg_seconds: float | None = None
    first_response_avg_seconds: float | None = None
    first_response_p90_seconds: float | None = None
    handle_avg_seconds: float | None = None
    rejects: int = 0
    missed_offers: int = 0
    transfers: int = 0
    dispositions: dict[str, int] = field(default_factory=dict)

    @property
    def answered_within_target_share(self) -> float | None:
        """Of the interactions accepted, the share accepted within the queue's target."""
        return self.answered_within_target / self.accepted if self.accepted else None


@dataclass(frozen=True)
class HourBucket:
    """One hour of the period (its start in the report's time zone)."""

    start: datetime
    texts_in: int = 0
    texts_out: int = 0
    first_response_avg_seconds: float | None = None


@dataclass(frozen=True)
class Report:
    team_id: str
    period: Period
    queue: str | None  # None: every queue
    total: Measures
    by_queue: dict[str, Measures]
    by_agent: dict[str, Measures]  # Slack user id -> their measures
    hours: tuple[HourBucket, ...]
