"""The automatic allocation run from the database: every hard rule kept in what it writes, locked pairs
kept, an impossible plan told in numbers with nothing written, the page for organizers only and its
queries bounded."""
import pytest
import sqlalchemy as sa

from fair.applications.models import Application, BoothSize, Placement, ShortlistEntry
from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths import allocate, placing, services
from fair.booths.models import AllocationRun, Booth
from fair.extensions import db
from fair.refusal import Refused
from tests.conftest import queries_for
from tests.factories import make_organisation, make_plan, make_shortlisted


def booths_by_code(fair) -> dict[str, Booth]:
    return {booth.code: booth for booth in db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair.id))}


def equip(booth: Booth, organizer, **change) -> Booth:
    """Change a booth's facilities through the plan service, as an organizer would."""
    details = services.details_of(booth)
    return services.update_booth(booth, services.BoothDetails(**{**vars(details), **change}), actor=organizer)


def placement_of(fair) -> dict[int, Booth]:
    """application id → its booth."""
    return {booth.application_id: booth for booth in booths_by_code(fair).values() if booth.application_id}


def run(fair, organizer, **weights) -> AllocationRun:
    return placing.run_allocation(fair, allocate.Weights(**weights), actor=organizer, award_calibre=4)


@pytest.fixture
def mixed(fair, organizer):
    """Three zones of ten booths; in the first, three without power, two not step-free, two double.
    Shortlisted: projects of every category, some needing power, step-free access or a double booth, two
    organisations with several projects, four cities, screening scores for the award weight."""
    _hall, zones, _booths = make_plan(fair, actor=organizer)
    booths = booths_by_code(fair)
    for code in ("A-01", "A-02", "A-03"):
        equip(booths[code], organizer, power=False)
    for code in ("A-04", "A-05"):
        equip(booths[code], organizer, step_free=False)
    for code in ("A-09", "A-10"):
        equip(booths[code], organizer, size=BoothSize.double)
    first, second, third = fair.categories[:3]
    big = make_organisation()
    cities = ["南京市", "苏州市", "无锡市", "常州市"]
    projects = (make_shortlisted(fair, 3, category=first, needs_power=True, organisation=big, city=cities[0])
                + make_shortlisted(fair, 2, category=first, needs_step_free=True, city=cities[1])
                + make_shortlisted(fair, 2, category=first, booth_size=BoothSize.double, city=cities[2])
                + make_shortlisted(fair, 2, category=first, city=cities[3])
                + make_shortlisted(fair, 6, category=second, organisation=make_organisation(), city=cities[1])
                + make_shortlisted(fair, 5, category=third, city=cities[2]))
    for rank, application in enumerate(projects):
        db.session.add(ShortlistEntry(fair_id=fair.id, application_id=application.id, score=100 - rank,
                                      proposed=Placement.shortlist))
    db.session.commit()
    return zones, projects


def test_a_run_places_every_shortlisted_project_keeping_every_hard_rule(fair, organizer, mixed):
    zones, projects = mixed
    result = run(fair, organizer)
    placed = placement_of(fair)
    assert set(placed) == {application.id for application in projects}
    for application in db.session.scalars(sa.select(Application).where(Application.fair_id == fair.id)):
        booth = placed[application.id]
        assert application.category in booth.zone.categories
        assert booth.size == BoothSize.double or application.booth_size == BoothSize.standard
        assert booth.power or not application.needs_power
        assert booth.step_free or not application.needs_step_free
        assert placing.misfit(application, booth) is None
    assert (result.projects, result.locked, result.optimal) == (len(projects), 0, True)
    assert result.weights == {"organisation": 3.0, "region": 1.0, "award": 2.0, "award_calibre": 4}
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "booth.allocation_run")).all()
    assert event.after["projects"] == len(projects) and event.after["changed_booths"] == len(projects)


def test_an_organisations_projects_stand_side_by_side(fair, organizer, mixed):
    _zones, projects = mixed
    result = run(fair, organizer, region=0, award=0)
    placed = placement_of(fair)
    second = [placed[application.id] for application in projects[9:15]]      # one organisation's six
    assert len({booth.zone_id for booth in second}) == 1
    assert result.side_by_side >= 5


def test_locked_pairs_stay_through_a_run_and_a_second_run_changes_nothing(fair, organizer, mixed):
    _zones, projects = mixed
    booths = booths_by_code(fair)
    plain = projects[7]                      # needs nothing: it could go anywhere in zone A
    placing.assign(booths["A-04"], plain, actor=organizer, version=booths["A-04"].version)
    placing.lock(booths["A-04"], actor=organizer, version=booths["A-04"].version)
    first = run(fair, organizer)
    assert placement_of(fair)[plain.id].code == "A-04" and booths_by_code(fair)["A-04"].locked
    assert first.locked == 1
    versions = {code: booth.version for code, booth in booths_by_code(fair).items()}
    run(fair, organizer)
    assert {code: booth.version for code, booth in booths_by_code(fair).items()} == versions   # nothing rewritten


