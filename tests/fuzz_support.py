"""Hostile input for the fuzz tests (tests/web/test_fuzz_forms.py, tests/web/test_fuzz_api.py).

The strategies make what people and scripts really send to a public form: huge, empty, wrong types,
Unicode edge cases, HTML and SQL payloads, numbers and dates written oddly. The forms themselves are
read from the app's own pages (every `<form method=post>` on every page each role may open), so a new
form is fuzzed without anyone listing its fields; the world is tests/web/test_access_matrix.py's
`build_fair`, with a logged-in client for each role that may post somewhere."""
import os
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import urlsplit

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from fair.auth.models import Membership, Role
from fair.extensions import db, limiter
from fair.fairs.models import Fair
from tests.conftest import log_in
from tests.factories import make_judge, make_member, make_organisation, make_user
from tests.sponsor_factories import make_representative
from tests.web import access_rules
from tests.web.access_rules import (ANON, EXHIBITOR, GATE, JUDGE, ORGANIZER, OTHER_ORGANIZER, REVIEWER, SPONSOR,
                                    VISITOR)
from tests.web.test_access_matrix import World, build_fair, url_values

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
MARKUP = (SCRIPT, IMAGE)
PAYLOADS = (
    SCRIPT, IMAGE, "' OR 1=1 --", "'; DROP TABLE fair; --", "%", "_", "%_%", "\\", "\x00", "a\x00b", "",
    " ", "\t\n\r", "null", "None", "undefined", "true", "[]", "{}", "{{7*7}}", "${7*7}", "%(name)s", "../../etc/passwd",
    "😀", "👨‍👩‍👧‍👦", "\u202eevil\u202c", "\u200f\u200e", "\ufeff", "１２３", "一二三", "Ⅻ", "e\u0301", "\ud7ff", "\U0010ffff",
    "0", "-1", "-0", "1e309", "NaN", "inf", "-inf", "0x10", "1_000", "9" * 30, "-" + "9" * 30, "9223372036854775808",
    "2147483648", "-9223372036854775809", "3.14", "1,000", "¥100", "2026-02-30", "2026-13-01", "0000-00-00",
    "9999-12-31T23:59:59", "31/12/2026", "2026年6月1日", "1970-01-01T00:00:00+25:00", "24:61", "2026-06-01 08:00",
    "http://example.com", "javascript:alert(1)", "a@b", "@", "=1+1", "+1", "@SUM(A1)",
)
HUGE = ("x" * 100_000, "中" * 100_000, SCRIPT * 4_000, "9" * 5_000)

FIELD_NAMES_WHEN_NO_FORM = ("name", "reason", "note", "text", "amount", "version", "value", "comment")


def examples(default: int) -> int:
    """Examples per test: `FAIR_FUZZ_EXAMPLES` for a deeper (and then random) run."""
    return int(os.environ.get("FAIR_FUZZ_EXAMPLES", default))


def fuzz_settings(default: int) -> settings:
    """Bounded and, unless FAIR_FUZZ_EXAMPLES asks for more, the same examples every run (CI stays green or
    red for a reason); no example database is written and no shrinking (a shrink of 100 KB posts takes
    minutes: the failing example is reported as found, and kept by hand as a regression test)."""
    return settings(max_examples=examples(default), deadline=None, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    derandomize="FAIR_FUZZ_EXAMPLES" not in os.environ,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# --- strategies ----------------------------------------------------------------------------------------

def unicode_text(max_size: int = 40):
    """Any text a browser can send (no lone surrogates: they are not UTF-8), NUL and controls included."""
    return st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=max_size)


def number_text():
    return st.one_of(st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str),
                     st.floats(allow_nan=True, allow_infinity=True).map(repr),
                     st.integers(min_value=-3, max_value=100_000).map(str))


def hostile_text():
    return st.one_of(st.sampled_from(PAYLOADS), unicode_text(), number_text(), st.sampled_from(HUGE),
                     st.tuples(st.sampled_from(MARKUP), unicode_text(10)).map("".join))


def field_value(spec: "FieldSpec"):
    """The form's own value or option (so other fields pass and the hostile one reaches the service),
    hostile text, or a list where one value is expected."""
    own = [spec.value, *spec.options]
    return st.one_of(st.sampled_from(own), st.sampled_from(own), hostile_text(),
                     st.lists(hostile_text(), min_size=2, max_size=3))


def file_value():
    contents = st.one_of(st.binary(max_size=200), st.sampled_from(
        [b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, SCRIPT.encode(), "编号,名称\n1,".encode("gbk"),
         b'{"halls": 1}', b"PK\x03\x04" + b"\x00" * 30, b"\xff\xfe" + "a,b".encode("utf-16-le")]))
    names = st.sampled_from(["a.png", "a.csv", "a.xlsx", "a.json", "../../x.png", "", "a.php", SCRIPT + ".pdf"])
    return st.builds(lambda data, name: (BytesIO(data), name), contents, names)


