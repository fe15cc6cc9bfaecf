"""Use cases of MMS files: keep what the provider sent, record what became of it, share it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from bot.config import Settings
from bot.desk import effects
from bot.desk.admin import permissions
from storage.db import Database
from storage.models import Interaction, Media


@dataclass(frozen=True)
class MediaFacts:
    id: int
    team_id: str
    interaction_id: int
    position: int
    state: str
    provider_url: str | None
    content_type: str | None
    has_original: bool


def facts(db: Database, media_id: int) -> MediaFacts | None:
    with db.transaction() as s:
        row = s.execute(select(
            Media.id, Media.team_id, Media.interaction_id, Media.position, Media.state,
            Media.provider_url, Media.content_type, Media.original_size,
        ).where(Media.id == media_id)).first()
    if row is None:
        return None
    return MediaFacts(*row[:7], has_original=row.original_size is not None)


def original_bytes(db: Database, media_id: int) -> bytes | None:
    with db.transaction() as s:
        return s.scalar(select(Media.original).where(Media.id == media_id))


def keep_original(db: Database, media_id: int, data: bytes, content_type: str | None) -> None:
    """Store first: once fetched, the customer's file is ours whatever Pillow thinks of it."""
    with db.transaction() as s:
        media = s.get_one(Media, media_id)
        media.original = data
        media.original_size = len(data)
        if content_type and not media.content_type:
            media.content_type = content_type


def mark_ready(db: Database, media_id: int, *, display: bytes, display_content_type: str,
               thumbnail: bytes, width: int, height: int) -> None:
    with db.transaction() as s:
        media = s.get_one(Media, media_id)
        media.display, media.display_content_type = display, display_content_type
        media.thumbnail, media.width, media.height = thumbnail, width, height
        media.state = "ready"
        effects.sync_transcript(s, media.team_id, media.interaction_id)


def mark_unshowable(db: Database, media_id: int, state: str, note: str) -> None:
    """`rejected` (fetched but not a safe image) or `failed` (never fetched)."""
    with db.transaction() as s:
        media = s.get_one(Media, media_id)
        media.state = state
        media.note = note[:300]
        effects.sync_transcript(s, media.team_id, media.interaction_id)


def share_links(db: Database, settings: Settings, team_id: str, media_id: int, user_id: str,
                link_for: Callable[[int, str], str]) -> bool:
    """Tell one person, privately, where to open (and, if their role allows, save) a file."""
    with db.transaction() as s:
        media = s.get(Media, media_id)
        if media is None or media.team_id != team_id:
            return False
        interaction = s.get_one(Interaction, media.interaction_id)
        lines = []
        if media.state == "ready":
            lines.append(f"<{link_for(media.id, 'view')}|Open picture {media.position} "
                         "full size> (link valid for 10 minutes)")
        else:
            lines.append(f"Picture {media.position} cannot be shown here.")
        if permissions.may_save_media(settings, user_id, interaction.agent_user_id,
                                      permissions.role_groups_of(s, settings, team_id, user_id)):
            if media.state == "ready":
                lines.append(f"<{link_for(media.id, 'save')}|Save picture {media.position}>")
            elif media.original_size:
                lines.append(f"<{link_for(media.id, 'original')}|Save the original file "
                             f"({media.original_size // 1024 + 1} KB)>")
        effects.notify_agent(s, team_id, user_id, "\n".join(lines),
                             channel=interaction.desk_channel, thread_ts=interaction.thread_ts)
        return True
