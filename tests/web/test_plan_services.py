"""The floor plan's rules, held by the services whatever the way in: a booth inside its hall, no two
booths overlapping, unique codes, a zone in its booth's hall and accepting a category; a refused change
writes nothing; two people changing one booth at once: one wins, the other is told."""
import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.booths import services
from fair.booths.models import Booth
from fair.extensions import db
from fair.refusal import Refused
from tests.factories import make_plan


def booth_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Booth.id)))


def test_a_plan_is_built_and_audited(fair, organizer):
    hall, zones, booths = make_plan(fair, actor=organizer)
    assert len(zones) == 3 and len(booths) == 30
    assert [booth.code for booth in booths[:3]] == ["A-01", "A-02", "A-03"]
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("booth.created") == 30 and "hall.created" in actions and "zone.created" in actions


@pytest.mark.parametrize("change, field, words", [
    (dict(x=58), "x", "超出展馆"),                # 58 + 3 > 60
    (dict(y=-1), "x", "超出展馆"),
    (dict(x=2, y=1), "x", "重叠"),               # A-01 stands at (1, 1)
    (dict(code="a-01"), "code", "重复"),          # codes compare without case
    (dict(code="A 01"), "code", "展位编号须为"),
    (dict(width=0), "width", "至少 1 米"),
])
def test_a_booth_breaking_a_rule_is_refused_and_nothing_is_written(fair, organizer, change, field, words):
    hall, zones, _booths = make_plan(fair, actor=organizer)
    details = services.BoothDetails(**{**dict(code="Z-01", hall_id=hall.id, zone_id=zones[0].id, x=40, y=30),
                                       **change})
    before = booth_count()
    with pytest.raises(services.PlanRefused) as refused:
        services.create_booth(fair, details, actor=organizer)
    assert refused.value.field == field and words in refused.value.message
    assert booth_count() == before


def test_a_copied_row_overlapping_anything_adds_no_booth(fair, organizer):
    hall, zones, booths = make_plan(fair, actor=organizer)
    row = [booth for booth in booths if booth.code.startswith("A-")][:5]
    before = booth_count()
    with pytest.raises(services.PlanRefused) as refused:
        services.copy_booths(fair, row, dx=0, dy=6, prefix="D", actor=organizer)     # lands on A-06 … A-10
    assert len(refused.value.problems) == 5
    assert booth_count() == before
    copies = services.copy_booths(fair, row, dx=30, dy=0, prefix="D", actor=organizer)
    assert [booth.code for booth in copies] == ["D-01", "D-02", "D-03", "D-04", "D-05"]
    assert all(copy.zone_id == zones[0].id and copy.power for copy in copies)


def test_a_zone_without_category_and_a_shrinking_hall_are_refused(fair, organizer):
    hall, zones, _booths = make_plan(fair, actor=organizer)
    with pytest.raises(services.PlanRefused) as refused:
        services.create_zone(fair, services.ZoneDetails("空展区", hall.id, []), actor=organizer)
    assert refused.value.field == "category_ids"
    with pytest.raises(services.PlanRefused) as refused:
        services.update_hall(hall, services.HallDetails("一号馆", 10, 40), actor=organizer)
    assert "超出展馆" in refused.value.message
    db.session.refresh(hall)
    assert hall.width == 60


def test_a_booth_changed_by_someone_else_is_not_overwritten(fair, organizer):
    _hall, _zones, booths = make_plan(fair, actor=organizer)
    booth = booths[0]
    seen = booth.version
    services.update_booth(booth, services.details_of(booth).__class__(
        **{**vars(services.details_of(booth)), "power": False}), actor=organizer, version=seen)
    stale = {**vars(services.details_of(booth)), "step_free": False}
    with pytest.raises(Refused) as refused:
        services.update_booth(booth, services.BoothDetails(**stale), actor=organizer, version=seen)
    assert refused.value.code == "conflict"
    db.session.refresh(booth)
    assert booth.step_free and not booth.power


def test_a_booth_with_a_project_cannot_be_deleted(fair, organizer):
    from tests.factories import make_shortlisted
    _hall, _zones, booths = make_plan(fair, actor=organizer)
    application, = make_shortlisted(fair)
    booths[0].application_id = application.id
    db.session.commit()
    with pytest.raises(Refused) as refused:
        services.delete_booth(booths[0], actor=organizer)
    assert refused.value.code == "booth_assigned"
    moved = {**vars(services.details_of(booths[1])), "x": booths[4].x}          # onto A-05
    with pytest.raises(services.PlanRefused) as refused:
        services.update_booth(booths[1], services.BoothDetails(**moved), actor=organizer)
    assert "A-02 与 A-05 重叠" in refused.value.message
    services.delete_booth(booths[1], actor=organizer)
    assert booth_count() == 29
