"""MMS photos: recorded, fetched by the worker with the account's credentials, checked, stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nightdesk.services import Services
from tests.media_server import JPEG, PNG, MediaFiles, serve
from tickets.media import MAX_BYTES, media_items, record_media, sniff
from tickets.models import Media
from workers.media import enqueue_fetch


@pytest.fixture
def media_files(services: Services) -> Iterator[MediaFiles]:
    s = services.settings
    with serve(MediaFiles(auth=f"{s.twilio_account_sid}:{s.twilio_auth_token}")) as files:
        yield files


def _fetch(services: Services, run_worker: Callable[[], int], url: str, ctype: str) -> Media:
    with services.session() as s:
        ids = record_media(s, message_sid="MM1", source_key="sms:t1", items=[(url, ctype)])
        s.commit()
    for media_id in ids:
        enqueue_fetch(services.queue, media_id)
    run_worker()
    with services.session() as s:
        media = s.query(Media).one()
        s.expunge(media)
        return media


def test_photo_is_fetched_with_credentials_and_stored(
    services: Services, run_worker: Callable[[], int], media_files: MediaFiles
) -> None:
    url = media_files.add("/Media/ME1", PNG)
    media = _fetch(services, run_worker, url, "image/png")
    assert media.status == "stored" and media.size == len(PNG)
    assert media.path is not None
    stored = Path(media.path)
    assert stored.read_bytes() == PNG
    assert stored.parent == services.settings.data_dir / "media"
    assert media_files.requests == ["/Media/ME1"]


@pytest.mark.parametrize(
    ("body", "declared", "served_as", "why"),
    [
        (b"<html>not a photo</html>", "image/jpeg", "image/jpeg", "not a JPEG"),
        (PNG, "image/png", "application/pdf", "application/pdf"),
        (JPEG + b"\x00" * MAX_BYTES, "image/jpeg", "image/jpeg", "limit"),
    ],
    ids=["magic-bytes", "served-type", "too-big"],
)
def test_a_file_that_is_not_a_small_photo_is_rejected(
    services: Services,
    run_worker: Callable[[], int],
    media_files: MediaFiles,
    body: bytes,
    declared: str,
    served_as: str,
    why: str,
) -> None:
    url = media_files.add("/Media/ME2", body, served_as)
    media = _fetch(services, run_worker, url, declared)
    assert media.status == "rejected" and media.path is None
    assert why in (media.error or "")
    assert not (services.settings.data_dir / "media").exists() or not any(
        (services.settings.data_dir / "media").iterdir()
    )


def test_declared_non_image_is_recorded_but_never_fetched(
    services: Services, run_worker: Callable[[], int], media_files: MediaFiles
) -> None:
    url = media_files.add("/Media/ME3", b"%PDF-1.4", "application/pdf")
    media = _fetch(services, run_worker, url, "application/pdf")
    assert media.status == "rejected"
    assert media_files.requests == []


def test_expired_media_is_rejected_not_retried(
    services: Services, run_worker: Callable[[], int], media_files: MediaFiles
) -> None:
    media = _fetch(services, run_worker, media_files.url + "/Media/gone", "image/png")
    assert media.status == "rejected" and "404" in (media.error or "")


def test_server_error_leaves_the_photo_pending_for_a_retry(
    services: Services, run_worker: Callable[[], int], media_files: MediaFiles
) -> None:
    url = media_files.add("/Media/ME4", b"oops", "text/plain", status=503)
    media = _fetch(services, run_worker, url, "image/png")
    assert media.status == "pending"
    media_files.add("/Media/ME4", PNG)
    from workers.media import fetch_media

    assert fetch_media(media.id) == "stored"


def test_webhook_form_lists_its_attachments() -> None:
    form = {
        "NumMedia": "3",
        "MediaUrl0": "https://api.twilio.com/a",
        "MediaContentType0": "image/JPEG",
        "MediaUrl1": "javascript:alert(1)",
        "MediaContentType1": "image/png",
        "MediaUrl2": "https://api.twilio.com/c",
        "MediaContentType2": "image/webp; charset=binary",
    }
    assert media_items(form) == [
        ("https://api.twilio.com/a", "image/jpeg"),
        ("https://api.twilio.com/c", "image/webp"),
    ]
    assert media_items({"NumMedia": "lots"}) == []


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
        (b"%PDF-1.7\n", None),
        (b"", None),
    ],
)
def test_magic_bytes(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind
