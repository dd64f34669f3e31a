"""Telling an upload's type from its bytes, never its name."""
import io
import struct
import zlib

import pytest
from PIL import Image

from fair.applications import uploads


def image_bytes(format: str, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format=format)
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size (a decompression bomb only needs to claim it)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


@pytest.mark.parametrize("data, content_type", [
    (PDF, uploads.PDF),
    (image_bytes("JPEG"), uploads.JPEG),
    (image_bytes("PNG"), uploads.PNG),
])
def test_accepted_types(data, content_type):
    assert uploads.inspect(data) == uploads.Verdict(content_type=content_type)


@pytest.mark.parametrize("data, problem", [
    (b"", "empty"),
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "program"),      # a Windows program, whatever its name
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "program"),
    (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 64, "program"),
    (b"#!/bin/sh\nrm -rf ~\n", "program"),
    (b"<html><script>alert(1)</script></html>", "unknown"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "unknown"),
    (b"PK\x03\x04" + b"\x00" * 100, "unknown"),                      # a Word document or any zip
    (b"GIF89a" + b"\x00" * 100, "unknown"),
    (PDF[:-7], "damaged"),                                            # cut off before %%EOF
    (image_bytes("JPEG")[:300], "damaged"),
    (image_bytes("PNG")[:60], "damaged"),
    (b"\x89PNG\r\n\x1a\n" + b"this is not an image", "damaged"),
    (png_header_claiming(20_000, 20_000), "damaged"),                 # 400 megapixels
])
def test_refused_content(data, problem):
    assert uploads.inspect(data) == uploads.Verdict(problem=problem)


def test_a_jpeg_signature_on_png_data_is_damaged():
    assert not uploads.image_decodes(b"\xff\xd8\xff" + image_bytes("PNG")[3:], uploads.JPEG)


def test_every_accepted_type_has_an_extension():
    assert set(uploads.EXTENSIONS) == {uploads.PDF, uploads.JPEG, uploads.PNG}
