"""The fake Slack's files: uploads through an upload URL, sharing, files.info, deletion.

Files go up as `WebClient.files_upload_v2` sends them: `files.getUploadURLExternal` hands out an
upload URL on this same server, the bytes are POSTed there raw (no token, no multipart), and
`files.completeUploadExternal` shares the files in one message per channel. There:
- An upload URL takes one successful POST; the byte count must equal the declared `length`, or
  the URL answers HTTP 400 and keeps waiting (Slack may not check; the fake does, so a wrong
  `length` fails in tests). Only bytes POSTed raw are understood, which is what slack_sdk sends.
- Sharing happens before `files.completeUploadExternal` answers; Slack shares in the background,
  so its answer leaves out `shares` (as Slack's often does), while `files.info` has them.
- Only a file uploaded and not yet completed can be completed; anything else is
  `file_not_found`.
"""

from __future__ import annotations

import mimetypes
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tests.fakes._http import HttpRequest
from tests.fakes.slack.directory import require_member
from tests.fakes.slack.rules import Refusal

if TYPE_CHECKING:
    from tests.fakes.slack.fake import Bot

UPLOAD_PREFIX = "/upload/v1/"
# The name `fail_next` and `calls_to` use for the POST of a file's bytes to its upload URL.
UPLOAD = "upload"
MAX_ALT_TEXT = 1000
# The Slack file object: "Currently only png, jpg, jpeg, and gif Slack image files".
IMAGE_TYPES = ("png", "jpg", "jpeg", "gif")


