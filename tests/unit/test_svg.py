"""The plan's SVG: one group per booth with what plan.js reads, status visible without colour, every
text escaped, and well-formed XML whatever the names."""
import xml.etree.ElementTree as ET

import pytest

from fair.booths.svg import BoothShape, HallShape, ZoneShape, render_plan, safe_colour, text_colour

NS = {"svg": "http://www.w3.org/2000/svg"}
HALL = HallShape(7, "一号馆", 60, 40)
ZONES = [ZoneShape(1, "助老展区", "#4e79a7"), ZoneShape(2, "环保展区", "#f28e2b")]


def booth(id, status="assigned", zone_id=1, x=None, **overrides):
    return BoothShape(id, f"A-{id:02d}", x if x is not None else 1 + 3 * id, 1, 3, 3, zone_id, status, **overrides)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-code"): g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-code")}


def test_view_box_is_the_hall_in_metres_with_a_margin():
    root = parse(render_plan(HALL, ZONES, []))
    assert root.get("viewBox") == "-2 -2 64 44"
    assert root.get("data-hall-id") == "7"
    hall = root.find("svg:rect", NS)
    assert (hall.get("width"), hall.get("height")) == ("60", "40")


def test_each_booth_is_a_group_with_its_data_and_code():
    shapes = [booth(1, title="银龄课堂", href="/fairs/f/projects/5", power=True, double=True),
              booth(2, "free", zone_id=2)]
    found = groups(parse(render_plan(HALL, ZONES, shapes)))
    first = found["A-01"]
    assert first.get("data-booth-id") == "1" and first.get("data-status") == "assigned"
    assert first.get("data-zone") == "1" and first.get("data-title") == "银龄课堂"
    assert first.get("data-power") == "1" and first.get("data-double") == "1" and first.get("data-step-free") == "0"
    link = first.find("svg:a", NS)
    assert link.get("href") == "/fairs/f/projects/5"
    rect = link.find("svg:rect", NS)
    assert (rect.get("x"), rect.get("y"), rect.get("width"), rect.get("height"), rect.get("fill")) == \
        ("4", "1", "3", "3", "#4e79a7")
    assert "A-01" in [t.text for t in link.iter("{http://www.w3.org/2000/svg}text")]
    assert found["A-02"].find("svg:a", NS) is None          # no project page, no link
    assert found["A-02"].get("tabindex") == "0"             # still reachable by keyboard for its details


def test_status_shows_without_colour():
    svg = render_plan(HALL, ZONES, [booth(1, "free"), booth(2, "assigned"), booth(3, "locked")])
    found = groups(parse(svg))
    free_rects = found["A-01"].findall("svg:rect", NS)
    assert free_rects[0].get("stroke-dasharray") and free_rects[1].get("fill") == "url(#plan-hatch-7)"
    assert found["A-02"].find("svg:rect", NS).get("stroke-width") == "0.08"
    assert found["A-03"].find("svg:rect", NS).get("stroke-width") == "0.35"
    assert found["A-03"].find("svg:g[@class='booth-lock']", NS) is not None
    assert found["A-02"].find("svg:g[@class='booth-lock']", NS) is None


def test_zone_names_sit_above_their_booths():
    root = parse(render_plan(HALL, ZONES, [booth(1), booth(2, zone_id=2, x=30)]))
    names = {t.text: t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("class") == "plan-zone-name"}
    assert set(names) == {"助老展区", "环保展区"}
    assert float(names["环保展区"].get("x")) == 31.5


def test_highlighted_booths_are_ringed_and_drawn_last():
    root = parse(render_plan(HALL, ZONES, [booth(1), booth(2), booth(3)], highlight={2}))
    assert "has-highlight" in root.get("class")
    order = [g.get("data-code") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-code")]
    assert order[-1] == "A-02"
    ringed = groups(root)["A-02"]
    assert "is-highlighted" in ringed.get("class")
    assert ringed.find("svg:rect[@class='booth-ring']", NS) is not None
    assert groups(root)["A-01"].find("svg:rect[@class='booth-ring']", NS) is None


def test_labels_can_be_left_out():
    svg = render_plan(HALL, ZONES, [booth(1)], labels=False)
    assert "<text" not in svg


@pytest.mark.parametrize("nasty", ['<script>alert(1)</script>', '" onload="x', "a & b", "]]>"])
def test_every_text_is_escaped(nasty):
    hall = HallShape(1, nasty, 10, 10)
    zones = [ZoneShape(1, nasty, '"><script>')]
    shapes = [BoothShape(1, nasty, 1, 1, 3, 3, 1, "assigned", title=nasty, href=f"/p?{nasty}")]
    svg = render_plan(hall, zones, shapes)
    root = parse(svg)                                   # still well-formed XML
    assert "<script" not in svg and 'onload="' not in svg
    group = groups(root)[nasty]
    assert group.get("data-title") == nasty
    assert group.find("svg:a", NS).get("href") == f"/p?{nasty}"
    assert 'fill="#8c8c8c"' in svg                      # a colour that is not #rrggbb is not written out


def test_unknown_status_is_drawn_as_free_and_unknown_zone_in_grey():
    found = groups(parse(render_plan(HALL, ZONES, [booth(1, "weird", zone_id=99)])))
    assert found["A-01"].get("data-status") == "free"
    assert found["A-01"].find("svg:rect", NS).get("fill") == "#8c8c8c"


@pytest.mark.parametrize("colour, ink", [("#ffffff", "#111"), ("#000000", "#fff"), ("#f28e2b", "#111"),
                                         ("#1f3a93", "#fff")])
def test_text_colour_reads_on_the_zone_colour(colour, ink):
    assert text_colour(colour) == ink


@pytest.mark.parametrize("colour, safe", [("#4e79a7", "#4e79a7"), ("red", "#8c8c8c"), ("", "#8c8c8c"),
                                          ("#4e79a7;x", "#8c8c8c")])
def test_safe_colour(colour, safe):
    assert safe_colour(colour) == safe


def test_five_hundred_booths_make_one_well_formed_drawing():
    shapes = [BoothShape(i, f"A-{i:03d}", (i % 25) * 4, (i // 25) * 4, 3, 3, 1 + i % 2, "assigned", title=f"项目{i}")
              for i in range(500)]
    root = parse(render_plan(HallShape(1, "大馆", 100, 80), ZONES, shapes))
    assert len(groups(root)) == 500