def test_an_assignment_no_longer_shortlisted_is_cleared_by_a_run(fair, organizer, mixed):
    _zones, projects = mixed
    booths = booths_by_code(fair)
    gone = projects[-1]
    placing.assign(booths["C-10"], gone, actor=organizer, version=booths["C-10"].version)
    gone.decision = None
    db.session.commit()
    run(fair, organizer)
    assert gone.id not in placement_of(fair)


def test_a_locked_project_that_left_the_shortlist_is_the_reason(fair, organizer, mixed):
    _zones, projects = mixed
    booths = booths_by_code(fair)
    gone = projects[-1]
    placing.assign(booths["C-10"], gone, actor=organizer, version=booths["C-10"].version)
    placing.lock(booths["C-10"], actor=organizer, version=booths["C-10"].version)
    gone.decision = None
    db.session.commit()
    with pytest.raises(placing.AllocationInfeasible) as refused:
        run(fair, organizer)
    assert refused.value.reasons == [f"展位 C-10 锁定的项目“{gone.title}”已不在入围名单中，请先解锁或取消分配。"]


def powered_shortage(fair, organizer):
    """Zone A: 16 booths, 9 of them powered; 12 projects of its category need power."""
    make_plan(fair, rows=2, per_row=8, actor=organizer)
    booths = booths_by_code(fair)
    for number in range(10, 17):
        equip(booths[f"A-{number:02d}"], organizer, power=False)
    return make_shortlisted(fair, 12, category=fair.categories[0], needs_power=True)


def test_an_impossible_plan_is_told_in_numbers_and_nothing_is_written(app, fair, organizer, client_as):
    projects = powered_shortage(fair, organizer)
    booths = booths_by_code(fair)
    placing.assign(booths["A-01"], projects[0], actor=organizer, version=booths["A-01"].version)
    versions = {code: booth.version for code, booth in booths_by_code(fair).items()}
    client = client_as(Role.organizer)
    response = client.post(f"/fairs/{fair.slug}/booths/allocation",
                           data={"organisation": 3, "region": 1, "award": 2, "award_calibre": 80})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "没有能满足全部硬性条件的分配方案" in page
    assert "展区“助老展区”（服务领域“助老”）：12 个项目需要电源，可分配的有电源展位只有 9 个。" in page
    db.session.rollback()
    assert {code: booth.version for code, booth in booths_by_code(fair).items()} == versions
    assert placement_of(fair).keys() == {projects[0].id}
    assert db.session.scalar(sa.select(sa.func.count(AllocationRun.id))) == 0
    assert not db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "booth.allocation_run"))


def test_the_reason_in_english(app, fair, organizer, client_as):
    powered_shortage(fair, organizer)
    client = client_as(Role.organizer)
    client.set_cookie("fair_lang", "en")
    response = client.post(f"/fairs/{fair.slug}/booths/allocation",
                           data={"organisation": 3, "region": 1, "award": 2, "award_calibre": 80})
    assert response.status_code == 409
    assert "“Elderly care”" in response.get_data(as_text=True)           # the category in the page's language


def test_a_manual_change_during_the_solve_wins_and_the_run_writes_nothing(fair, organizer, mixed, monkeypatch):
    _zones, projects = mixed
    solve = allocate.allocate

    def meanwhile(*args, **kwargs):
        answer = solve(*args, **kwargs)
        with db.engine.begin() as other:                 # an organizer's change commits while HiGHS works
            other.execute(sa.update(Booth).where(Booth.fair_id == fair.id).values(version=Booth.version + 1))
        return answer

    monkeypatch.setattr(allocate, "allocate", meanwhile)
    with pytest.raises(Refused) as refused:
        run(fair, organizer)
    assert refused.value.code == "conflict"
    assert not placement_of(fair) and db.session.scalar(sa.select(sa.func.count(AllocationRun.id))) == 0


def test_a_category_no_zone_accepts_is_named(fair, organizer):
    make_plan(fair, actor=organizer)
    make_shortlisted(fair, 4, category=fair.categories[5])
    with pytest.raises(placing.AllocationInfeasible) as refused:
        run(fair, organizer)
    name = fair.categories[5].name
    assert refused.value.reasons == [f"服务领域“{name}”：4 个入围项目，但没有展区接受该领域。"]


