"""When a worker may take back the jobs of workers that stopped beating: not right after a
gap in its own beats. The database was then away for it, and likely for every worker, so
every beat is old; the others get as long to beat again as a worker may stay silent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class Pulse:
    silent_after: timedelta
    last_beat: datetime | None = None
    # After a gap in this worker's own beats: nothing is taken back before this.
    waiting_until: datetime | None = None

    def beat(self, at: datetime) -> None:
        """This worker's beat was written at `at` (the database's clock)."""
        if self.last_beat is not None and at - self.last_beat > self.silent_after:
            self.waiting_until = at + self.silent_after
        self.last_beat = at

    def may_take_back(self) -> bool:
        return self.waiting_until is None or (
            self.last_beat is not None and self.last_beat >= self.waiting_until)