@dataclass
class _File:
    """A file from `files.getUploadURLExternal` on: waiting for bytes, uploaded, completed."""

    id: str
    team_id: str
    user: str
    name: str
    length: int
    upload_path: str
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None
    title: str = ""
    created: int = 0
    completed: bool = False
    ready_at: float = 0.0  # time.monotonic() from which blocks may show it
    # (channel, thread_ts or None, ts of the message that shares it)
    shares: list[tuple[str, str | None, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The file as Slack shows it in messages and answers, without where it is shared."""
        mimetype = mimetypes.guess_type(self.name)[0] or "application/octet-stream"
        extension = self.name.rpartition(".")[2].lower() if "." in self.name else ""
        base = f"https://files.slack.com/files-pri/{self.team_id}-{self.id}"
        shown = {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title,
            "mimetype": mimetype,
            "filetype": {"jpeg": "jpg"}.get(extension, extension or "binary"),
            "user": self.user,
            "user_team": self.team_id,
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "size": self.length,
            "url_private": f"{base}/{quote(self.name)}",
            "url_private_download": f"{base}/download/{quote(self.name)}",
            "permalink": (
                f"https://{self.team_id.lower()}.slack.com/files/{self.user}/{self.id}/"
                f"{quote(self.name)}"
            ),
        }
        if self.alt_txt:
            shown["alt_txt"] = self.alt_txt
        return shown


class Files:
    """FakeSlack's uploaded and shared files (a mixin: it runs under FakeSlack's lock)."""

    def _init_files(self) -> None:
        # Slack processes an upload in the background after files.completeUploadExternal
        # answers; until then a block naming the file is refused as an invalid slack file.
        # Tests set this to make that window seconds long; 0: ready at once.
        self.file_processing_seconds = 0.0
        self._files: dict[str, _File] = {}
        self._upload_paths: dict[str, str] = {}  # upload URL path -> file id
        self._deleted_files: set[str] = set()

    def _file_methods(self) -> dict[str, Callable[[Bot, dict[str, Any]], dict[str, Any]]]:
        return {
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
            "files.delete": self._files_delete,
        }

    # -- what happened ---------------------------------------------------------------------

    def files(self) -> list[dict[str, Any]]:
        """Every completed, undeleted file, oldest first: see `file()` for the shape."""
        with self._lock:
            return [_file_record(f) for f in self._files.values() if f.completed]

    def file(self, file_id: str) -> dict[str, Any]:
        """A completed file as Slack describes it, plus the bytes uploaded under `content` and
        `shares`, a list of (channel, thread_ts or None) where it was shared."""
        with self._lock:
            found = self._files.get(file_id)
            if found is None or not found.completed:
                raise KeyError(f"no completed file {file_id}")
            return _file_record(found)

    # -- HTTP ------------------------------------------------------------------------------

    def _receive_upload(
        self, request: HttpRequest, file_id: str | None
    ) -> tuple[int, str, dict[str, str]]:
        failure = self._injected_failure(UPLOAD)
        if failure is not None:
            status, payload, headers = failure
            return status, payload["error"], headers
        if request.method != "POST":
            return 405, "Method Not Allowed", {}
        upload = None if file_id is None else self._files.get(file_id)
        if upload is None or upload.content is not None:
            return 404, "Not Found", {}  # unknown, or already used: the URL is single-use
        if len(request.body) != upload.length:
            return 400, f"length mismatch: declared {upload.length}, got {len(request.body)}", {}
        upload.content = request.body
        return 200, f"OK - {upload.length}", {}

    # -- methods ---------------------------------------------------------------------------

    def _files_get_upload_url_external(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        length = _positive_int(params.get("length"))
        if not filename or length is None:
            raise Refusal("invalid_arguments")
        alt_txt = params.get("alt_txt")
        if alt_txt is not None and len(str(alt_txt)) > MAX_ALT_TEXT:
            raise Refusal("alt_txt_too_large")
        upload = _File(
            id=f"F{uuid.uuid4().hex[:10].upper()}",
            team_id=bot.team_id,
            user=bot.bot_user_id,
            name=filename,
            length=length,
            upload_path=f"{UPLOAD_PREFIX}{uuid.uuid4().hex}",
            alt_txt=None if alt_txt is None else str(alt_txt),
            snippet_type=params.get("snippet_type"),
        )
        self._files[upload.id] = upload
        self._upload_paths[upload.upload_path] = upload.id
        return {"upload_url": self._server.base_url + upload.upload_path, "file_id": upload.id}

    def _files_complete_upload_external(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        # Check everything before changing anything, so a refusal leaves no half-shared files.
        entries = params.get("files")
        if (
            not isinstance(entries, list)
            or not entries
            or not all(isinstance(e, dict) and e.get("id") for e in entries)
        ):
            raise Refusal("invalid_arguments")
        files = []
        for entry in entries:
            found = self._files.get(str(entry["id"]))
            if found is None or found.team_id != bot.team_id or found.completed:
                raise Refusal("file_not_found")
            if found.content is None:
                raise Refusal(
                    "invalid_arguments",
                    response_metadata={"messages": [f"[ERROR] {found.id} was never uploaded"]},
                )
            files.append((found, str(entry.get("title") or found.name)))
        targets = [str(params["channel_id"])] if params.get("channel_id") else []
        targets += [c for c in str(params.get("channels") or "").split(",") if c]
        channels = [self._resolve_channel(target, allow_user=True) for target in targets]
        for channel in channels:
            require_member(channel)
        thread_ts = None
        if params.get("thread_ts"):
            if len(channels) != 1:
                raise Refusal("invalid_arguments")  # a thread needs exactly one channel
            thread_ts = self._thread_root(channels[0].id, params["thread_ts"])

        for upload, title in files:
            upload.title = title
            upload.created = int(time.time())
            upload.completed = True
            upload.ready_at = time.monotonic() + self.file_processing_seconds
        for channel in channels:
            message = self._append_message(
                channel.id,
                thread_ts,
                text=str(params.get("initial_comment") or ""),
                files=[upload.summary() for upload, _ in files],
                user=bot.bot_user_id,
                bot_id=bot.bot_id,
                team=bot.team_id,
            )
            for upload, _ in files:
                upload.shares.append((channel.id, thread_ts, message["ts"]))
        return {"files": [upload.summary() for upload, _ in files]}

    def _files_info(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        found = self._require_file(bot, params.get("file"))
        return {
            "file": self._file_as_slack(found),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    def _files_delete(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        found = self._require_file(bot, params.get("file"))
        del self._files[found.id]
        self._upload_paths.pop(found.upload_path, None)
        self._deleted_files.add(found.id)
        # Messages that showed the file keep a tombstone in its place, as in Slack.
        for messages in self._messages.values():
            for message in messages:
                message["files"] = [
                    {"id": f["id"], "mode": "tombstone"} if f["id"] == found.id else f
                    for f in message["files"]
                ]
        return {}

    # -- blocks naming files ---------------------------------------------------------------

    def check_slack_files(self, bot: Bot, blocks: Any, error: str = "invalid_blocks") -> None:
        """Image blocks whose `slack_file` names a file the bot cannot show: not there (or
        another workspace's, or deleted), not yet processed, or not a png/jpg/gif image.
        Slack answers `invalid_blocks` with "invalid slack file" at the block's pointer."""
        if not isinstance(blocks, list):
            return
        problems = []
        for index, block in enumerate(blocks):
            named = block.get("slack_file") if isinstance(block, dict) else None
            if block.get("type") != "image" or not isinstance(named, dict):
                continue
            found = self._file_named(bot, named)
            if (found is None or not found.completed or time.monotonic() < found.ready_at
                    or found.name.rpartition(".")[2].lower() not in IMAGE_TYPES):
                problems.append(f"invalid slack file [json-pointer:/blocks/{index}/slack_file]")
        if problems:
            raise Refusal(error, errors=problems,
                          response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})

    def _file_named(self, bot: Bot, named: dict[str, Any]) -> _File | None:
        if "id" in named:
            found = self._files.get(str(named["id"]))
        else:  # url_private or permalink
            found = next((f for f in self._files.values() if str(named.get("url")) in (
                f.summary()["url_private"], f.summary()["permalink"])), None)
        return found if found is not None and found.team_id == bot.team_id else None

    # -- helpers ---------------------------------------------------------------------------

    def _require_file(self, bot: Bot, file_id: Any) -> _File:
        file_id = str(file_id or "")
        if file_id in self._deleted_files:
            raise Refusal("file_deleted")
        found = self._files.get(file_id)
        if found is None or not found.completed or found.team_id != bot.team_id:
            raise Refusal("file_not_found")
        return found

    def _file_as_slack(self, upload: _File) -> dict[str, Any]:
        """A file with where it is shared, as files.info describes it."""
        shown = upload.summary()
        kinds: dict[str, list[str]] = {"channels": [], "groups": [], "ims": []}
        shares: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for channel_id, thread_ts, ts in upload.shares:
            channel = self._channels[channel_id]
            kind = "ims" if channel.dm_user else "groups" if channel.is_private else "channels"
            if channel_id not in kinds[kind]:
                kinds[kind].append(channel_id)
            visibility = "public" if kind == "channels" else "private"
            entry = {"ts": ts, "channel_name": channel.name, "team_id": upload.team_id}
            if thread_ts is not None:
                entry["thread_ts"] = thread_ts
            shares.setdefault(visibility, {}).setdefault(channel_id, []).append(entry)
        return {**shown, **kinds, "shares": shares}


def _positive_int(value: Any) -> int | None:
    """`value` as an int above zero (form posts carry numbers as text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


def _file_record(upload: _File) -> dict[str, Any]:
    """What `FakeSlack.file()` shows a test: Slack's description, the bytes, the shares."""
    return {
        **upload.summary(),
        "content": upload.content,
        "shares": [(channel, thread_ts) for channel, thread_ts, _ in upload.shares],
    }
