"""The demo fair's floor plan: themed zones sized to the shortlist, laid out in halls through the services,
and the shortlisted projects allocated to booths.

One zone per category (each named after it), two back-to-back rows of 3 × 3 m booths per aisle, every
zone with a tenth more booths than its shortlisted projects, and enough double, powered and step-free
booths for the projects that need them, so the allocation always has an answer."""
import math
from collections import Counter
from typing import Callable

import sqlalchemy as sa

from fair.applications.models import Application, BoothSize, Decision
from fair.auth.models import User
from fair.booths import placing, services as booths
from fair.booths.allocate import Weights
from fair.extensions import db
from fair.fairs.models import Fair

ZONE_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
ROW_WIDTH = 48                  # metres along one row: 16 standard booths
MARGIN, AISLE, ZONE_GAP = 2, 3, 4
ZONES_PER_HALL = 5
SETUP_NOTES = ("布展时间：开幕前一日 13:00–20:00，凭展位号在东侧货运通道卸货。\n"
               "每个标准展位 3 × 3 米，含一张桌子、两把椅子和楣板；有电源的展位提供一个 220V 插座（不超过 500W）。\n"
               "撤展：闭幕日 16:00 以后，请勿提前撤展。现场联系：展务组 025-8888 6666。")


def build_plan(fair: Fair, organizer: User, progress: Callable[[str], None]) -> None:
    """Halls, zones and booths for the fair's shortlisted projects, and the set-up notes."""
    progress("floor plan")
    projects = db.session.execute(
        sa.select(Application.category_id, Application.booth_size, Application.needs_power,
                  Application.needs_step_free)
        .where(Application.fair_id == fair.id, Application.decision == Decision.shortlisted)).all()
    demand = Counter(row.category_id for row in projects)
    categories = [category for category in fair.categories if demand[category.id]]
    for start in range(0, len(categories), ZONES_PER_HALL):
        group = categories[start:start + ZONES_PER_HALL]
        _build_hall(fair, organizer, len(categories) > ZONES_PER_HALL, start // ZONES_PER_HALL, group, projects)
    booths.set_setup_notes(fair, SETUP_NOTES, actor=organizer)
    progress("booth allocation")
    placing.run_allocation(fair, Weights(), actor=organizer)


def _build_hall(fair: Fair, organizer: User, several: bool, number: int, categories: list, projects) -> None:
    layouts = [_layout(_zone_booths([row for row in projects if row.category_id == category.id]))
               for category in categories]
    depth = MARGIN + sum(_extent(layout) + ZONE_GAP for layout in layouts)
    name, name_en = (f"{number + 1}号馆", f"Hall {number + 1}") if several else ("主展馆", "Main hall")
    hall = booths.create_hall(fair, booths.HallDetails(name, ROW_WIDTH + 2 * MARGIN, depth, name_en),
                              actor=organizer)
    top = MARGIN
    for index, (category, layout) in enumerate(zip(categories, layouts)):
        colour = ZONE_COLOURS[fair.categories.index(category) % len(ZONE_COLOURS)]
        zone = booths.create_zone(fair, booths.ZoneDetails(
            f"{category.name}展区", hall.id, [category.id], colour, f"{category.name_en} zone"), actor=organizer)
        letter = chr(ord("A") + number * ZONES_PER_HALL + index)
        booths.create_booths(fair, [
            booths.BoothDetails(f"{letter}-{code:02d}", hall.id, zone.id, MARGIN + x, top + y, width, 3,
                                BoothSize.double if double else BoothSize.standard, corner=x == 0, power=power,
                                step_free=step_free)
            for code, (x, y, width, double, power, step_free) in enumerate(layout, start=1)], actor=organizer)
        top += _extent(layout) + ZONE_GAP


def _zone_booths(rows) -> list[tuple[bool, bool, bool]]:
    """(double, power, step_free) for each booth of a zone: a tenth spare, needs covered with room."""
    count = max(8, math.ceil(len(rows) * 1.1) + 1)
    doubles = sum(row.booth_size == BoothSize.double for row in rows) + 1
    powered = sum(row.needs_power for row in rows) + max(2, count // 3)
    return [(index < doubles, index < powered, index % 7 != 6) for index in range(count)]


def _layout(kinds: list[tuple[bool, bool, bool]]) -> list[tuple]:
    """(x, y, width, double, power, step_free) from the zone's top-left: booths left to right along
    rows, rows back to back in pairs with an aisle between pairs."""
    layout, x, row = [], 0, 0
    for double, power, step_free in kinds:
        width = 6 if double else 3
        if x + width > ROW_WIDTH:
            x, row = 0, row + 1
        layout.append((x, (row // 2) * (6 + AISLE) + (row % 2) * 3, width, double, power, step_free))
        x += width
    return layout


def _extent(layout: list[tuple]) -> int:
    return max(y for _x, y, *_rest in layout) + 3
