"""A strict, bounded ``multipart/form-data`` reader (RFC 7578) for ``POST /v1/flows``.

The body is split on the exact boundary of the request's ``Content-Type`` (case preserved), so the
file part comes back byte for byte. Bounded: at most ``MAX_PARTS`` parts, part headers of at most
``MAX_HEADER_BYTES``; anything else is a ``BadRequestError`` naming the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from einvoice.errors import BadRequestError, ErrorDetail

MAX_PARTS = 10
MAX_HEADER_BYTES = 8 * 1024
_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def _bad(message: str, rule: str = "MULTIPART") -> BadRequestError:
    return BadRequestError(message, [ErrorDetail(message, field="body", rule=rule)])


def params(header: str) -> dict[str, str]:
    return {m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)) for m in _PARAM.finditer(header)}


def boundary_of(content_type: str | None) -> str:
    found = params(content_type or "").get("boundary")
    if not found or len(found) > 200:
        raise _bad("multipart/form-data needs a boundary of at most 200 characters")
    return found


def parse(body: bytes, content_type: str | None) -> dict[str, Part]:
    """``{part name: Part}`` (a name given twice is refused)."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        raise _bad("the body is not multipart/form-data with the announced boundary")
    out: dict[str, Part] = {}
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        if len(out) >= MAX_PARTS:
            raise _bad(f"at most {MAX_PARTS} parts")
        if not chunk.startswith(b"\r\n"):
            raise _bad("a part does not start with CRLF after the boundary")
        head, sep, data = chunk[2:].partition(b"\r\n\r\n")
        if not sep or len(head) > MAX_HEADER_BYTES:
            raise _bad("a part has no header block, or one over 8 KB")
        if not data.endswith(b"\r\n"):
            raise _bad("a part does not end with CRLF before the boundary")
        headers: dict[str, str] = {}
        for raw in head.split(b"\r\n"):
            name, colon, value = raw.decode("latin-1").partition(":")
            if not colon:
                raise _bad("a part header is not 'Name: value'")
            headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        if not disposition.lower().startswith("form-data"):
            raise _bad("every part needs Content-Disposition: form-data")
        p = params(disposition)
        name = p.get("name")
        if not name:
            raise _bad("a part has no name")
        if name in out:
            raise _bad(f"the part {name!r} is given twice")
        out[name] = Part(name, p.get("filename"), headers.get("content-type"), data[:-2])
    else:
        raise _bad("the multipart body is not closed by the final boundary")
    return out
