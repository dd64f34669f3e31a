"""Reading PDFs back as their users' tools do: text with poppler's pdftotext, fonts with pdffonts, and
QR codes with zxing-cpp on the page rendered by pdftoppm."""
import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image


def _poppler(tool: str, content: bytes, *args: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(content)
        return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                              check=True, capture_output=True, text=True).stdout


def pdf_pages(content: bytes) -> list[str]:
    """Each page's text as pdftotext extracts it (what search, copy and screen readers get)."""
    return _poppler("pdftotext", content).split("\f")[:-1]


def pdf_fonts(content: bytes) -> list[dict]:
    """pdffonts' table: each font's name and whether it is embedded."""
    rows = _poppler("pdffonts", content).splitlines()[2:]
    return [{"name": row.split()[0], "embedded": row.split()[-5] == "yes"} for row in rows]


def qr_texts(content: bytes, page: int = 1) -> list[str]:
    """The QR codes zxing-cpp reads on `page` rendered at 150 dpi."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(content)
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), "-singlefile",
                        str(path), str(Path(folder) / "page")], check=True)
        with Image.open(Path(folder) / "page.png") as image:
            return [barcode.text for barcode in zxingcpp.read_barcodes(image)
                    if barcode.format == zxingcpp.BarcodeFormat.QRCode]


def flat(text: str) -> str:
    return "".join(text.split())
