"""QR codes (segno) for print: booth signs now, visitor tickets later.

The code is drawn into the PDF as vector rectangles, so it stays sharp at any print size and costs a
few hundred path operations per page instead of an embedded image."""
import segno
from reportlab.lib.colors import black, white
from reportlab.pdfgen.canvas import Canvas

QUIET_ZONE = 4          # modules of white margin around the code, as ISO/IEC 18004 asks


def qr_code(text: str) -> segno.QRCode:
    """At least error correction M, raised when it fits the same size: a scuffed or badly lit sign
    still scans. Text is UTF-8, which phone scanners and zxing read."""
    return segno.make_qr(text, error="m", boost_error=True, encoding="utf-8")


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """The code for `text` in a `size`-point square whose bottom-left corner is (x, y), quiet zone
    included and painted white (so it scans on a coloured background too)."""
    matrix = qr_code(text).matrix
    modules = len(matrix) + 2 * QUIET_ZONE
    runs = []                                  # one rectangle per run of dark modules in a row
    for row_number, row in enumerate(matrix):
        bottom = modules - 1 - QUIET_ZONE - row_number
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            runs.append(f"{QUIET_ZONE + start} {bottom} {column - start} 1 re")
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    canvas.translate(x, y)
    canvas.scale(size / modules, size / modules)
    # Whole-module coordinates written as PDF operators: a path of a few hundred `re` through reportlab's
    # float formatting would cost more than the rest of the page.
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()
