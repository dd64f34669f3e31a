"""The dashboard's charts: well-formed SVG whatever the names, a bar per label and series on one scale, a
line per series with a point per x label, every text escaped."""
import xml.etree.ElementTree as ET

import pytest

from fair.console.charts import Bar, Line, bar_chart, fit, line_chart, nice_ceiling, number, text_width

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def having(root: ET.Element, tag: str, css_class: str) -> list[ET.Element]:
    return [element for element in root.iter(SVG + tag) if css_class in (element.get("class") or "").split()]


def texts(root: ET.Element, css_class: str) -> list[str]:
    return [element.text for element in having(root, "text", css_class)]


def test_a_bar_per_label_and_series_on_one_scale():
    bars = [Bar("助老", (120, 30), "/fairs/f/applications?category=1"), Bar("环保", (60, 15)), Bar("文化", (0, 0))]
    root = parse(bar_chart(bars, ["申报", "入围"], title="各服务领域"))
    rects = having(root, "rect", "chart-bar")
    assert len(rects) == 6
    assert [rect.get("data-series") for rect in rects] == ["0", "1"] * 3
    widths = [float(rect.get("width")) for rect in rects]
    assert widths[0] == max(widths) and widths[2] == pytest.approx(widths[0] / 2)
    assert widths[1] == pytest.approx(widths[0] / 4) and widths[4:] == [0, 0]
    assert texts(root, "chart-label") == ["助老", "环保", "文化"]
    assert texts(root, "chart-value") == ["120", "30", "60", "15", "0", "0"]
    assert texts(root, "chart-legend-label") == ["申报", "入围"]
    assert root.find(SVG + "title").text == "各服务领域"


def test_a_label_links_to_the_list_behind_it_when_it_has_one():
    root = parse(bar_chart([Bar("助老", (3,), "/fairs/f/applications?category=1&status=submitted"), Bar("环保", (1,))],
                           ["申报"], title="t"))
    links = list(root.iter(SVG + "a"))
    assert [link.get("href") for link in links] == ["/fairs/f/applications?category=1&status=submitted"]
    assert links[0].find(SVG + "text").text == "助老"
    assert not texts(root, "chart-legend-label")          # one series needs no legend


def test_names_with_markup_characters_are_escaped():
    name = '<script>alert("x")</script> & 助老'
    svg = bar_chart([Bar(name, (5,), '/a?x=1&y="2"')], [name], title=name)
    root = parse(svg)                                       # well-formed despite < & > "
    assert "<script>" not in svg
    assert root.get("aria-label") == name
    assert [a.get("href") for a in root.iter(SVG + "a")] == ['/a?x=1&y="2"']
    assert having(root, "rect", "chart-bar")[0].find(SVG + "title").text == f"{name} · {name}: 5"
    lines = parse(line_chart([Line(name, (1, 2))], ["<9>", "10 & 11"], title=name))
    assert texts(lines, "chart-x-label") == ["<9>", "10 & 11"]
    assert texts(lines, "chart-legend-label")[0].startswith("<script>")


def test_a_long_label_is_shortened_and_kept_whole_in_its_title():
    long = "Community governance and neighbourhood self-help"
    root = parse(bar_chart([Bar(long, (4,))], ["a"], title="t"))
    [label] = texts(root, "chart-label")
    assert label.endswith("…") and long.startswith(label[:-1]) and text_width(label) <= 96
    assert long in having(root, "rect", "chart-bar")[0].find(SVG + "title").text


def test_a_line_per_series_with_a_point_per_hour():
    hours = [f"{hour:02d}:00" for hour in range(9, 17)]
    lines = [Line("5月20日", (5, 40, 80, 20, 10, 60, 30, 0)), Line("5月21日", (0, 10, 20, 30, 40, 50, 60, 70))]
    root = parse(line_chart(lines, hours, title="各时段入场人数"))
    polylines = having(root, "polyline", "chart-line")
    assert len(polylines) == 2
    assert [len(line.get("points").split()) for line in polylines] == [8, 8]
    assert polylines[0].get("stroke") != polylines[1].get("stroke")
    assert not polylines[0].get("stroke-dasharray") and polylines[1].get("stroke-dasharray")   # not colour alone
    assert len(list(root.iter(SVG + "circle"))) == 16
    assert texts(root, "chart-legend-label") == ["5月20日", "5月21日"]
    assert texts(root, "chart-x-label") == hours
    assert texts(root, "chart-tick") == ["0", "20", "40", "60", "80", "100"]        # 80 → an axis up to 100
    tallest = min(float(point.split(",")[1]) for point in polylines[0].get("points").split())
    assert tallest == pytest.approx(min(float(c.get("cy")) for c in root.iter(SVG + "circle")))


def test_many_hours_write_at_most_nine_labels():
    root = parse(line_chart([Line("d", tuple(range(24)))], [f"{h:02d}" for h in range(24)], title="t"))
    assert texts(root, "chart-x-label") == [f"{h:02d}" for h in range(0, 24, 3)]


@pytest.mark.parametrize("largest, ticks", [(0, ["0", "1"]), (2, ["0", "1", "2"]), (4, ["0", "1", "2", "3", "4", "5"]),
                                            (37, ["0", "10", "20", "30", "40", "50"]),
                                            (4_100, ["0", "1,000", "2,000", "3,000", "4,000", "5,000"])])
def test_the_axis_steps_are_whole_numbers(largest, ticks):
    root = parse(line_chart([Line("d", (0, largest))], ["9", "10"], title="t"))
    assert texts(root, "chart-tick") == ticks


def test_no_data_says_so():
    for svg in (bar_chart([], ["a"], title="t", empty="还没有申报。"), line_chart([], [], title="t", empty="还没有入场记录。")):
        root = parse(svg)
        assert texts(root, "chart-empty") in (["还没有申报。"], ["还没有入场记录。"])
        assert not having(root, "rect", "chart-bar") and not having(root, "polyline", "chart-line")


@pytest.mark.parametrize("value, ceiling", [(0, 1), (1, 1), (7, 10), (10, 10), (11, 20), (80, 100), (101, 200),
                                            (450, 500), (31_000, 50_000)])
def test_nice_ceiling(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_numbers_and_fitting():
    assert number(31_200_000) == "31,200,000"
    assert fit("助老", 100) == "助老"
    assert fit("社区治理与邻里互助", 50) == "社区治…" and text_width("社区治…") <= 50
