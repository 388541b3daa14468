"""The fields of a multipart/form-data body (a Batch API file upload), read where they lie.

A fixture keys an upload by its form fields and a hash of each file, not by its bytes: the
boundary is random, so the same upload never has the same bytes twice.
"""

from __future__ import annotations

import hashlib
from typing import Any


def form_fields(content: bytes, content_type: str) -> dict[str, Any] | None:
    """The fields of a multipart/form-data body, without copying the files it carries."""
    from email.message import Message

    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return None
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    view = memoryview(content)
    position = content.find(delimiter[2:])
    if position < 0:
        return None
    position += len(delimiter) - 2
    fields: dict[str, Any] = {}
    while not content.startswith(b"--", position):  # "--" after a delimiter ends the body
        head_end = content.find(b"\r\n\r\n", position)
        end = content.find(delimiter, head_end)
        if head_end < 0 or end < 0:
            return None
        part = Message()
        for line in content[position:head_end].decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip():
                part[name.strip()] = value.strip()
        name = part.get_param("name", header="content-disposition")
        filename = part.get_param("filename", header="content-disposition")
        data = view[head_end + 4 : end]
        if filename is not None:
            fields[str(name)] = {
                "filename": str(filename),
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        else:
            fields[str(name)] = bytes(data).decode("utf-8", "replace")
        position = end + len(delimiter)
    return fields
