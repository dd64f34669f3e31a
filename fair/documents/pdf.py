"""reportlab set up for Chinese: one CJK font found once, a canvas that uses it, and line breaking.

Chinese text must print the same on any machine and stay searchable and copyable, so the font is a
TrueType CJK font embedded as a subset (reportlab writes a ToUnicode map, so text extracts). reportlab
reads TrueType outlines only (glyf), not CFF, which rules out the usual Noto Sans CJK .otf/.ttc; hence
the list of TrueType fonts below. Without one, the built-in CID font STSong-Light still gives
extractable text, but viewers substitute their own font for it, so a warning is logged."""
import io
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

log = logging.getLogger(__name__)

FONT_SETTING = "FAIR_PDF_FONT"          # a .ttf/.ttc path, `#index` picks a face of a collection
FALLBACK_FONT = "STSong-Light"
_WINDOWS_FONTS = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
# TrueType (glyf) CJK fonts in the places Debian/Fedora/Arch, macOS and Windows install them, sans first.
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
    "/usr/share/fonts/noto/NotoSansSC-Regular.ttf",
    "/usr/share/fonts/google-noto-sans-sc-fonts/NotoSansSC-Regular.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/System/Library/Fonts/Supplemental/Songti.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    str(_WINDOWS_FONTS / "msyh.ttc"),
    str(_WINDOWS_FONTS / "simhei.ttf"),
    str(_WINDOWS_FONTS / "simsun.ttc"),
)


@dataclass(frozen=True)
class CJKFont:
    """The font to pass to `setFont`, and whether the PDF carries it (False for the CID fallback)."""

    name: str
    embedded: bool
    path: str | None = None


def cjk_font(setting: str | None = None) -> CJKFont:
    """The CJK font, registered with reportlab once: `setting` (or $FAIR_PDF_FONT), else the first known
    TrueType CJK font on this machine, else STSong-Light."""
    return _load_font(setting or os.environ.get(FONT_SETTING) or None)


@lru_cache(maxsize=None)
def _load_font(setting: str | None) -> CJKFont:
    candidates = ([setting] if setting else []) + [path for path in KNOWN_FONTS if Path(path).is_file()]
    for candidate in candidates:
        path, index = split_setting(candidate)
        name = f"FairCJK-{Path(path).stem}-{index}"
        try:
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
        except (OSError, TTFError, ValueError) as error:      # missing, CFF outlines, corrupt
            log.warning("PDF font %s cannot be used (%s)", candidate, error)
            continue
        return CJKFont(name, True, path)
    log.warning("No TrueType CJK font found (set %s or install fonts-wqy-microhei): PDFs use %s, which "
                "is not embedded, so viewers substitute their own font", FONT_SETTING, FALLBACK_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return CJKFont(FALLBACK_FONT, False)


def split_setting(setting: str) -> tuple[str, int]:
    """'/fonts/a.ttc#1' → ('/fonts/a.ttc', 1): the face of a collection; 0 when not given."""
    path, _, index = setting.partition("#")
    return path, int(index) if index.isdigit() else 0


def new_canvas(buffer: io.BytesIO, *, title: str, font: CJKFont, pagesize=A4) -> Canvas:
    """A canvas writing to `buffer`, its metadata in Chinese, with no stray Helvetica in the file."""
    canvas = Canvas(buffer, pagesize=pagesize, initialFontName=font.name, lang="zh-CN")
    canvas.setTitle(title)
    canvas.setCreator("Fair")
    return canvas


def draw_text(canvas: Canvas, x: float, y: float, text: str, font: CJKFont, size: float, *,
              align: str = "left", bold: bool = False, colour: Color = black) -> None:
    """One line at baseline `y`; `align` left/centre/right of `x`. `bold` strokes the outline as well as
    filling it: CJK fonts rarely ship a bold face, and the text stays extractable."""
    width = pdfmetrics.stringWidth(text, font.name, size)
    start = {"left": x, "centre": x - width / 2, "right": x - width}[align]
    canvas.saveState()
    canvas.setFillColor(colour)
    text_object = canvas.beginText(start, y)
    text_object.setFont(font.name, size)
    if bold:
        canvas.setStrokeColor(colour)
        canvas.setLineWidth(size / 30)
        text_object.setTextRenderMode(2)
    text_object.textOut(text)
    canvas.drawText(text_object)
    canvas.restoreState()


# A Latin word or number stays whole; any other character (a hanzi, a space) may end a line.
_TOKENS = re.compile(r"[0-9A-Za-z\u00C0-\u024F'’.,:;!?&@/_+\-]+|\s|.", re.S)
# Chinese closing punctuation never starts a line: it hangs past the margin instead.
_NO_LINE_START = set("，。、；：！？）》」』”’…—%")


def wrap(text: str, font: CJKFont, size: float, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` points (whitespace collapsed)."""
    def fits(line: str) -> bool:
        return pdfmetrics.stringWidth(line, font.name, size) <= width

    lines, line = [], ""
    for token in _TOKENS.findall(" ".join(text.split())):
        if fits(line + token) or (token in _NO_LINE_START and line):
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = "" if token.isspace() else token
        while not fits(line) and len(line) > 1:             # a word wider than the line is cut
            cut = len(line) - 1
            while cut > 1 and not fits(line[:cut]):
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def fit(text: str, font: CJKFont, width: float, sizes: list[float], *, max_lines: int | None = None,
        height: float | None = None, leading: float = 1.25) -> tuple[float, list[str]]:
    """The largest of `sizes` (largest first) at which `text` fits in `max_lines` lines, or in `height`
    points of lines `leading` × size apart; at the smallest size, what does not fit ends in an ellipsis."""
    for size in sizes:
        room = min(max_lines or 1_000, int(height // (size * leading)) if height else 1_000)
        lines = wrap(text, font, size, width)
        if len(lines) <= room:
            return size, lines
    last = lines[room - 1]
    while last and pdfmetrics.stringWidth(last + "…", font.name, size) > width:
        last = last[:-1]
    return size, lines[:room - 1] + [last + "…"]
