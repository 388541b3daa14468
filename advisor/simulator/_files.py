"""OpenAI's Files API over an in-memory store: upload, metadata and content.

Enough for the Batch API: a batch reads its input file from here and writes its output and error
files back. Files live as long as the server.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from advisor.simulator._errors import ApiError

if TYPE_CHECKING:
    from advisor.simulator._server import Stats

PURPOSES = frozenset(
    {"assistants", "batch", "fine-tune", "vision", "user_data", "evals", "batch_output"}
)
"""What an upload may declare; `batch_output` is the server's own, for batch results."""
_UPLOADABLE = PURPOSES - {"batch_output"}


@dataclass(frozen=True)
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: int

    def object(self) -> dict[str, Any]:
        """The file object as `GET /v1/files/{id}` returns it."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }


class Files:
    """The uploaded and generated files, by id, and the handlers that serve them."""

    def __init__(self, stats: Stats) -> None:
        self._stats = stats
        self._files: dict[str, StoredFile] = {}

    def add(self, filename: str, purpose: str, data: bytes) -> StoredFile:
        stored = StoredFile(
            f"file-{uuid.uuid4().hex[:24]}", filename, purpose, data, int(time.time())
        )
        self._files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        stored = self._files.get(file_id)
        if stored is None:
            raise ApiError(404, f"No such File object: {file_id}", param="id")
        return stored

    async def upload(self, request: web.Request) -> web.StreamResponse:
        """`POST /v1/files`: multipart form with `purpose` and `file`, read as a stream."""
        if not request.content_type.startswith("multipart/"):
            raise ApiError(400, "The request must be multipart/form-data with a file and purpose.")
        fields: dict[str, str] = {}
        data: bytes | None = None
        filename = ""
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue  # a nested multipart: OpenAI accepts none either
            if part.name == "file":
                filename = part.filename or "upload"
                data = bytes(await part.read())
            elif part.name:
                fields[part.name] = await part.text()
        purpose = fields.get("purpose")
        if data is None:
            raise ApiError(400, "Missing file: a file part named 'file' is required.", param="file")
        if purpose not in _UPLOADABLE:
            raise ApiError(
                400,
                f"Invalid purpose {purpose!r}: expected one of {', '.join(sorted(_UPLOADABLE))}.",
                param="purpose",
            )
        self._stats.files_uploaded += 1
        return web.json_response(self.add(filename, purpose, data).object())

    async def retrieve(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.get(request.match_info["file_id"]).object())

    async def content(self, request: web.Request) -> web.StreamResponse:
        stored = self.get(request.match_info["file_id"])
        return web.Response(body=stored.data, content_type="application/octet-stream")
