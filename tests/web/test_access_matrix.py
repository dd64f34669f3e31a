"""The access matrix: every route of the app, called as each role, gets what tests/web/access_rules.py says.

Two fairs hold one of each object. Every URL is filled with ids of the first fair; each role then calls it
(GET: the expected status; POST by a role that may not: refused, and not a row or audit event changed),
and every route with an object id is called again with the second fair's id under the first fair's slug
(never a success, for any role, the first fair's organizer included). One test per question loops over
everything and reports all failures at once: building the fairs costs more than the requests."""
import secrets
from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa

from fair.applications import services as applications
from fair.applications.models import AttachmentKind, DuplicateCandidate, ShortlistEntry, Placement
from fair.auth import services as auth
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs.models import Phase
from fair.jobs.models import Job
from fair.times import utcnow
from fair.messages.services import send_message
from judging.models import (Award, ConflictDeclaration, DeclarationKind,
                            OrganisationTie, TieKind)
from sponsorship.caring_units import designate_caring_unit
from sponsorship.models import Meeting, MeetingStatus, Payment, Side
from tests.conftest import log_in
from tests.factories import (make_application, make_fair, make_judge, make_judge_assignment, make_judging, make_member,
                             make_organisation, make_plan, make_review, make_criterion, make_shortlisted,
                             make_user)
from tests.sponsor_factories import (make_agreement, make_meeting_area, make_representative, make_sponsor)
from tests.visitor_factories import make_area, make_device, make_point, make_scannable_ticket, visiting_fair
from tests.web import access_rules
from tests.web.access_rules import ANON, LOGIN_REDIRECT, ROLES

def png() -> bytes:
    from io import BytesIO
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (8, 8), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class World:
    """One fair's objects: the values its URLs take, by parameter (and by kind for the `code`s)."""
    slug: str
    ids: dict = field(default_factory=dict)
    device_token: str = ""
    ticket_code: str = ""


def build_fair(organizer, letter: str) -> World:
    """A live fair with one of each object; booth codes start with `letter`, so no code is in both fairs."""
    fair = make_fair(organizer)
    make_criterion(fair)
    ours = make_organisation()
    exhibited = make_shortlisted(fair, 2, organisation=ours)
    project, second = exhibited
    draft = make_application(fair, ours, submit=False)
    attachment = applications.add_attachment(draft, data=png(), filename="photo.png", kind=AttachmentKind.photo,
                                             actor=None)
    reviewer = make_member(fair, Role.reviewer)
    review = make_review(project, reviewer, {}, submitted=False)
    duplicate = DuplicateCandidate(fair_id=fair.id, application_id=project.id, other_id=second.id, similarity=0.9)
    entry = ShortlistEntry(fair_id=fair.id, application_id=project.id, proposed=list(Placement)[0])
    db.session.add_all([duplicate, entry])
    db.session.commit()
    _hall, zones, booths = make_plan(fair, actor=organizer, per_row=2)
    for booth in booths:
        booth.code = letter + booth.code
    booths[0].application_id = project.id
    db.session.commit()
    fair = visiting_fair(fair, Phase.live, actor=organizer)

    _setup, _criteria, tiers = make_judging(fair)
    judge = make_judge(fair, employer=make_organisation())
    assignment = make_judge_assignment(judge, project)
    declaration = ConflictDeclaration(judge_id=judge.id, application_id=second.id, kind=list(DeclarationKind)[0],
                                      reason="曾在该机构兼职。")
    tie = OrganisationTie(organisation_id=ours.id, related_id=make_organisation().id, kind=list(TieKind)[0])
    _setup.frozen_at = _setup.published_at = utcnow()
    award = Award(fair_id=fair.id, application_id=project.id, tier_id=tiers[0].id, rank=1,
                  certificate_code=secrets.token_hex(12))
    db.session.add_all([declaration, tie, award])
    db.session.commit()

    sponsor = make_sponsor(fair)
    tables, slots = make_meeting_area(fair)
    meeting = Meeting(fair_id=fair.id, sponsor_id=sponsor.id, application_id=project.id,
                      requested_by_side=Side.sponsor, status=MeetingStatus.requested, code=secrets.token_hex(8))
    db.session.add(meeting)
    agreement = make_agreement(sponsor, project)
    payment = Payment(agreement_id=agreement.id, amount_fen=100_000, paid_on=date(2027, 6, 1))
    db.session.add(payment)
    db.session.commit()
    unit = designate_caring_unit(fair, sponsor.organisation, "长期资助社区助老项目。", actor=None)

    area = make_area(fair)
    point = make_point(fair, "gate", area_id=area.id)
    device, token = make_device(fair, [point])
    ticket, _qr = make_scannable_ticket(fair)
    message = send_message(fair, organisation=ours, kind="test", subject="通知", body="内容")
    invitation, invite_token = auth.invite(fair, f"invitee-{letter}@example.cn", Role.judge, actor=organizer)
    db.session.commit()
    job = Job(fair_id=fair.id, kind="judging.certificates", created_by_id=organizer.id)
    db.session.add(job)
    db.session.commit()
    membership = next(m for m in reviewer.memberships if m.fair_id == fair.id)

    world = World(fair.slug, device_token=token, ticket_code=ticket.code)
    world.ids = {
        "application_id": project.id, "attachment_id": attachment.id, "booth_id": booths[1].id,
        "hall_id": _hall.id, "zone_id": zones[-1].id, "message_id": message.id, "invitation_id": invitation.id,
        "award_id": award.id, "judge_id": judge.id, "declaration_id": declaration.id,
        "affiliation_id": judge.affiliations[0].id, "tie_id": tie.id, "judge_assignment_id": assignment.id,
        "review_assignment_id": review.id, "membership_id": membership.id, "candidate_id": duplicate.id,
        "entry_id": entry.id, "agreement_id": agreement.id, "unit_id": unit.id, "payment_id": payment.id,
        "meeting_id": meeting.id, "slot_id": slots[-1].id, "table_id": tables[-1].id, "sponsor_id": sponsor.id,
        "area_id": area.id, "job_id": job.id, "device_id": device.id, "point_id": point.id,
        "booth_code": booths[0].code, "ticket_code": ticket.code, "verification_code": agreement.verification_code,
        "unit_code": unit.certificate_code, "meeting_code": meeting.code, "award_code": award.certificate_code,
        "token": invite_token, "draft_application_id": draft.id, "organisation": ours, "sponsor": sponsor,
        "judge_user": judge.user, "fair": fair,
    }
    return world



