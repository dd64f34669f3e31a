"""Manual changes on the plan: assign, unassign, move, swap, lock, unlock, each audited with the booth and
project before and after; a hard rule is never overridden by hand; two organizers changing one booth at
once: one wins, the other is told and sees the booth as it is now, with what they typed."""
import pytest
import sqlalchemy as sa

from fair.applications.models import BoothSize
from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths import placing, services
from fair.booths.models import Booth
from fair.extensions import db
from fair.refusal import Refused
from tests.conftest import queries_for
from tests.factories import make_plan, make_shortlisted


@pytest.fixture
def plan(fair, organizer):
    """Zones A, B, C of ten booths each (the first three categories); A-01 without power, A-02 not
    step-free, A-10 double."""
    make_plan(fair, actor=organizer)
    booths = booths_by_code(fair)
    for code, change in (("A-01", dict(power=False)), ("A-02", dict(step_free=False)),
                         ("A-10", dict(size=BoothSize.double))):
        details = services.details_of(booths[code])
        services.update_booth(booths[code], services.BoothDetails(**{**vars(details), **change}), actor=organizer)
    return booths_by_code(fair)


@pytest.fixture
def projects(fair):
    """Two plain projects of the first category, one needing power, one of the second category."""
    first, second = fair.categories[:2]
    plain = make_shortlisted(fair, 2, category=first)
    return {"plain": plain[0], "other": plain[1], "power": make_shortlisted(fair, category=first, needs_power=True)[0],
            "second": make_shortlisted(fair, category=second)[0]}


def booths_by_code(fair) -> dict[str, Booth]:
    db.session.expire_all()
    return {booth.code: booth for booth in db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair.id))}


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def assign(booth, application, organizer):
    return placing.assign(booth, application, actor=organizer, version=booth.version)


def test_each_manual_change_is_audited_with_booth_and_project(fair, organizer, plan, projects):
    plain, other = projects["plain"], projects["other"]
    assign(plan["A-03"], plain, organizer)
    assign(plan["A-04"], other, organizer)
    [assigned, _] = events("booth.assigned")
    assert (assigned.before, assigned.after) == ({"booth": "A-03", "project": None, "locked": False},
                                                 {"booth": "A-03", "project": plain.title, "locked": False})
    booths = booths_by_code(fair)
    placing.swap(booths["A-03"], booths["A-04"], actor=organizer, versions=(booths["A-03"].version, None))
    assert [(e.before["project"], e.after["project"]) for e in events("booth.swapped")] == [
        (plain.title, other.title), (other.title, plain.title)]
    booths = booths_by_code(fair)
    placing.move(plain, booths["A-05"], actor=organizer, versions=(booths["A-04"].version, booths["A-05"].version))
    assert [(e.object_label, e.before["project"], e.after["project"]) for e in events("booth.moved")] == [
        ("A-04", plain.title, None), ("A-05", None, plain.title)]
    booths = booths_by_code(fair)
    placing.lock(booths["A-05"], actor=organizer, version=booths["A-05"].version)
    booths = booths_by_code(fair)
    placing.unlock(booths["A-05"], actor=organizer, version=booths["A-05"].version)
    assert [e.after["locked"] for e in events("booth.locked") + events("booth.unlocked")] == [True, False]
    booths = booths_by_code(fair)
    placing.unassign(booths["A-05"], actor=organizer, version=booths["A-05"].version)
    [unassigned] = events("booth.unassigned")
    assert (unassigned.before["project"], unassigned.after["project"]) == (plain.title, None)
    assert all(event.actor_id == organizer.id and event.fair_id == fair.id
               for event in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("booth.%"))))
    booths = booths_by_code(fair)
    assert (booths["A-03"].application_id, booths["A-05"].application_id) == (other.id, None)


@pytest.mark.parametrize("project, code, words", [
    ("power", "A-01", "需要电源，展位 A-01 没有电源"),
    ("second", "A-03", "该展区不接受“助残”领域的项目"),
])
def test_a_hard_rule_is_never_overridden(fair, organizer, plan, projects, project, code, words):
    with pytest.raises(Refused) as refused:
        assign(plan[code], projects[project], organizer)
    assert refused.value.code == "misfit" and words in refused.value.message
    assert booths_by_code(fair)[code].application_id is None and not events("booth.assigned")


def test_needs_step_free_and_double(fair, organizer, plan):
    step_free = make_shortlisted(fair, category=fair.categories[0], needs_step_free=True)[0]
    double = make_shortlisted(fair, category=fair.categories[0], booth_size=BoothSize.double)[0]
    assert "不是无障碍展位" in placing.misfit(step_free, plan["A-02"])
    assert "需要双展位，展位 A-03 是标准展位" in placing.misfit(double, plan["A-03"])
    assert placing.misfit(double, plan["A-10"]) is None


