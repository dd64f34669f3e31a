"""The floor plan of one hall as an SVG string, for the public plan, the exhibitor's page, the organizer's
editor and the allocation page alike.

Pure: plain data in, a string out; no Flask or database import (queries.py turns rows into shapes). The
viewBox is in metres, so the drawing scales to any screen; plan.js zooms by changing it. Status shows
without colour too: free booths are pale and hatched, assigned ones solid, locked ones carry a thick
border and a padlock. Every piece of text is escaped. Built by joining strings, so 500 booths take a few
milliseconds (bench/plan_svg.py)."""
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

FREE, ASSIGNED, LOCKED = "free", "assigned", "locked"
STATUSES = (FREE, ASSIGNED, LOCKED)
MARGIN = 2                       # metres of paper around the hall, room for zone names at its edge
FALLBACK_COLOUR = "#8c8c8c"      # for a zone colour that is not #rrggbb
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class HallShape:
    id: int
    name: str
    width: int                   # metres
    depth: int


@dataclass(frozen=True)
class ZoneShape:
    id: int
    name: str
    colour: str                  # #rrggbb


@dataclass(frozen=True)
class BoothShape:
    id: int
    code: str
    x: int                       # metres from the hall's top-left corner
    y: int
    width: int
    depth: int
    zone_id: int
    status: str                  # FREE, ASSIGNED or LOCKED
    title: str = ""              # the project on it, if any
    href: str | None = None      # its project page, if it has one
    power: bool = False
    step_free: bool = False
    corner: bool = False
    double: bool = False


def safe_colour(colour: str) -> str:
    """A zone's colour as stored, or grey when it is not #rrggbb (it lands in an attribute)."""
    return colour if colour and _COLOUR.fullmatch(colour) else FALLBACK_COLOUR