def form_data(form: "FormSpec"):
    """A dict for the test client: every field of `form` (sometimes left out), hostile or its own value."""
    parts = {}
    for spec in form.fields:
        value = file_value() if spec.kind == "file" else field_value(spec)
        parts[spec.name] = st.one_of(value, value, value, st.none())
    return st.fixed_dictionaries(parts).map(lambda data: {k: v for k, v in data.items() if v is not None})


def carries_markup(data: dict, ignore=frozenset()) -> bool:
    """Some field of `data` (not those in `ignore`) holds a markup payload."""
    def values(value):
        return value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and any(m in v for m in MARKUP)
               for name, value in data.items() if name not in ignore for v in values(value))


def shows_markup(response) -> bool:
    """An HTML page containing a payload unescaped."""
    if not response.content_type.startswith("text/html"):
        return False
    text = response.get_data(as_text=True)
    return any(markup in text for markup in MARKUP)


# --- the forms, read from the pages ------------------------------------------------------------------

@dataclass
class FieldSpec:
    name: str
    kind: str = "text"
    value: str = ""
    options: list = field(default_factory=list)


@dataclass
class FormSpec:
    action: str                      # path and query, as the page wrote it
    fields: list = field(default_factory=list)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        spec = FieldSpec(name)
        self.fields.append(spec)
        return spec


class FormParser(HTMLParser):
    """Every `<form method=post>` of a page with its fields, their values and their options."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[FormSpec] = []
        self.current: FormSpec | None = None
        self.select: FieldSpec | None = None
        self.textarea: FieldSpec | None = None
        self.by_id: dict[str, FormSpec] = {}
        self.orphans: list[tuple[str, dict]] = []      # fields with form="id" outside their form

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self.current = FormSpec(a.get("action") or self.page_url)
                self.forms.append(self.current)
                if a.get("id"):
                    self.by_id[a["id"]] = self.current
            return
        target = self.by_id.get(a.get("form", "")) if a.get("form") else self.current
        if target is None and a.get("form"):
            self.orphans.append((tag, a))
            return
        if target is None or not a.get("name") and tag != "option":
            if tag == "option" and self.select is not None:
                self.select.options.append(a.get("value", ""))
            return
        self.add(target, tag, a)

    def add(self, target: FormSpec, tag: str, a: dict):
        if tag == "input":
            kind = a.get("type", "text").lower()
            spec = target.field(a["name"])
            spec.kind = kind
            if kind in ("checkbox", "radio", "submit"):
                spec.options.append(a.get("value", "on"))
                if "checked" in a or kind == "submit":
                    spec.value = a.get("value", "on")
            else:
                spec.value = a.get("value", "")
        elif tag == "button" and a.get("name"):
            spec = target.field(a["name"])
            spec.kind = "submit"
            spec.options.append(a.get("value", ""))
            spec.value = spec.value or a.get("value", "")
        elif tag == "select":
            self.select = target.field(a["name"])
            self.select.kind = "select"
        elif tag == "option" and self.select is not None:
            self.select.options.append(a.get("value", ""))
            if "selected" in a:
                self.select.value = a.get("value", "")
        elif tag == "textarea":
            self.textarea = target.field(a["name"])
            self.textarea.kind = "textarea"

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def close(self):
        super().close()
        for tag, a in self.orphans:
            if a["form"] in self.by_id:
                self.add(self.by_id[a["form"]], tag, a)


def forms_on(html: str, page_url: str) -> list[FormSpec]:
    parser = FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms


def endpoint_of(app, action: str) -> str | None:
    parts = urlsplit(action)
    if parts.netloc and parts.netloc != "localhost":
        return None
    try:
        endpoint, _values = app.url_map.bind("localhost").match(parts.path, method="POST")
    except Exception:
        return None
    return endpoint


# --- the world and its clients -----------------------------------------------------------------------

OWNER, ASSIGNED_REVIEWER, ASSIGNED_JUDGE = "owner", "assigned_reviewer", "assigned_judge"
"""Beyond the matrix's roles: the exhibitor of the projects' own organisation, the reviewer and the judge
who hold the world's assignments (the only ones who may post their forms)."""

POSTER_OF = {
    "applications.upload": OWNER, "applications.delete_attachment": OWNER, "applications.edit": OWNER,
    "applications.withdraw": OWNER, "screening.review": ASSIGNED_REVIEWER, "screening.autosave": ASSIGNED_REVIEWER,
    "visitors.group_pdf": ORGANIZER, "judging.score": ASSIGNED_JUDGE, "judging.skip": ASSIGNED_JUDGE, "judging_api.save_scores": ASSIGNED_JUDGE,
}
DRAFT_ROUTES = {"applications.upload", "applications.edit", "applications.withdraw"}
PREFERENCE = (ORGANIZER, SPONSOR, EXHIBITOR, VISITOR, GATE, JUDGE, REVIEWER, OTHER_ORGANIZER, ANON)


