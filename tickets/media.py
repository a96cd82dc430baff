"""Photos sent by MMS: recorded with the message, copied off Twilio by a job, kept on disk."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import requests
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tickets.models import Contact, Media, OutboundMessage, Ticket, utcnow
from tickets.outbound import insert_ignore

log = logging.getLogger(__name__)

ALLOWED_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
}
MAX_BYTES = 5 * 1024 * 1024
MAX_MEDIA_PER_MESSAGE = 10  # Twilio's own limit
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


class MediaRejected(ValueError):
    """The file is not a photo we keep (type, size, or a failed download that won't heal)."""


def media_items(form: Mapping[str, str]) -> list[tuple[str, str]]:
    """(url, declared content type) of each attachment of a Twilio SMS webhook."""
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        return []
    items = []
    for i in range(min(max(count, 0), MAX_MEDIA_PER_MESSAGE)):
        url = form.get(f"MediaUrl{i}") or ""
        if url.startswith(("https://", "http://")):
            ctype = (form.get(f"MediaContentType{i}") or "").split(";")[0].strip().lower()
            items.append((url, ctype))
    return items


def record_media(
    session: Session,
    *,
    message_sid: str,
    source_key: str,
    items: list[tuple[str, str]],
    ticket_id: int | None = None,
) -> list[int]:
    """One Media row per attachment (idempotent on MessageSid:index); ids of those to fetch."""
    to_fetch = []
    for i, (url, ctype) in enumerate(items):
        allowed = ctype in ALLOWED_TYPES
        values = dict(
            key=f"{message_sid}:{i}",
            source_key=source_key,
            ticket_id=ticket_id,
            url=url,
            content_type=ctype[:64],
            status="pending" if allowed else "rejected",
            error=None if allowed else f"type {ctype or 'unknown'} is not a photo we keep",
            created_at=utcnow(),
        )
        if insert_ignore(session, Media, values) and allowed:
            media_id = session.scalar(select(Media.id).where(Media.key == values["key"]))
            assert media_id is not None
            to_fetch.append(media_id)
    return to_fetch


def sniff(head: bytes) -> str | None:
    """The image type the first bytes of a file say it is (magic numbers), None if none."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic"
    return None


def media_dir(data_dir: Path) -> Path:
    return data_dir / "media"


def fetch_and_store(
    session: Session,
    media_id: int,
    *,
    data_dir: Path,
    auth: tuple[str, str] | None,
    timeout: float = 10.0,
    max_bytes: int = MAX_BYTES,
) -> Media:
    """Download one attachment (streamed, size- and type-checked) to disk; idempotent.

    A permanent problem marks the row rejected; a transient one (5xx, 429, network) raises so
    the job's Retry applies.
    """
    media = session.get(Media, media_id)
    if media is None:
        raise LookupError(f"media {media_id} does not exist")
    if media.status in ("stored", "rejected"):
        return media
    try:
        path, size, ctype = _download(media, data_dir, auth, timeout, max_bytes)
    except MediaRejected as exc:
        media.status, media.error = "rejected", str(exc)
        session.commit()
        log.warning("media %s rejected: %s", media.id, exc)
        return media
    media.status, media.path, media.size, media.content_type = "stored", str(path), size, ctype
    media.error = None
    session.commit()
    log.info("media %s stored (%s, %d bytes)", media.id, ctype, size)
    return media


def _download(
    media: Media, data_dir: Path, auth: tuple[str, str] | None, timeout: float, max_bytes: int
) -> tuple[Path, int, str]:
    with requests.get(media.url, auth=auth, timeout=timeout, stream=True) as resp:
        if resp.status_code == 429 or resp.status_code >= 500:
            resp.raise_for_status()  # transient: let the job retry
        if resp.status_code >= 400:
            raise MediaRejected(f"download failed with HTTP {resp.status_code}")
        declared = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if declared and declared not in ALLOWED_TYPES:
            raise MediaRejected(f"type {declared} is not a photo we keep")
        length = resp.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise MediaRejected(f"{length} bytes is over the {max_bytes}-byte limit")
        data = bytearray()
        for chunk in resp.iter_content(64 * 1024):
            data += chunk
            if len(data) > max_bytes:
                raise MediaRejected(f"over the {max_bytes}-byte limit")
    ctype = sniff(bytes(data[:16]))
    if ctype is None:
        raise MediaRejected("the file is not a JPEG, PNG, GIF, WebP or HEIC image")
    folder = media_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{media.id}{ALLOWED_TYPES[ctype]}"
    tmp = path.with_suffix(".part")
    tmp.write_bytes(bytes(data))
    os.replace(tmp, path)  # atomic: a reader never sees half a photo
    return path, len(data), ctype


def for_ticket(session: Session, ticket: Ticket) -> list[Media]:
    """The photos of a ticket: attached to it, or sent with one of its contacts."""
    keys = select(Contact.source_key).where(Contact.ticket_id == ticket.id)
    query = select(Media).where(or_(Media.ticket_id == ticket.id, Media.source_key.in_(keys)))
    return list(session.scalars(query.order_by(Media.id)))


def clinic_of(session: Session, media: Media) -> str | None:
    """The clinic whose ticket holds this photo (None while not yet filed)."""
    ticket_id = media.ticket_id or session.scalar(
        select(Contact.ticket_id).where(Contact.source_key == media.source_key)
    )
    ticket = session.get(Ticket, ticket_id) if ticket_id else None
    return ticket.clinic_id if ticket else None


def record_inbound(
    session: Session,
    *,
    message_sid: str,
    source_key: str,
    media: list[tuple[str, str]],
    er_reply: Mapping[str, object] | None = None,
) -> list[int]:
    """What an inbound text leaves in the database: its photos as Media rows, and the ER reply
    it carried as the thread's ER message (status sent, so the filing job does not send it
    again). Idempotent; ids of the photos to fetch."""
    ids = record_media(session, message_sid=message_sid, source_key=source_key, items=media)
    if er_reply:
        insert_ignore(session, OutboundMessage, dict(er_reply))
    return ids
