"""Every form of the app, posted with hostile input by the role allowed to post it: never a 500, a refusal
is a 4xx with a page, and no payload comes back as live markup.

The routes are the app's POST routes (tests/web/access_rules.py lists them all; the first test checks
that against the URL map, so a new route is fuzzed as soon as it has an access rule). Each route gets a
fresh world (tests/web/test_access_matrix.py's `build_fair`) and Hypothesis fills the route's form, read
from the pages of the app, with tests/fuzz_support.py's strategies; rows written by one example stay for
the next, as they would on a real server. A deterministic pass then stores the script payloads in every
text field of every form and reads every page as every role."""
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fair.extensions import db, limiter
from sponsorship.models import Meeting, MeetingStatus
from tests.conftest import empty_tables
from tests.factories import make_user
from tests.fuzz_support import (MARKUP, SCRIPT, carries_markup, discover_forms, fallback_form, form_data,
                                fuzz_settings, make_world, poster, readable_pages, shows_markup)
from tests.web import access_rules

API_POSTS = {"checkin_api.redeem", "checkin_api.sync", "judging_api.save_scores"}   # tests/web/test_fuzz_api.py
NO_INPUT = {"auth.logout"}                       # nothing to fuzz; it would end the session the test uses
PAGES_THAT_POST = {"booths.signage", "judging.certificates", "visitors.group_pdf"}   # their rule lists GET only
FORM_ENDPOINTS = sorted(endpoint for endpoint, access in access_rules.RULES.items()
                        if (access.post is not None or endpoint in PAGES_THAT_POST)
                        and endpoint not in API_POSTS | NO_INPUT)
SLOW = {"booths.allocation", "booths.signage", "judging.assignment", "judging.assignment_judge",
        "judging.certificates", "shortlist.propose", "sponsorship.schedule_meetings", "screening.assign",
        "visitors.group_pdf", "visitors.tickets_bulk", "judging.publish", "shortlist.publish"}


@pytest.fixture(scope="session")
def form_catalog(app):
    """endpoint → its forms, read once from a world's pages (the ids in them do not matter: only the
    field names, values, options and the action's query string are used)."""
    with app.app_context():
        try:
            world = make_world(app, make_user(is_admin=True))
            roles = {poster(endpoint) for endpoint in FORM_ENDPOINTS} - {None}
            return discover_forms(app, world, roles)
        finally:
            empty_tables()
            limiter.reset()


def query_of(action: str) -> str:
    query = urlsplit(action).query
    return f"?{query}" if query else ""




def check_answer(client, response, data: dict, what: str) -> None:
    status = response.status_code
    assert status < 500, f"{what}: {status}"
    if 400 <= status < 500:
        assert response.get_data().strip(), f"{what}: {status} with an empty body"
    if carries_markup(data):
        assert not shows_markup(response), f"{what}: the payload came back unescaped"
        if status in (301, 302, 303) and urlsplit(response.location).netloc in ("", "localhost"):
            follow_up = client.get(response.location)
            assert follow_up.status_code < 500, f"{what} → GET {response.location}: {follow_up.status_code}"
            assert not shows_markup(follow_up), f"{what} → GET {response.location}: the payload is live markup"


def test_every_post_route_is_fuzzed(app):
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & {"POST", "PUT", "PATCH"}}
    assert posted - set(FORM_ENDPOINTS) - API_POSTS - NO_INPUT == set()


def test_every_fuzzed_route_has_a_form(form_catalog):
    """The fields come from a page of the app: a route whose form no page shows would be fuzzed blind."""
    blind = sorted(set(FORM_ENDPOINTS) - set(form_catalog) - BLIND_OK)
    assert not blind, f"no page shows a form posting to: {blind}"


BLIND_OK = {
    # their forms show only in another state than the world's (a draft agreement, judging ready to freeze,
    # an import under way…) or a script posts them: fuzzed with their area's field names
    "applications.import_confirm", "applications.reopen", "applications.withdraw", "auth.register",
    "booths.plan_delete_booth", "booths.plan_delete_hall", "booths.plan_delete_zone", "booths.plan_edit_booth",
    "booths.plan_edit_zone", "booths.signage", "jobs.retry", "judging.certificates", "judging.close_voting",
    "judging.decide_tie", "judging.declare", "judging.freeze", "judging.override", "judging.publish",
    "judging.remove_tie", "judging.vote", "screening.autosave", "shortlist.override", "shortlist.propose",
    "shortlist.publish", "shortlist.replace", "sponsorship.bookmark_note", "sponsorship.caring_unit_designate",
    "sponsorship.check_in", "sponsorship.countersign_agreement", "sponsorship.edit_agreement",
    "sponsorship.schedule_meetings", "sponsorship.sign_agreement", "visitors.group_pdf", "visitors.scan_redeem",
    "visitors.scan_sync", "visitors.withdraw_contact",
}