def test_moves_and_swaps_keep_the_rules_too(fair, organizer, plan, projects):
    assign(plan["A-03"], projects["power"], organizer)
    assign(plan["A-01"], projects["plain"], organizer)
    booths = booths_by_code(fair)
    with pytest.raises(Refused) as refused:                    # the powered project would land on A-01
        placing.swap(booths["A-03"], booths["A-01"], actor=organizer)
    assert (refused.value.code, refused.value.field) == ("misfit", "swap_code")
    with pytest.raises(Refused) as refused:
        placing.move(projects["power"], booths["B-01"], actor=organizer)
    assert "该展区不接受" in refused.value.message
    with pytest.raises(Refused) as refused:
        placing.move(projects["power"], booths["A-01"], actor=organizer)
    assert refused.value.code == "occupied"
    assert placing.booth_of(projects["power"]).code == "A-03"


def test_a_locked_booth_stays_until_unlocked(fair, organizer, plan, projects):
    assign(plan["A-03"], projects["plain"], organizer)
    booth = booths_by_code(fair)["A-03"]
    placing.lock(booth, actor=organizer, version=booth.version)
    for change in (lambda b: placing.unassign(b, actor=organizer, version=b.version),
                   lambda b: placing.move(projects["plain"], booths_by_code(fair)["A-04"], actor=organizer),
                   lambda b: placing.swap(b, booths_by_code(fair)["A-04"], actor=organizer)):
        with pytest.raises(Refused) as refused:
            change(booths_by_code(fair)["A-03"])
        assert refused.value.code == "locked"
    assert booths_by_code(fair)["A-03"].application_id == projects["plain"].id


def test_only_shortlisted_projects_and_one_booth_each(fair, organizer, plan, projects):
    assign(plan["A-03"], projects["plain"], organizer)
    with pytest.raises(Refused) as refused:
        assign(booths_by_code(fair)["A-04"], projects["plain"], organizer)
    assert refused.value.code == "already_placed" and "A-03" in refused.value.message
    projects["other"].decision = None
    db.session.commit()
    with pytest.raises(Refused) as refused:
        assign(booths_by_code(fair)["A-05"], projects["other"], organizer)
    assert refused.value.code == "not_shortlisted"


def test_a_stale_version_is_refused_and_both_changes_are_intact(fair, organizer, plan, projects):
    booth = plan["A-03"]
    seen = booth.version
    placing.assign(booth, projects["plain"], actor=organizer, version=seen)            # the first organizer
    with pytest.raises(Refused) as refused:                                              # the second, on the old page
        placing.assign(booths_by_code(fair)["A-03"], projects["other"], actor=organizer, version=seen)
    assert refused.value.code == "conflict"
    booths = booths_by_code(fair)
    assert booths["A-03"].application_id == projects["plain"].id
    assert placing.booth_of(projects["other"]) is None and len(events("booth.assigned")) == 1


def test_a_change_between_reading_and_writing_is_caught_by_the_version_counter(fair, organizer, plan, projects):
    booth = plan["A-03"]
    seen = booth.version
    with db.engine.begin() as other:          # someone else's commit after this request read the booth
        other.execute(sa.update(Booth).where(Booth.id == booth.id).values(version=Booth.version + 1))
    with pytest.raises(Refused) as refused:
        placing.assign(booth, projects["plain"], actor=organizer, version=seen)
    assert refused.value.code == "conflict"
    assert booths_by_code(fair)["A-03"].application_id is None and not events("booth.assigned")


# --- the booth's page ----------------------------------------------------------------------------------

def url(fair, code: str = "A-03") -> str:
    return f"/fairs/{fair.slug}/booths/{code}/placement"


def test_the_page_lists_only_projects_that_fit(fair, organizer, plan, projects, client_as):
    client = client_as(Role.organizer)
    page = client.get(url(fair, "A-01")).get_data(as_text=True)      # no power here
    assert projects["plain"].title in page and projects["other"].title in page
    assert projects["power"].title not in page and projects["second"].title not in page
    page = client.get(url(fair, "A-01") + "?q=" + projects["plain"].title).get_data(as_text=True)
    assert projects["plain"].title in page and projects["other"].title not in page


def test_assign_on_the_page_and_lock(fair, organizer, plan, projects, client_as):
    client = client_as(Role.organizer)
    response = client.post(url(fair), data={"action": "assign", "version": plan["A-03"].version,
                                            "application_id": projects["plain"].id})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"已将“{projects['plain'].title}”安排到展位 A-03。" in page
    booth = booths_by_code(fair)["A-03"]
    assert client.post(url(fair), data={"action": "lock", "version": booth.version}).status_code == 302
    assert booths_by_code(fair)["A-03"].locked


