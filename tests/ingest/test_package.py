"""Tests for semsearch.ingest.formats.package: zip packages checked before they are unpacked."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from semsearch.ingest import UnreadableFileError
from semsearch.ingest.formats import package
from semsearch.ingest.formats.package import check_zip_package


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def refusal(data: bytes) -> str:
    with pytest.raises(UnreadableFileError) as caught:
        check_zip_package(Path("a.docx"), data, ".docx")
    return caught.value.reason


def test_an_ordinary_package_passes() -> None:
    text = "".join(f"<w:p>第{n}段，正文内容各不相同。</w:p>" for n in range(20_000)).encode()
    check_zip_package(Path("a.docx"), zipped({"word/document.xml": text}), ".docx")


def test_a_member_packed_like_a_bomb_is_refused() -> None:
    reason = refusal(zipped({"word/document.xml": b" " * (8 * 2**20)}))
    assert reason.startswith("not a valid .docx file (word/document.xml is packed ")
    assert reason.endswith("to 1; the limit is 300 to 1)")


def test_small_members_are_not_held_to_the_ratio() -> None:
    check_zip_package(Path("a.docx"), zipped({"word/styles.xml": b" " * 2**20}), ".docx")


def test_too_much_unpacked_in_total_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package, "MAX_UNPACKED_BYTES", 2**20)
    stored = zipped({f"media/{n}.bin": bytes(600 * 1024) for n in range(2)}, zipfile.ZIP_STORED)
    assert refusal(stored) == "not a valid .docx file (unpacks to 1 MB; the limit is 1 MB)"


def test_too_many_members_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package, "MAX_MEMBERS", 10)
    reason = refusal(zipped({f"{n}.xml": b"<x/>" for n in range(11)}))
    assert reason == "not a valid .docx file (11 parts; the limit is 10)"


def test_not_a_zip() -> None:
    assert refusal(b"PK\x03\x04 no zip") == "not a valid .docx file (File is not a zip file)"