# --- the callers ------------------------------------------------------------------------------------

CODE_OF = {"booths.placement": "booth_code", "booths.booth_sign": "booth_code", "judging.booth": "booth_code",
           "sponsorship.verify_agreement": "verification_code", "sponsorship.caring_unit_verify": "unit_code",
           "sponsorship.check_in": "meeting_code", "certificates.verify": "award_code"}
NO_IDOR = {"home.switch_language", "certificates.verify", "auth.accept_invitation"}   # no fair in the URL


def url_values(endpoint: str, arguments, world: World) -> dict:
    """The URL's values from `world`: its slug, its ids, the right kind of `code`."""
    values = {}
    for name in arguments:
        if name == "slug":
            values[name] = world.slug
        elif name == "code":
            values[name] = "en" if endpoint == "home.switch_language" else world.ids[CODE_OF.get(endpoint, "ticket_code")]
        elif name == "assignment_id":
            kind = "review_assignment_id" if endpoint.startswith("screening.") else "judge_assignment_id"
            values[name] = world.ids[kind]
        elif name == "application_id" and "attachment_id" in arguments:
            values[name] = world.ids["draft_application_id"]
        else:
            values[name] = world.ids[name]
    return values


def routes(app):
    """(endpoint, rule) for every route but the static files."""
    return [(rule.endpoint, rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def url_for_world(app, endpoint, rule, world: World, slug_of: World | None = None) -> str:
    values = url_values(endpoint, rule.arguments, world)
    if slug_of is not None and "slug" in values:
        values["slug"] = slug_of.slug
    return app.url_map.bind("localhost").build(endpoint, values)


def row_counts() -> tuple:
    """Every table's row count, in one statement (cheap enough to take around each refused POST)."""
    tables = db.metadata.sorted_tables
    statement = sa.select(*[sa.select(sa.func.count()).select_from(table).scalar_subquery() for table in tables])
    db.session.rollback()
    counts = db.session.execute(statement).one()
    return tuple(zip((table.name for table in tables), counts))


@pytest.fixture
def matrix(app, organizer):
    """The two fairs and a logged-in client per role of the first."""
    other_organizer = make_user(is_admin=True)
    ours, theirs = build_fair(organizer, "P"), build_fair(other_organizer, "Q")
    fair = ours.ids["fair"]
    clients = {role: app.test_client() for role in ROLES}
    visitor = clients[access_rules.VISITOR]
    assert visitor.get(f"/fairs/{ours.slug}/tickets/{ours.ticket_code}/use-here").status_code == 302
    users = {
        access_rules.EXHIBITOR: make_member(fair, Role.exhibitor, organisation=make_organisation()),
        access_rules.REVIEWER: make_member(fair, Role.reviewer),
        access_rules.JUDGE: make_judge(fair).user,
        access_rules.SPONSOR: make_representative(ours.ids["sponsor"]),
        access_rules.GATE: make_member(fair, Role.gate_staff),
        access_rules.OTHER_ORGANIZER: other_organizer,
        access_rules.ORGANIZER: organizer,
    }
    for role, user in users.items():
        log_in(clients[role], user)
    return ours, theirs, clients


# --- what each answer means -------------------------------------------------------------------------

def is_api(url: str) -> bool:
    return url.startswith("/api/")


def to_login(response) -> bool:
    return response.status_code == 302 and response.location.split("?")[0].endswith(LOGIN_REDIRECT)


def get_matches(expected: str, response, url: str) -> bool:
    status = response.status_code
    if expected == access_rules.OK:
        return status == 200
    if expected == access_rules.REDIRECT:
        return status == 302 and not to_login(response)
    if expected == access_rules.LOGIN:
        return status == 401 if is_api(url) else to_login(response)
    return status in (403, 404)


def refused(response, role: str, url: str) -> bool:
    """A refusal: the log-in page (401 for the API) for no account, else 403, 404 or 400."""
    if role in access_rules.NO_ACCOUNT and not is_api(url) and to_login(response):
        return True
    if response.status_code == 302 and "/my-visit?" in response.location:
        return True          # a visitor's action without a ticket: to the page that asks for one
    if is_api(url) and role not in access_rules.NO_ACCOUNT and response.status_code == 422:
        return True          # the body checked before the ownership: still nothing written
    return response.status_code in (400, 401, 403, 404) and not (is_api(url) and role == ANON
                                                                   and response.status_code == 403)


def describe(response) -> str:
    where = f" → {response.location}" if response.status_code in (301, 302, 303) else ""
    return f"{response.status_code}{where}"


def post(client, url: str):
    return client.post(url, json={}) if is_api(url) else client.post(url, data={})


# --- the tests -------------------------------------------------------------------------------------

def test_every_route_has_an_expected_access(app):
    missing = sorted(endpoint for endpoint, _rule in routes(app) if endpoint not in access_rules.RULES)
    stale = sorted(set(access_rules.RULES) - {endpoint for endpoint, _rule in routes(app)})
    assert not missing, f"routes without an entry in tests/web/access_rules.py: {missing}"
    assert not stale, f"entries of tests/web/access_rules.py for no route: {stale}"


def test_each_role_gets_what_the_table_says(app, matrix):
    ours, _theirs, clients = matrix
    failures = []
    for endpoint, rule in sorted(routes(app), key=lambda pair: pair[1].rule):
        access = access_rules.RULES.get(endpoint)
        if access is None or "GET" not in rule.methods:
            continue
        url = url_for_world(app, endpoint, rule, ours)
        for role, expected in access.get.items():
            response = clients[role].get(url)
            if not get_matches(expected, response, url):
                failures.append(f"GET {url} ({endpoint}) as {role}: {describe(response)}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_refused_posts_change_nothing(app, matrix):
    ours, _theirs, clients = matrix
    failures = []
    for endpoint, rule in sorted(routes(app), key=lambda pair: pair[1].rule):
        access = access_rules.RULES.get(endpoint)
        methods = rule.methods & {"POST", "PUT"}
        if access is None or not methods or access.post is None:
            continue
        url = url_for_world(app, endpoint, rule, ours)
        for role in ROLES:
            if role in access.post:
                continue
            before = row_counts()
            send = clients[role].put if "PUT" in methods else None
            response = send(url, json={}) if send else post(clients[role], url)
            after = row_counts()
            if not refused(response, role, url):
                failures.append(f"POST {url} ({endpoint}) as {role}: {describe(response)}, expected a refusal")
            if after != before:
                changed = [f"{name} {was}→{now}" for (name, was), (_n, now) in zip(before, after) if was != now]
                failures.append(f"POST {url} ({endpoint}) as {role} changed rows: {', '.join(changed)}")
    assert not failures, "\n".join(failures)


def test_another_fairs_ids_are_never_reached(app, matrix):
    """The same request with the other fair's object id under this fair's slug: 404 or 403 for every role
    (anonymous and visitor may get the log-in page first), and nothing written."""
    ours, theirs, clients = matrix
    failures = []
    for endpoint, rule in sorted(routes(app), key=lambda pair: pair[1].rule):
        if endpoint in NO_IDOR or not set(rule.arguments) - {"slug"}:
            continue
        url = url_for_world(app, endpoint, rule, theirs, slug_of=ours)
        for method in sorted(rule.methods & {"GET", "POST", "PUT"}):
            for role in ROLES:
                before = row_counts()
                client = clients[role]
                response = (client.get(url) if method == "GET" else
                            client.put(url, json={}) if method == "PUT" else post(client, url))
                if row_counts() != before:
                    failures.append(f"{method} {url} ({endpoint}) as {role}: another fair's object changed")
                if not refused(response, role, url) or response.status_code == 400:
                    failures.append(f"{method} {url} ({endpoint}) as {role}: {describe(response)}, expected 404/403")
    assert not failures, "\n".join(failures)
