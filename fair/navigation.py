"""Navigation by role: each area registers its entries, base.html shows those the user's roles allow.

An area with several entries (booths, judging, visitors) registers a group: the fair's bar then shows
the group once, and the group's own entries appear as tabs under the bar on its pages, so the bar stays
one line however many pages an area has."""
from dataclasses import dataclass, field

from flask import url_for

from fair.auth.models import Role


@dataclass(frozen=True)
class NavItem:
    order: int             # place in the bar: the phases' order, settings last
    label: object          # a lazy string, translated when shown
    endpoint: str          # takes the fair's `slug`
    roles: frozenset       # empty: every member of the fair
    also: tuple = ()       # other endpoints that highlight this entry (a detail page under its list)
    group: str | None = None   # a group other than the blueprint's own (add_nav_group)

    def url(self, fair) -> str:
        return url_for(self.endpoint, slug=fair.slug)


FAIR_NAV: list[NavItem] = []
NAV_GROUPS: dict[str, object] = {}          # blueprint name (or group key) → the group's label


def add_nav_group(key: str, label) -> None:
    """The entries of blueprint `key` (and those added with group=`key`) show as one group."""
    NAV_GROUPS.setdefault(key, label)


def group_of(item: NavItem) -> str | None:
    key = item.group or item.endpoint.partition(".")[0]
    return key if key in NAV_GROUPS else None


@dataclass
class NavEntry:
    """What the bar shows: one entry, or a group of two or more (`items`, shown as tabs on its pages)."""

    label: object
    first: NavItem
    items: list[NavItem] = field(default_factory=list)

    def url(self, fair) -> str:
        return self.first.url(fair)


def nav_entries(items: list[NavItem]) -> list[NavEntry]:
    """The bar's entries: the user's items, each group's gathered where its first item stands."""
    entries: list[NavEntry] = []
    groups: dict[str, NavEntry] = {}
    for item in items:
        key = group_of(item)
        if key is None:
            entries.append(NavEntry(item.label, item, [item]))
        elif key in groups:
            groups[key].items.append(item)
        else:
            groups[key] = NavEntry(NAV_GROUPS[key], item, [item])
            entries.append(groups[key])
    for entry in entries:
        if len(entry.items) == 1:
            entry.label = entry.items[0].label
    return entries


def add_fair_nav(order: int, label, endpoint: str, *roles: Role, also: tuple = (), group: str | None = None) -> None:
    """Called once per entry when an area's views module is imported."""
    if not any(item.endpoint == endpoint for item in FAIR_NAV):
        FAIR_NAV.append(NavItem(order, label, endpoint, frozenset(roles), also, group))
        FAIR_NAV.sort(key=lambda item: item.order)


def current_item(items: list[NavItem], endpoint: str | None) -> NavItem | None:
    """The entry to highlight: the page's own, else the first of the same blueprint (a detail page
    under its list)."""
    if endpoint is None:
        return None
    exact = [item for item in items if endpoint == item.endpoint or endpoint in item.also]
    if exact:
        return exact[0]
    area = endpoint.partition(".")[0]
    return next((item for item in items if item.endpoint.partition(".")[0] == area), None)


def fair_nav_for(user, fair) -> list[NavItem]:
    held = user.roles_in(fair)
    return [item for item in FAIR_NAV if held and (not item.roles or held & item.roles)]
