"""Receipts on transactions: attached by content type, listed, downloaded, detached."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from infra.blobs import DirectoryBlobs
from tests.api import Api, User

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%receipt\n" + b"1 0 obj\n<<>>\nendobj\n" * 10


def attach(
    api: Api, user: User, workspace: str, transaction: str, name: str, content: bytes
) -> Any:
    return api.commands.post(
        f"/api/workspaces/{workspace}/transactions/{transaction}/attachments",
        files={"file": (name, content)},
        headers=user.headers,
    )


def test_a_receipt_is_attached_listed_downloaded_and_detached(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    transaction = api.record(user, workspace, account)["id"]
    png = attach(api, user, workspace, transaction, "../../etc/receipt.png", PNG)
    assert png.status_code == 201, png.text
    assert (png.json()["media_type"], png.json()["size"], png.json()["file_name"]) == (
        "image/png",
        len(PNG),
        "receipt.png",
    )
    assert png.json()["sha256"] == hashlib.sha256(PNG).hexdigest()
    # The content says what it is, not the name.
    pdf = attach(api, user, workspace, transaction, "scan.jpg", PDF)
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["media_type"] == "application/pdf"

    base = f"/api/workspaces/{workspace}/transactions/{transaction}/attachments"
    listed = api.read(user, base, pdf.json()["position"])
    assert [(a["file_name"], a["size"]) for a in listed["data"]] == [
        ("receipt.png", len(PNG)),
        ("scan.jpg", len(PDF)),
    ]
    download = api.reads.get(f"{base}/{pdf.json()['id']}", headers=user.headers)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"].startswith("application/pdf")
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''scan.jpg"

    detached = api.commands.delete(f"{base}/{png.json()['id']}", headers=user.headers)
    assert detached.status_code == 200, detached.text
    listed = api.read(user, base, detached.json()["position"])
    assert [a["file_name"] for a in listed["data"]] == ["scan.jpg"]
    assert api.reads.get(f"{base}/{png.json()['id']}", headers=user.headers).status_code == 404
    history = api.read(
        user,
        f"/api/workspaces/{workspace}/transactions/{transaction}/history",
        detached.json()["position"],
    )
    assert [e["type"] for e in history["data"]][-3:] == [
        "TransactionAttached",
        "TransactionAttached",
        "TransactionDetached",
    ]


def test_what_is_not_a_receipt_is_refused_and_nothing_is_attached(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    recorded = api.record(user, workspace, account)
    transaction = recorded["id"]
    text = attach(api, user, workspace, transaction, "receipt.pdf", b"<html>not a pdf</html>")
    assert text.status_code == 415, text.text
    big = attach(api, user, workspace, transaction, "big.png", PNG + b"\x00" * 5 * 1_048_576)
    assert big.status_code == 413, big.text[:200]
    unknown = attach(api, user, workspace, "00000000-0000-0000-0000-000000000001", "r.png", PNG)
    assert unknown.status_code == 404, unknown.text
    stranger = api.user("Eve")
    theirs = api.workspace(stranger)
    other = attach(api, stranger, theirs, transaction, "r.png", PNG)
    assert other.status_code == 404, other.text
    listed = api.read(
        user,
        f"/api/workspaces/{workspace}/transactions/{transaction}/attachments",
        recorded["position"],
    )
    assert listed["data"] == []


def test_a_directory_keeps_each_content_once_under_its_digest(tmp_path: Path) -> None:
    blobs = DirectoryBlobs(tmp_path / "attachments")

    async def scenario() -> tuple[str, str, bytes | None, bytes | None]:
        await blobs.create_table()
        first = await blobs.put(PDF)
        again = await blobs.put(PDF)
        return first, again, await blobs.get(first), await blobs.get("0" * 64)

    first, again, content, missing = asyncio.run(scenario())
    assert first == again == hashlib.sha256(PDF).hexdigest()
    assert (content, missing) == (PDF, None)
    assert [p.name for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == [first]
