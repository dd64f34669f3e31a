"""The summary report as PDF: plain data in (a Report of sections of blocks, every word already in the reader's
language), bytes out; no Flask, no database.

Laid out with reportlab's platypus so text flows: a long table goes on over the next pages with its header
repeated, a chart or a grid of figures is never split, and nothing is drawn past the bottom margin. Each page
has the fair's name and dates in its header, and the time of writing and "page n of N" in its footer. The
charts are reportlab's own graphics (bar charts and pies); every word in them is in the embedded CJK font, so
the labels and values extract with the rest of the text."""
import io
import math
from dataclasses import dataclass
from functools import partial
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, KeepTogether, PageTemplate,
                                Paragraph, Spacer, Table as TableFlowable, TableStyle)

from fair.console.charts import PALETTE, number
from fair.documents.pdf import CJKFont, cjk_font, draw_text
from fair.money import yuan

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 50                        # left and right
TOP = 66                           # the header's band
BOTTOM = 58                        # the footer's band
WIDTH = PAGE_WIDTH - 2 * MARGIN
INK = HexColor("#212529")
GREY = HexColor("#5c636a")
RULE = HexColor("#ced4da")
ACCENT = HexColor("#a61b1b")       # the red of Chinese official documents, for the headings
PANEL = HexColor("#f1f3f5")
GRID = HexColor("#e3e6ea")
COLOURS = [HexColor(colour) for colour in PALETTE]
FIGURES_PER_ROW = 4
CHART_FONT = 8
LABEL_ROOM = 140                   # at most this much of a bar chart's width for its row labels


# --- what the report says ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One headline number, already written out (e.g. "3,500", "¥31,200,000")."""

    label: str
    value: str


@dataclass(frozen=True)
class Figures:
    items: tuple[Figure, ...]
    title: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class BarChart:
    """Bars per label, one for each series; `money` values are integer fen, written as ¥. Horizontal bars
    (a row per label) suit long labels; vertical ones a run such as the hours of a day. The value axis
    reaches at least `scale`, so charts meant to be compared can share one."""

    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    money: bool = False
    horizontal: bool = True
    scale: int = 0


@dataclass(frozen=True)
class PieChart:
    """Shares of a whole, with a legend giving each slice's value and share."""

    title: str
    slices: tuple[tuple[str, int], ...]
    money: bool = False


@dataclass(frozen=True)
class Table:
    """Rows of text under a header; `widths` are the columns' shares of the page width, `numeric` the
    columns aligned right."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    numeric: tuple[int, ...] = ()


@dataclass(frozen=True)
class Note:
    text: str


Block = Figures | BarChart | PieChart | Table | Note


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    """The whole report. `page_label` holds %(page)s and %(pages)s; `lang` is the PDF's language tag."""

    title: str
    fair_name: str
    dates: str
    venue: str
    generated: str
    page_label: str
    sections: tuple[Section, ...]
    lang: str = "zh-CN"


def _value_text(value: float, is_money: bool) -> str:
    return yuan(int(value)) if is_money else number(int(value))


# --- drawing -------------------------------------------------------------------------------------------------

def render_report(report: Report, *, font_setting: str | None = None) -> bytes:
    font = cjk_font(font_setting)
    styles = _styles(font)
    buffer = io.BytesIO()
    document = BaseDocTemplate(buffer, pagesize=A4, title=f"{report.fair_name} {report.title}",
                               author=report.fair_name, creator="Fair", lang=report.lang, initialFontName=font.name)
    # No padding inside the frame: text, tables and charts line up with the header's and footer's rules.
    frame = Frame(MARGIN, BOTTOM, WIDTH, PAGE_HEIGHT - TOP - BOTTOM, leftPadding=0, rightPadding=0, topPadding=0,
                  bottomPadding=0)
    document.addPageTemplates([PageTemplate("page", [frame])])
    story = _cover(report, styles)
    for section in report.sections:
        story += _section(section, font, styles)
    document.build(story, canvasmaker=partial(_PagedCanvas, report=report, font=font))
    return buffer.getvalue()


