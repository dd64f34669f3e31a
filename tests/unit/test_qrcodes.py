"""QR codes drawn into a PDF decode, with a real decoder (zxing-cpp), to exactly the text put in."""
import io

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from fair.documents.qrcodes import draw_qr, qr_code
from tests.pdfs import qr_texts


def pdf_with_code(text: str, size: float) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFillColorRGB(0.95, 0.56, 0.17)                  # a coloured page: the quiet zone stays white
    canvas.rect(0, 0, *A4, stroke=0, fill=1)
    draw_qr(canvas, text, 100, 300, size)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.mark.parametrize("text", [
    "http://localhost/fairs/js-2026/projects/17",
    "https://fair.example.cn/fairs/js-2026/projects/3500?utm_source=sign&lang=zh_Hans#" + "x" * 200,
    "扫码查看项目详情：银龄守护",
    "T-8fJ2kQx9ZrW1mN0pLs4Vb7",
])
def test_a_drawn_code_decodes_to_its_text(text):
    assert qr_texts(pdf_with_code(text, 200)) == [text]


def test_a_small_code_still_decodes_at_print_preview_resolution():
    assert qr_texts(pdf_with_code("http://localhost/fairs/js-2026/projects/17", 90)) == [
        "http://localhost/fairs/js-2026/projects/17"]


def test_error_correction_is_at_least_medium():
    assert qr_code("http://localhost/fairs/js-2026/projects/17").error in ("M", "Q", "H")

