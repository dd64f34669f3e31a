"""Navigation by role: each area registers its entries, base.html shows those the user's roles allow."""
from dataclasses import dataclass

from flask import url_for

from fair.auth.models import Role


@dataclass(frozen=True)
class NavItem:
    order: int             # place in the bar: the phases' order, settings last
    label: object          # a lazy string, translated when shown
    endpoint: str          # takes the fair's `slug`
    roles: frozenset       # empty: every member of the fair
    also: tuple = ()       # other endpoints that highlight this entry (a detail page under its list)

    def url(self, fair) -> str:
        return url_for(self.endpoint, slug=fair.slug)


FAIR_NAV: list[NavItem] = []


def add_fair_nav(order: int, label, endpoint: str, *roles: Role, also: tuple = ()) -> None:
    """Called once per entry when an area's views module is imported."""
    if not any(item.endpoint == endpoint for item in FAIR_NAV):
        FAIR_NAV.append(NavItem(order, label, endpoint, frozenset(roles), also))
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