def _styles(font: CJKFont) -> dict[str, ParagraphStyle]:
    def style(name: str, size: float, colour: Color = INK, **more) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font.name, fontSize=size, leading=size * 1.35, textColor=colour,
                              wordWrap="CJK", **more)

    return {
        "title": style("title", 24, ACCENT, spaceAfter=6),
        "fair": style("fair", 15, INK, spaceAfter=2),
        "meta": style("meta", 10, GREY),
        "section": style("section", 15, ACCENT, spaceBefore=16, spaceAfter=8, keepWithNext=1),
        "heading": style("heading", 10.5, INK, spaceBefore=10, spaceAfter=5, keepWithNext=1),
        "table_title": style("table_title", 10.5, INK, spaceBefore=10, spaceAfter=5),
        "note": style("note", 9.5, GREY, spaceBefore=2, spaceAfter=6),
        "value": style("value", 15, INK, alignment=0),
        "label": style("label", 8, GREY),
        "cell": style("cell", 8.5, INK),
        "cell_right": style("cell_right", 8.5, INK, alignment=2),
        "header": style("header", 8.5, white),
        "header_right": style("header_right", 8.5, white, alignment=2),
    }


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _cover(report: Report, styles) -> list[Flowable]:
    lines = [_paragraph(report.title, styles["title"]), _paragraph(report.fair_name, styles["fair"])]
    lines += [_paragraph(text, styles["meta"]) for text in (report.dates, report.venue, report.generated) if text]
    return lines + [Spacer(1, 6)]


def _section(section: Section, font: CJKFont, styles) -> list[Flowable]:
    # A section's heading never ends a page: it starts on a new one when little room is left.
    flowables: list[Flowable] = [CondPageBreak(120), _paragraph(section.title, styles["section"]), _Rule()]
    for block in section.blocks:
        flowables += _block(block, font, styles)
    return flowables


def _block(block: Block, font: CJKFont, styles) -> list[Flowable]:
    title = [_paragraph(block.title, styles["heading"])] if getattr(block, "title", "") else []
    if isinstance(block, Note):
        return [_paragraph(block.text, styles["note"])]
    if isinstance(block, Figures):
        return [KeepTogether(title + [_figures(block, font, styles)])]
    if isinstance(block, BarChart):
        drawing = _horizontal_bars(block, font) if block.horizontal else _vertical_bars(block, font)
        return [KeepTogether(title + [drawing])]
    if isinstance(block, PieChart):
        return [KeepTogether(title + [_pie(block, font)])]
    if isinstance(block, Table):
        # A long table is split over pages, so its title cannot be kept with all of it (platypus would move
        # both to a new page): it starts on a new page only when its header and a few rows would not fit.
        title = [CondPageBreak(90), _paragraph(block.title, styles["table_title"])] if block.title else []
        return title + [_table(block, font, styles)]
    raise TypeError(f"not a report block: {block!r}")


class _Rule(Flowable):
    """A thin line under a section's heading, kept with what follows as the heading is."""

    keepWithNext = 1

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, 6

    def draw(self):
        self.canv.setStrokeColor(ACCENT)
        self.canv.setLineWidth(0.8)
        self.canv.line(0, 5, self.width, 5)