def text_colour(colour: str) -> str:
    """Black or white, whichever reads better on `colour` (WCAG relative luminance)."""
    channels = []
    for start in (1, 3, 5):
        value = int(colour[start:start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    return "#111" if luminance > 0.179 else "#fff"


def _n(value: float) -> str:
    """A coordinate in metres, short: 3, 1.5, 0.35."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _zone_label(zone: ZoneShape, booths: list[BoothShape]) -> str:
    """The zone's name centred above its booths."""
    left = min(b.x for b in booths)
    right = max(b.x + b.width for b in booths)
    top = min(b.y for b in booths)
    return (f'<text class="plan-zone-name" x="{_n((left + right) / 2)}" y="{_n(top - 0.4)}" '
            f'text-anchor="middle" font-size="1.1" data-zone="{zone.id}">{escape(zone.name)}</text>')


def _lock(x: float, y: float) -> str:
    """A padlock 0.8 m high whose top-left corner is at (x, y)."""
    return (f'<g class="booth-lock" aria-hidden="true"><path d="M{_n(x + 0.18)} {_n(y + 0.4)}v-0.12a0.22 0.22 0 0 1 '
            f'0.44 0v0.12" fill="none" stroke="#111" stroke-width="0.1"/>'
            f'<rect x="{_n(x + 0.08)}" y="{_n(y + 0.38)}" width="0.64" height="0.42" rx="0.06" fill="#111"/></g>')


def _booth(booth: BoothShape, colour: str, highlighted: bool, labels: bool, hatch: str) -> str:
    status = booth.status if booth.status in STATUSES else FREE
    x, y, w, d = booth.x, booth.y, booth.width, booth.depth
    classes = f"booth booth--{status}" + (" is-highlighted" if highlighted else "")
    code, title = escape(booth.code), escape(booth.title)
    parts = [f'<g class="{classes}" data-booth-id="{escape(booth.id)}" data-code="{code}" data-status="{status}" '
             f'data-zone="{escape(booth.zone_id)}" data-title="{title}" data-power="{int(booth.power)}" '
             f'data-step-free="{int(booth.step_free)}" data-corner="{int(booth.corner)}" '
             f'data-double="{int(booth.double)}"']
    if booth.href:
        parts.append(f' data-href="{escape(booth.href)}">'
                     f'<a href="{escape(booth.href)}" aria-label="{code} {title}">')
    else:
        parts.append(f' tabindex="0" role="button" aria-label="{code} {title}">')
    parts.append(f"<title>{code} {title}</title>" if title else f"<title>{code}</title>")
    if status == FREE:
        parts.append(f'<rect class="booth-rect" x="{x}" y="{y}" width="{w}" height="{d}" fill="{colour}" '
                     f'fill-opacity="0.3" stroke="#555" stroke-width="0.08" stroke-dasharray="0.3 0.2"/>'
                     f'<rect x="{x}" y="{y}" width="{w}" height="{d}" fill="url(#{hatch})" pointer-events="none"/>')
        ink = "#111"
    else:
        border = "0.35" if status == LOCKED else "0.08"
        parts.append(f'<rect class="booth-rect" x="{x}" y="{y}" width="{w}" height="{d}" fill="{colour}" '
                     f'stroke="#111" stroke-width="{border}"/>')
        ink = text_colour(colour)
    if highlighted:
        parts.append(f'<rect class="booth-ring" x="{_n(x - 0.35)}" y="{_n(y - 0.35)}" width="{_n(w + 0.7)}" '
                     f'height="{_n(d + 0.7)}" fill="none" stroke="#d62728" stroke-width="0.3"/>')
    if labels:
        size = min(d * 0.32, w * 1.7 / max(len(booth.code), 3), 1.2)
        parts.append(f'<text class="booth-code" x="{_n(x + w / 2)}" y="{_n(y + d / 2)}" font-size="{_n(size)}" '
                     f'text-anchor="middle" dominant-baseline="central" fill="{ink}">{code}</text>')
        marks = ("⚡" if booth.power else "") + ("♿" if booth.step_free else "")
        if marks and d >= 2:
            parts.append(f'<text class="booth-marks" x="{_n(x + 0.15)}" y="{_n(y + d - 0.2)}" font-size="0.6" '
                         f'fill="{ink}" aria-hidden="true">{marks}</text>')
    if status == LOCKED:
        parts.append(_lock(x + w - 0.95, y + 0.1))
    parts.append("</a></g>" if booth.href else "</g>")
    return "".join(parts)


def render_plan(hall: HallShape, zones: Iterable[ZoneShape], booths: Iterable[BoothShape], *,
                highlight: Collection[int] = frozenset(), labels: bool = True) -> Markup:
    """One <svg> of `hall`: a group per booth (data-booth-id, data-code, data-status, data-zone,
    data-title for plan.js), linked to its project page where it has one; booths whose id is in
    `highlight` ringed in red. Returned as Markup so templates insert it as it is."""
    zones = {zone.id: zone for zone in zones}
    booths = list(booths)
    highlight = frozenset(highlight)
    hatch = f"plan-hatch-{hall.id}"
    width, depth = hall.width + 2 * MARGIN, hall.depth + 2 * MARGIN
    classes = "plan-svg has-highlight" if highlight else "plan-svg"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="{classes}" viewBox="{-MARGIN} {-MARGIN} {width} {depth}" '
           f'data-hall-id="{hall.id}" data-width="{hall.width}" data-depth="{hall.depth}" role="group" '
           f'aria-label="{escape(hall.name)}" preserveAspectRatio="xMidYMid meet" '
           f'font-family="system-ui, -apple-system, \'Noto Sans CJK SC\', \'PingFang SC\', sans-serif">',
           f'<defs><pattern id="{hatch}" patternUnits="userSpaceOnUse" width="0.6" height="0.6" '
           f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="0.6" stroke="#fff" stroke-width="0.2"/>'
           f'</pattern></defs>',
           f'<rect class="plan-hall" x="0" y="0" width="{hall.width}" height="{hall.depth}" fill="#fafafa" '
           f'stroke="#333" stroke-width="0.15"/>']
    by_zone: dict[int, list[BoothShape]] = {}
    for booth in booths:
        by_zone.setdefault(booth.zone_id, []).append(booth)
    colours = {zone_id: safe_colour(zone.colour) for zone_id, zone in zones.items()}
    out.append('<g class="plan-booths">')
    # Highlighted booths last, so their ring is drawn over their neighbours.
    for booth in sorted(booths, key=lambda booth: booth.id in highlight) if highlight else booths:
        out.append(_booth(booth, colours.get(booth.zone_id, FALLBACK_COLOUR), booth.id in highlight, labels, hatch))
    out.append("</g>")
    if labels:
        out.append('<g class="plan-zones" pointer-events="none">')
        out.extend(_zone_label(zones[zone_id], members) for zone_id, members in by_zone.items() if zone_id in zones)
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))
