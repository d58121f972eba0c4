"""files.* methods for slack_sdk's files_upload_v2: get an upload URL, send bytes, complete."""

from __future__ import annotations

import mimetypes
from typing import Any

from bot.sandbox.errors import SlackError, invalid_arguments
from bot.sandbox.methods.base import Call, method, resolve_target
from bot.sandbox.model import FileRecord
from bot.sandbox.workspace import Workspace


@method("files.getUploadURLExternal")
def get_upload_url(call: Call) -> dict[str, Any]:
    """Announce a file; the client then POSTs its bytes to the returned ``upload_url``."""
    ws = call.ws
    filename = call.require("filename")
    length = call.integer("length", -1)
    if length < 0:
        raise invalid_arguments("missing required field: length")
    file_id = ws.ids.new("F")
    upload_url = f"{ws.public_url}/sandbox/upload/{file_id}"
    ws.state.files[file_id] = FileRecord(
        id=file_id,
        name=filename,
        length=length,
        user=ws.bot_user_id,
        created=int(ws.now()),
        upload_url=upload_url,
        mimetype=mimetypes.guess_type(filename)[0] or "application/octet-stream",
    )
    return {"upload_url": upload_url, "file_id": file_id}


def receive_upload(ws: Workspace, file_id: str, data: bytes) -> bool:
    """Store the bytes POSTed to an upload URL; False if no such upload was announced."""
    with ws.mutation():
        record = ws.state.files.get(file_id)
        if record is None or record.completed:
            return False
        record.data = data
        return True


@method("files.completeUploadExternal")
def complete_upload(call: Call) -> dict[str, Any]:
    """Finish uploads and, with ``channel_id``/``channels``, share them in one message."""
    ws = call.ws
    entries = call.json("files")
    if not isinstance(entries, list) or not entries:
        raise invalid_arguments("missing required field: files")
    records: list[FileRecord] = []
    for entry in entries:
        record = ws.state.files.get(entry.get("id", "") if isinstance(entry, dict) else "")
        if record is None or record.data is None:
            raise SlackError("file_not_found")
        records.append(record)
    targets = [c.strip() for c in (call.get("channels") or "").split(",") if c.strip()]
    if call.get("channel_id"):
        targets.insert(0, call.get("channel_id") or "")
    try:
        channels = [resolve_target(call, target) for target in targets]
    except SlackError as exc:
        error = "invalid_channel" if exc.error == "channel_not_found" else exc.error
        raise SlackError(error) from None
    for record, entry in zip(records, entries, strict=True):
        record.title = entry.get("title") or record.name
        record.completed = True
    for channel in channels:
        message = ws.bot_message(
            text=call.get("initial_comment") or "",
            thread_ts=call.get("thread_ts"),
            upload=True,
            files=[r.to_api(ws.public_url) for r in records],
        )
        ws.post(channel, message)
        for record in records:
            record.channels.append(channel.id)
            record.shares.setdefault(channel.id, []).append(message["ts"])
        message["files"] = [r.to_api(ws.public_url) for r in records]  # now with their shares
    return {"files": [r.to_api(ws.public_url) for r in records]}


@method("files.info")
def file_info(call: Call) -> dict[str, Any]:
    """A file's details."""
    ws = call.ws
    record = ws.state.files.get(call.require("file", "file_not_found"))
    if record is None or not record.completed:
        raise SlackError("file_not_found")
    return {"file": record.to_api(ws.public_url)}