@pytest.mark.parametrize("endpoint", FORM_ENDPOINTS)
def test_form_survives_hostile_input(app, organizer, form_catalog, endpoint):
    world = make_world(app, organizer)
    role = poster(endpoint)
    client = world.client(role)
    forms = form_catalog.get(endpoint) or [fallback_form(world.url(endpoint), endpoint, form_catalog)]

    @fuzz_settings(2 if endpoint in SLOW else 3 if endpoint in BLIND_OK else 5)
    @given(st.sampled_from(forms).flatmap(lambda form: st.tuples(st.just(form), form_data(form))))
    def post_hostile(form_and_data):
        form, data = form_and_data
        limiter.reset()
        url = world.url(endpoint) + query_of(form.action)
        response = client.post(url, data=data)
        check_answer(client, response, data, f"POST {url} as {role}")

    post_hostile()


def test_no_page_shows_a_stored_script(app, organizer, form_catalog):
    """Every text field of every form gets the payloads (one post per field, the form's own values in the
    others, so the post succeeds where it can), then every page is read as every role."""
    world = make_world(app, organizer)
    for endpoint in FORM_ENDPOINTS:
        world.client(poster(endpoint))         # every client logs in before a post can remove its membership
    failures = []
    for endpoint in sorted(FORM_ENDPOINTS):
        role = poster(endpoint)
        for form in form_catalog.get(endpoint, []):
            texts = [spec for spec in form.fields if spec.kind in ("text", "textarea", "search", "email", "tel",
                                                                   "url", "hidden")]
            for spec in texts:
                data = {other.name: other.value for other in form.fields if other.kind != "file"}
                data[spec.name] = SCRIPT + MARKUP[1]
                limiter.reset()
                url = world.url(endpoint) + query_of(form.action)
                response = world.client(role).post(url, data=data)
                if response.status_code >= 500:
                    failures.append(f"POST {url} ({spec.name}) as {role}: {response.status_code}")
    roles = set(world.clients) | {access_rules.ANON}
    for role, url in readable_pages(app, world, roles):
        response = world.client(role).get(url)
        if response.status_code >= 500:
            failures.append(f"GET {url} as {role}: {response.status_code}")
        elif shows_markup(response):
            failures.append(f"GET {url} as {role}: a stored payload is live markup")
    assert not failures, "\n".join(failures)


# --- what the fuzzing found (fixed since), kept as regression tests -----------------------------------

def own_values(form_catalog, endpoint: str) -> dict:
    [form, *_others] = form_catalog[endpoint]
    return {spec.name: spec.value for spec in form.fields if spec.kind not in ("file", "submit")}


def test_application_form_escapes_the_province_in_its_error(app, organizer, form_catalog):
    world = make_world(app, organizer)
    data = own_values(form_catalog, "applications.create") | {"province": SCRIPT, "city": "x"}
    response = world.client(access_rules.EXHIBITOR).post(world.url("applications.create"), data=data)
    assert response.status_code == 400
    assert SCRIPT not in response.get_data(as_text=True)


def test_fair_edit_without_categories_is_refused(app, organizer, form_catalog):
    world = make_world(app, organizer)
    data = own_values(form_catalog, "fairs.edit")
    del data["categories"]
    response = world.client(access_rules.ORGANIZER).post(world.url("fairs.edit"), data=data)
    assert response.status_code == 400


def test_fair_edit_dropping_used_categories_is_refused(app, organizer, form_catalog):
    world = make_world(app, organizer)
    data = own_values(form_catalog, "fairs.edit") | {"categories": "new|新领域"}
    response = world.client(access_rules.ORGANIZER).post(world.url("fairs.edit"), data=data)
    assert 400 <= response.status_code < 500


def test_voting_with_a_huge_version_is_refused(app, organizer):
    world = make_world(app, organizer)
    response = world.client(access_rules.ORGANIZER).post(world.url("judging.open_voting"), data={"version": "9" * 5000})
    assert response.status_code < 500


def test_answering_a_meeting_with_a_huge_slot_is_refused(app, organizer, form_catalog):
    world = make_world(app, organizer)
    data = own_values(form_catalog, "sponsorship.answer_meeting") | {"when": "9" * 5000}
    response = world.client(access_rules.SPONSOR).post(world.url("sponsorship.answer_meeting"), data=data)
    assert response.status_code < 500


def test_moving_a_cancelled_meeting_is_refused(app, organizer, form_catalog):
    world = make_world(app, organizer)
    meeting = db.session.get(Meeting, world.world.ids["meeting_id"])
    meeting.status = MeetingStatus.cancelled
    db.session.commit()
    data = own_values(form_catalog, "sponsorship.move_meeting")
    response = world.client(access_rules.ORGANIZER).post(world.url("sponsorship.move_meeting"), data=data)
    assert 400 <= response.status_code < 500