def test_nothing_to_place_and_bad_weights_are_refused(fair, organizer):
    make_plan(fair, actor=organizer)
    with pytest.raises(Refused) as refused:
        run(fair, organizer)
    assert refused.value.code == "nothing_to_place"
    make_shortlisted(fair, 1)
    with pytest.raises(Refused) as refused:
        run(fair, organizer, region=-1)
    assert (refused.value.code, refused.value.field) == ("bad_weight", "region")


def test_award_calibre_is_the_best_screened(fair, organizer, mixed):
    _zones, projects = mixed
    assert placing.award_calibre_ids(fair, 3) == {application.id for application in projects[:3]}
    assert placing.award_calibre_ids(fair, 0) == set()


def test_the_page_runs_and_shows_the_result(fair, organizer, mixed, client_as):
    _zones, projects = mixed
    client = client_as(Role.organizer)
    page = client.get(f"/fairs/{fair.slug}/booths/allocation").get_data(as_text=True)
    assert "未安排展位的入围项目" in page and projects[0].title in page
    response = client.post(f"/fairs/{fair.slug}/booths/allocation",
                           data={"organisation": 5, "region": 0, "award": 1, "award_calibre": 10})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"已为 {len(projects)} 个入围项目分配展位。" in page
    assert "是，已证明最优" in page and "所有入围项目都已安排展位。" in page
    assert 'value="5"' in page                      # the next run starts from these weights


def test_a_bad_weight_is_shown_next_to_its_field(fair, organizer, mixed, client_as):
    response = client_as(Role.organizer).post(f"/fairs/{fair.slug}/booths/allocation",
                                              data={"organisation": 11, "region": "x", "award": 1,
                                                    "award_calibre": 10})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="organisation-error">数值大小必须介于 0 到 10 之间' in page and 'value="11"' in page
    assert 'id="region-error">不是有效的整数' in page
    assert db.session.scalar(sa.select(sa.func.count(AllocationRun.id))) == 0


def test_the_go_to_booth_box(fair, organizer, client_as):
    make_plan(fair, actor=organizer)
    client = client_as(Role.organizer)
    response = client.get(f"/fairs/{fair.slug}/booths/allocation?booth=a-03")
    assert response.headers["Location"].endswith(f"/fairs/{fair.slug}/booths/A-03/placement")
    response = client.get(f"/fairs/{fair.slug}/booths/allocation?booth=Z-99", follow_redirects=True)
    assert "没有编号为 Z-99 的展位。" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.exhibitor, Role.reviewer, Role.judge])
def test_only_organizers_allocate(fair, organizer, client_as, role):
    make_plan(fair, actor=organizer)
    make_shortlisted(fair, 2)
    client = client_as(role)
    assert client.get(f"/fairs/{fair.slug}/booths/allocation").status_code == 403
    assert client.post(f"/fairs/{fair.slug}/booths/allocation", data={
        "organisation": 3, "region": 1, "award": 2, "award_calibre": 80}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(AllocationRun.id))) == 0


def test_anonymous_goes_to_log_in(fair, client):
    assert "/login" in client.get(f"/fairs/{fair.slug}/booths/allocation").headers["Location"]


def test_the_page_runs_a_bounded_number_of_queries(fair, organizer, client_as):
    client = client_as(Role.organizer)
    make_plan(fair, rows=1, per_row=3, actor=organizer)
    make_shortlisted(fair, 3, category=fair.categories[0])
    run(fair, organizer)
    make_shortlisted(fair, 1, category=fair.categories[1])
    small = queries_for(client, f"/fairs/{fair.slug}/booths/allocation")
    other = make_plan_in_second_hall(fair, organizer)
    make_shortlisted(fair, 12, category=fair.categories[0], organisation=make_organisation())
    make_shortlisted(fair, 10, category=fair.categories[1])
    run(fair, organizer)
    make_shortlisted(fair, 5, category=fair.categories[2])
    large = queries_for(client, f"/fairs/{fair.slug}/booths/allocation")
    assert other > 30 and large == small


def make_plan_in_second_hall(fair, organizer) -> int:
    """A second hall whose three zones take the fair's first three categories too: 45 more booths."""
    hall = services.create_hall(fair, services.HallDetails("二号馆", 60, 40), actor=organizer)
    made = 0
    for index, category in enumerate(fair.categories[:3]):
        zone = services.create_zone(fair, services.ZoneDetails(f"二号馆{category.name}展区", hall.id, [category.id]),
                                    actor=organizer)
        made += len(services.create_booths(fair, [
            services.BoothDetails(f"{'DEF'[index]}-{slot + 1:02d}", hall.id, zone.id, 1 + 3 * (slot % 15),
                                  1 + index * 13 + 6 * (slot // 15), power=True) for slot in range(15)],
            actor=organizer))
    return made