def _figures(block: Figures, font: CJKFont, styles) -> TableFlowable:
    """The headline numbers in a grid of panels, four to a row."""
    cells = [[_paragraph(item.value, styles["value"]), _paragraph(item.label, styles["label"])]
             for item in block.items]
    cells += [""] * (-len(cells) % FIGURES_PER_ROW)
    rows = [cells[start:start + FIGURES_PER_ROW] for start in range(0, len(cells), FIGURES_PER_ROW)]
    table = TableFlowable(rows, colWidths=[WIDTH / FIGURES_PER_ROW] * FIGURES_PER_ROW, hAlign="LEFT")
    style = [("FONTNAME", (0, 0), (-1, -1), font.name), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("TOPPADDING", (0, 0), (-1, -1), 7),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 7), ("LEFTPADDING", (0, 0), (-1, -1), 8),
             ("GRID", (0, 0), (-1, -1), 3, white)]
    style += [("BACKGROUND", (index % FIGURES_PER_ROW, index // FIGURES_PER_ROW),
               (index % FIGURES_PER_ROW, index // FIGURES_PER_ROW), PANEL) for index in range(len(block.items))]
    table.setStyle(TableStyle(style))
    return table


def _table(block: Table, font: CJKFont, styles) -> TableFlowable:
    """A table that may run over several pages, its header on each."""
    def cell(text: str, column: int, header: bool = False) -> Paragraph:
        kind = ("header" if header else "cell") + ("_right" if column in block.numeric else "")
        return _paragraph(text, styles[kind])

    rows = [[cell(text, column, True) for column, text in enumerate(block.columns)]]
    rows += [[cell(text, column) for column, text in enumerate(row)] for row in block.rows]
    table = TableFlowable(rows, colWidths=[WIDTH * share for share in block.widths], repeatRows=1, hAlign="LEFT")
    style = [("FONTNAME", (0, 0), (-1, -1), font.name), ("BACKGROUND", (0, 0), (-1, 0), HexColor("#495057")),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
             ("LINEBELOW", (0, 1), (-1, -1), 0.4, GRID)]
    style += [("BACKGROUND", (0, row), (-1, row), PANEL) for row in range(2, len(rows), 2)]
    table.setStyle(TableStyle(style))
    return table


# --- charts --------------------------------------------------------------------------------------------------

def axis(largest: int) -> tuple[int, int]:
    """(top, step) of a value axis from zero: about four steps of 1, 2, 2.5 or 5 × 10ⁿ, whole numbers."""
    if largest <= 0:
        return 1, 1
    raw = largest / 4
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    step = int(next(multiple * power for multiple in steps if multiple * power >= raw))
    return math.ceil(largest / step) * step, step


def _shorten(text: str, font: CJKFont, size: float, width: float) -> str:
    """`text`, cut with an ellipsis to fit `width` points."""
    if stringWidth(text, font.name, size) <= width:
        return text
    while text and stringWidth(text + "…", font.name, size) > width:
        text = text[:-1]
    return text + "…"


def _drawing(height: float, font: CJKFont) -> Drawing:
    """A drawing the page's width whose default font is the CJK one (no stray Helvetica in the file)."""
    drawing = Drawing(WIDTH, height)
    drawing.initialFontName, drawing.initialFontSize = font.name, CHART_FONT
    return drawing


def _legend(drawing: Drawing, names: list[str], font: CJKFont, x: float, y: float) -> None:
    """A swatch and a name per series, left to right, on the line at `y`."""
    for index, name in enumerate(names):
        drawing.add(Rect(x, y - 1, 9, 9, fillColor=COLOURS[index % len(COLOURS)], strokeColor=None))
        drawing.add(String(x + 13, y, name, fontName=font.name, fontSize=CHART_FONT, fillColor=INK))
        x += 13 + stringWidth(name, font.name, CHART_FONT) + 16


def _style_axis_labels(labels, font: CJKFont) -> None:
    labels.fontName, labels.fontSize, labels.fillColor = font.name, CHART_FONT, INK


def _horizontal_bars(chart: BarChart, font: CJKFont) -> Drawing:
    """A row per label, the labels at the left, each bar's value at its end, the first label at the top."""
    count = len(chart.series)
    bar = 8 if count > 1 else 10
    row = count * bar + 7
    legend = 16 if count > 1 else 0
    ticks = 16
    top, step = axis(max([chart.scale, *(value for series in chart.series for value in series.values)]))
    label_width = min(max((stringWidth(label, font.name, CHART_FONT) for label in chart.labels), default=0) + 8,
                      LABEL_ROOM)
    value_room = max(stringWidth(_value_text(top, chart.money), font.name, CHART_FONT * 0.95) + 8, 30)
    plot = row * len(chart.labels)
    drawing = _drawing(ticks + plot + legend + 4, font)
    bars = HorizontalBarChart()
    bars.x, bars.y, bars.height = label_width, ticks, plot
    bars.width = WIDTH - label_width - value_room
    # reportlab stacks a row's bars from the bottom up: given last series first, the first is on top.
    bars.data = [list(series.values) for series in reversed(chart.series)]
    bars.barWidth, bars.groupSpacing, bars.barSpacing = bar, 7, 0
    bars.strokeColor = None
    for index in range(count):
        bars.bars[index].fillColor = COLOURS[(count - 1 - index) % len(COLOURS)]
        bars.bars[index].strokeColor = None
    categories = bars.categoryAxis
    categories.categoryNames = [_shorten(label, font, CHART_FONT, label_width - 8) for label in chart.labels]
    categories.reverseDirection = 1
    categories.strokeColor, categories.tickLeft = RULE, 0
    _style_axis_labels(categories.labels, font)
    categories.labels.boxAnchor, categories.labels.dx = "e", -5
    values = bars.valueAxis
    values.valueMin, values.valueMax, values.valueStep = 0, top, step
    values.labelTextFormat = partial(_value_text, is_money=chart.money)
    values.visibleGrid, values.gridStrokeColor, values.gridStrokeWidth = 1, GRID, 0.5
    values.strokeColor = RULE
    _style_axis_labels(values.labels, font)
    values.labels.fontSize, values.labels.fillColor = CHART_FONT - 1, GREY
    bars.barLabelFormat = partial(_value_text, is_money=chart.money)
    _style_axis_labels(bars.barLabels, font)
    bars.barLabels.fontSize = CHART_FONT * 0.95
    bars.barLabels.boxAnchor, bars.barLabels.dx = "w", 3
    drawing.add(bars)
    if count > 1:
        _legend(drawing, [series.name for series in chart.series], font, label_width, ticks + plot + 6)
    return drawing


def _vertical_bars(chart: BarChart, font: CJKFont) -> Drawing:
    """A column per label (e.g. a day, an hour), each bar's value on top when there is room for it."""
    count = len(chart.series)
    legend = 16 if count > 1 else 0
    left, bottom, plot = 44, 18, 120
    top, step = axis(max([chart.scale, *(value for series in chart.series for value in series.values)]))
    drawing = _drawing(bottom + plot + 14 + legend, font)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = left, bottom, WIDTH - left - 6, plot
    bars.data = [list(series.values) for series in chart.series]
    bars.strokeColor = None
    group = bars.width / max(len(chart.labels), 1)
    bars.groupSpacing = group * 0.25
    bars.barSpacing = 1
    for index in range(count):
        bars.bars[index].fillColor = COLOURS[index % len(COLOURS)]
        bars.bars[index].strokeColor = None
    categories = bars.categoryAxis
    every = max(1, math.ceil(max((stringWidth(label, font.name, CHART_FONT - 1) for label in chart.labels),
                                 default=0) / (group * 0.9)))
    categories.categoryNames = [label if index % every == 0 else "" for index, label in enumerate(chart.labels)]
    categories.strokeColor, categories.tickDown = RULE, 0
    _style_axis_labels(categories.labels, font)
    categories.labels.fontSize, categories.labels.dy = CHART_FONT - 1, -2
    values = bars.valueAxis
    values.valueMin, values.valueMax, values.valueStep = 0, top, step
    values.labelTextFormat = partial(_value_text, is_money=chart.money)
    values.visibleGrid, values.gridStrokeColor, values.gridStrokeWidth = 1, GRID, 0.5
    values.strokeColor = RULE
    _style_axis_labels(values.labels, font)
    values.labels.fontSize, values.labels.fillColor = CHART_FONT - 1, GREY
    bar_width = (group * 0.75) / count
    widest = max((stringWidth(_value_text(value, chart.money), font.name, CHART_FONT - 1.5)
                  for series in chart.series for value in series.values), default=0)
    if widest <= bar_width + 4:            # values over the bars only when they do not run into each other
        bars.barLabelFormat = partial(_value_text, is_money=chart.money)
        _style_axis_labels(bars.barLabels, font)
        bars.barLabels.fontSize, bars.barLabels.boxAnchor, bars.barLabels.dy = CHART_FONT - 1.5, "s", 2
    drawing.add(bars)
    if count > 1:
        _legend(drawing, [series.name for series in chart.series], font, left, bottom + plot + 14)
    return drawing


def _pie(chart: PieChart, font: CJKFont) -> Drawing:
    """The pie at the left; at its right a line per slice: swatch, name, value and share."""
    total = sum(value for _name, value in chart.slices) or 1
    line = 15
    size = 120
    height = max(size + 10, line * len(chart.slices) + 10)
    drawing = _drawing(height, font)
    pie = Pie()
    pie.x, pie.y, pie.width, pie.height = 10, (height - size) / 2, size, size
    shown = [(index, value) for index, (_name, value) in enumerate(chart.slices) if value > 0]
    pie.data = [value for _index, value in shown]
    pie.labels = None
    pie.startAngle, pie.direction = 90, "clockwise"
    pie.slices.strokeColor, pie.slices.strokeWidth = white, 0.8
    for position, (index, _value) in enumerate(shown):
        pie.slices[position].fillColor = COLOURS[index % len(COLOURS)]
    drawing.add(pie)
    x = size + 40
    name_width = WIDTH - x - 150
    first = height / 2 + line * len(chart.slices) / 2 - line + 4      # the legend centred beside the pie
    for index, (name, value) in enumerate(chart.slices):
        y = first - line * index
        drawing.add(Rect(x, y - 1, 9, 9, fillColor=COLOURS[index % len(COLOURS)], strokeColor=None))
        drawing.add(String(x + 14, y, _shorten(name, font, CHART_FONT + 1, name_width), fontName=font.name,
                           fontSize=CHART_FONT + 1, fillColor=INK))
        drawing.add(String(WIDTH - 60, y, _value_text(value, chart.money), fontName=font.name,
                           fontSize=CHART_FONT + 1, fillColor=INK, textAnchor="end"))
        drawing.add(String(WIDTH - 4, y, f"{value / total:.1%}", fontName=font.name, fontSize=CHART_FONT + 1,
                           fillColor=GREY, textAnchor="end"))
    return drawing


# --- every page's header and footer --------------------------------------------------------------------------

class _PagedCanvas(Canvas):
    """Holds each page back until the last is laid out, so every footer can say how many pages there are."""

    def __init__(self, *args, report: Report, font: CJKFont, **kwargs):
        super().__init__(*args, **kwargs)
        self._report, self._font, self._pages = report, font, []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        for page, state in enumerate(self._pages, 1):
            self.__dict__.update(state)
            self._decorate(page, len(self._pages))
            super().showPage()
        super().save()

    def _decorate(self, page: int, pages: int) -> None:
        report, font = self._report, self._font
        top = PAGE_HEIGHT - TOP + 24
        room = WIDTH - stringWidth(report.dates, font.name, 8.5) - 20
        draw_text(self, MARGIN, top, _shorten(report.fair_name, font, 8.5, room), font, 8.5, colour=GREY)
        draw_text(self, PAGE_WIDTH - MARGIN, top, report.dates, font, 8.5, align="right", colour=GREY)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, top - 6, PAGE_WIDTH - MARGIN, top - 6)
        self.line(MARGIN, BOTTOM - 18, PAGE_WIDTH - MARGIN, BOTTOM - 18)
        draw_text(self, MARGIN, BOTTOM - 31, report.generated, font, 8, colour=GREY)
        draw_text(self, PAGE_WIDTH - MARGIN, BOTTOM - 31, report.page_label % {"page": page, "pages": pages}, font,
                  8, align="right", colour=GREY)