def test_move_and_swap_by_code_on_the_page(fair, organizer, plan, projects, client_as):
    assign(plan["A-03"], projects["plain"], organizer)
    assign(booths_by_code(fair)["A-04"], projects["other"], organizer)
    client = client_as(Role.organizer)
    booth = booths_by_code(fair)["A-03"]
    assert client.post(url(fair), data={"action": "swap", "version": booth.version, "swap_code": "a-04"}).status_code \
        == 302
    assert booths_by_code(fair)["A-04"].application_id == projects["plain"].id
    booth = booths_by_code(fair)["A-04"]
    response = client.post(url(fair, "A-04"), data={"action": "move", "version": booth.version, "move_code": "Z-09"})
    assert response.status_code == 409
    assert 'id="move_code-error">没有编号为 Z-09 的展位。' in response.get_data(as_text=True)
    response = client.post(url(fair, "A-04"), data={"action": "move", "version": booth.version, "move_code": "A-07"})
    assert response.status_code == 302
    assert placing.booth_of(projects["plain"]).code == "A-07"


def test_bring_a_placed_project_here(fair, organizer, plan, projects, client_as):
    assign(plan["A-05"], projects["plain"], organizer)
    from_booth = booths_by_code(fair)["A-05"]
    client = client_as(Role.organizer)
    response = client.post(url(fair), data={"action": "bring", "version": plan["A-03"].version,
                                            "other_version": from_booth.version,
                                            "application_id": projects["plain"].id})
    assert response.status_code == 302
    assert placing.booth_of(projects["plain"]).code == "A-03"


def test_a_refused_rule_is_shown_with_its_message(fair, organizer, plan, projects, client_as):
    response = client_as(Role.organizer).post(url(fair, "A-01"), data={
        "action": "assign", "version": plan["A-01"].version, "application_id": projects["power"].id})
    assert response.status_code == 409
    assert "需要电源，展位 A-01 没有电源" in response.get_data(as_text=True)
    assert booths_by_code(fair)["A-01"].application_id is None


def test_two_organizers_on_one_booth_one_wins_the_other_is_told(fair, organizer, plan, projects, client_as):
    first, second = client_as(Role.organizer), client_as(Role.organizer, email="second@example.cn")
    assign(plan["A-03"], projects["plain"], organizer)
    seen = booths_by_code(fair)["A-03"].version                   # both pages show this version
    assert first.post(url(fair), data={"action": "swap", "version": seen, "swap_code": "A-04"}).status_code == 409
    assign(booths_by_code(fair)["A-04"], projects["other"], organizer)
    assert first.post(url(fair), data={"action": "swap", "version": seen, "swap_code": "A-04"}).status_code == 302
    response = second.post(url(fair), data={"action": "move", "version": seen, "move_code": "A-08"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "刚被他人修改" in page and "您填写的内容已保留" in page
    assert 'value="A-08"' in page                                        # what they typed
    assert projects["other"].title in page                               # the booth as it is now
    current = booths_by_code(fair)["A-03"].version
    assert f'name="version" value="{current}"' in page                  # a retry answers what is shown now
    assert placing.booth_of(projects["other"]).code == "A-03"
    assert placing.booth_of(projects["plain"]).code == "A-04"


@pytest.mark.parametrize("role", [Role.exhibitor, Role.reviewer])
def test_only_organizers_change_booths(fair, organizer, plan, projects, client_as, role):
    client = client_as(role)
    assert client.get(url(fair)).status_code == 403
    assert client.post(url(fair), data={"action": "assign", "version": plan["A-03"].version,
                                        "application_id": projects["plain"].id}).status_code == 403
    assert booths_by_code(fair)["A-03"].application_id is None


def test_an_unknown_booth_or_action(fair, organizer, plan, client_as):
    client = client_as(Role.organizer)
    assert client.get(url(fair, "Z-99")).status_code == 404
    assert client.post(url(fair), data={"action": "explode", "version": 1}).status_code == 400


def test_the_booth_page_runs_a_bounded_number_of_queries(fair, organizer, plan, client_as):
    client = client_as(Role.organizer)
    make_shortlisted(fair, 2, category=fair.categories[0])
    small = queries_for(client, url(fair, "A-03"))
    placed = make_shortlisted(fair, 25, category=fair.categories[0])
    for code, application in zip(("A-04", "A-05", "A-06"), placed):
        assign(booths_by_code(fair)[code], application, organizer)
    assign(booths_by_code(fair)["A-03"], make_shortlisted(fair, category=fair.categories[0])[0], organizer)
    assert queries_for(client, url(fair, "A-03")) == small
