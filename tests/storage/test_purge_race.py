"""A workspace's purge while its desk is still writing: on PostgreSQL a child row can land
between the delete of its table and the delete of its parent's, which used to fail the
purge on the foreign key (seen in CI: a waiting-alert timer's timeline line)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.desk.data_protection import purge
from bot.desk.interactions import agents, inbound
from bot.desk.messages import InboundMessage
from storage.models import Interaction, TimelineEvent

pytestmark = pytest.mark.postgres
SETTINGS = Settings(desk_channel="CDESK", offer_timeout_seconds=30)


def _purge_is_waiting(db) -> bool:
    if db.is_sqlite:
        time.sleep(0.5)  # one writer at a time: the purge can only wait
        return True
    with db.engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%interactions%'")).scalar())


def test_a_purge_takes_the_rows_written_while_it_waited(db):
    agents.set_ready(db, SETTINGS, "T1", "UAGENT1", True)
    inbound.receive_inbound(db, SETTINGS, "T1",
                            InboundMessage("twilio", "SM1", "+14155550100", "+15005550006",
                                           "hi"))
    with db.transaction() as s:
        interaction_id = s.scalar(select(Interaction.id))

    outcome: dict[str, object] = {}

    def run_purge() -> None:
        try:
            outcome["deleted"] = purge.purge(db, "T1")
        except Exception as error:  # the test reports it below
            outcome["error"] = error

    # A timer writes a timeline line and has not committed yet when the purge starts.
    with db.transaction() as writer:
        writer.add(TimelineEvent(team_id="T1", interaction_id=interaction_id,
                                 kind="waiting_alert"))
        writer.flush()
        purging = threading.Thread(target=run_purge)
        purging.start()
        deadline = time.monotonic() + 10
        while not _purge_is_waiting(db):
            assert time.monotonic() < deadline, "the purge never reached the locked rows"
            time.sleep(0.05)
    purging.join(30)

    assert "error" not in outcome, outcome.get("error")
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 0
        assert s.scalar(select(func.count()).select_from(TimelineEvent)) == 0