def poster(endpoint: str) -> str | None:
    """The role whose post reaches the form's validation: the route's owner, an anonymous caller when
    anyone may post (log-in, registration), else the first allowed role in PREFERENCE."""
    if endpoint in POSTER_OF:
        return POSTER_OF[endpoint]
    access = access_rules.RULES.get(endpoint)
    if access is None:
        return None
    allowed = access.post if access.post is not None else {    # a page whose form posts back (starts a job)
        role for role, status in access.get.items() if status == access_rules.OK}
    if not allowed:
        return None
    if allowed == access_rules.EVERYONE:
        return ANON
    return next(role for role in PREFERENCE if role in allowed)


@dataclass
class FuzzWorld:
    world: World
    app: object
    organizer: object
    clients: dict = field(default_factory=dict)

    @property
    def fair(self) -> Fair:
        db.session.rollback()
        return db.session.get(Fair, self.world.ids["fair"].id)

    def client(self, role: str):
        """A logged-in client for `role`, made on first use."""
        if role not in self.clients:
            self.clients[role] = self._make_client(role)
        return self.clients[role]

    def _make_client(self, role: str):
        client = self.app.test_client()
        ids, fair = self.world.ids, self.world.ids["fair"]
        if role == ANON:
            return client
        if role == VISITOR:
            client.get(f"/fairs/{self.world.slug}/tickets/{self.world.ticket_code}/use-here")
            return client
        users = {
            ORGANIZER: lambda: self.organizer,
            EXHIBITOR: lambda: make_member(fair, Role.exhibitor, organisation=make_organisation()),
            OWNER: lambda: make_member(fair, Role.exhibitor, organisation=ids["organisation"]),
            REVIEWER: lambda: make_member(fair, Role.reviewer),
            ASSIGNED_REVIEWER: lambda: db.session.get(Membership, ids["membership_id"]).user,
            JUDGE: lambda: make_judge(fair).user,
            ASSIGNED_JUDGE: lambda: ids["judge_user"],
            SPONSOR: lambda: make_representative(ids["sponsor"]),
            GATE: lambda: make_member(fair, Role.gate_staff),
            OTHER_ORGANIZER: lambda: make_user(is_admin=True),
        }
        user = users[role]()
        limiter.reset()
        return log_in(client, user)

    def url(self, endpoint: str) -> str:
        """The endpoint's URL in this world (the fair's current slug: a fuzzed edit may change it)."""
        rule = next(r for r in self.app.url_map.iter_rules() if r.endpoint == endpoint)
        values = url_values(endpoint, rule.arguments, self.world)
        if "slug" in values:
            values["slug"] = self.fair.slug
        if endpoint in DRAFT_ROUTES:
            values["application_id"] = self.world.ids["draft_application_id"]
        return self.app.url_map.bind("localhost").build(endpoint, values)


def make_world(app, organizer) -> FuzzWorld:
    return FuzzWorld(build_fair(organizer, "P"), app, organizer)


def readable_pages(app, world: FuzzWorld, roles) -> list[tuple[str, str]]:
    """(role, url) of every GET page the access table says `role` may open (200), for the given roles."""
    pages = []
    matrix_role = {OWNER: EXHIBITOR, ASSIGNED_REVIEWER: REVIEWER, ASSIGNED_JUDGE: JUDGE}
    for rule in app.url_map.iter_rules():
        access = access_rules.RULES.get(rule.endpoint)
        if rule.endpoint == "static" or access is None or "GET" not in rule.methods:
            continue
        for role in roles:
            if access.get.get(matrix_role.get(role, role)) == access_rules.OK or role in (OWNER, ASSIGNED_JUDGE,
                                                                                          ASSIGNED_REVIEWER):
                pages.append((role, world.url(rule.endpoint)))
    return pages


def discover_forms(app, world: FuzzWorld, roles) -> dict[str, list[FormSpec]]:
    """endpoint → the distinct post forms found on the pages `roles` can open (the form's own page first)."""
    found: dict[str, dict[tuple, FormSpec]] = {}
    for role, url in readable_pages(app, world, roles):
        response = world.client(role).get(url)
        if response.status_code != 200 or not response.content_type.startswith("text/html"):
            continue
        for form in forms_on(response.get_data(as_text=True), url):
            endpoint = endpoint_of(app, form.action)
            if endpoint is None:
                continue
            key = tuple(sorted(spec.name for spec in form.fields))
            found.setdefault(endpoint, {}).setdefault(key, form)
    return {endpoint: list(forms.values()) for endpoint, forms in found.items()}


def fallback_form(url: str, endpoint: str, catalog: dict[str, list[FormSpec]]) -> FormSpec:
    """For a route whose form no page of the world shows (another state shows it, or a script posts):
    the field names of its area's forms (same blueprint) and a few common ones, empty."""
    area = endpoint.split(".")[0] + "."
    names = {spec.name for other, forms in catalog.items() if other.startswith(area)
             for form in forms for spec in form.fields if spec.kind != "file"}
    return FormSpec(url, [FieldSpec(name) for name in sorted(names | set(FIELD_NAMES_WHEN_NO_FORM))])

