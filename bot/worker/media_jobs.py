"""Jobs for MMS files: fetch from the provider, check and thumbnail with Pillow, record."""

from __future__ import annotations

import logging

from bot.desk import jobs
from bot.desk.interactions import mms
from bot.desk.messages import MediaFetchError
from bot.media.images import MAX_BYTES, ImageRejected, process_image
from bot.services import Services
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)
FETCH_ATTEMPTS = 6


def process_media(services: Services, job: jobs.ProcessMedia, run: ClaimedJob) -> None:
    facts = mms.facts(services.db, job.media_id)
    if facts is None or facts.state != "pending":
        return
    data = mms.original_bytes(services.db, facts.id) if facts.has_original else None
    if data is None:
        try:
            data, content_type = services.sender.fetch_media(facts.provider_url, MAX_BYTES)
        except MediaFetchError as error:
            if error.permanent or run.attempts >= FETCH_ATTEMPTS:
                log.warning("MMS file %s not fetched: %s", facts.id, error)
                mms.mark_unshowable(services.db, facts.id, "failed", str(error))
                return
            raise
        mms.keep_original(services.db, facts.id, data, content_type)
    try:
        image = process_image(data)
    except ImageRejected as rejected:
        mms.mark_unshowable(services.db, facts.id, "rejected", rejected.reason)
        return
    mms.mark_ready(services.db, facts.id, display=image.display,
                   display_content_type=image.display_content_type,
                   thumbnail=image.thumbnail, width=image.width, height=image.height)
