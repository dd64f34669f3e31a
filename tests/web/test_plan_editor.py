"""The organizer's floor plan editor through the web client: halls, zones and booths made and changed by
forms, refused changes shown next to their fields with the input kept and nothing written, a stale edit
refused, a copied row, set-up notes, who may use it and a bounded number of statements."""
import re

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths import services
from fair.booths.models import Booth, Hall, Zone
from fair.extensions import db
from tests.conftest import queries_for
from tests.factories import make_plan


@pytest.fixture
def organizer_client(client_as):
    return client_as(Role.organizer)


def url(fair, path: str = "") -> str:
    return f"/fairs/{fair.slug}/booths{path}"


def booth_form(prefix: str, zone, **overrides) -> dict:
    values = {"code": "Z-01", "zone_id": zone.id, "x": 40, "y": 30, "width": 3, "depth": 3, "size": "standard",
              "power": "y", "step_free": "y"}
    values.update(overrides)
    return {f"{prefix}-{name}": value for name, value in values.items() if value is not None}


def booth_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Booth.id)))


def error_of(page: str, field_id: str) -> str:
    """The text of the error shown right below the field `field_id`."""
    found = re.search(rf'id="{re.escape(field_id)}-error">([^<]*)<', page)
    return found.group(1) if found else ""


def input_of(page: str, field_id: str) -> str:
    """The <input> tag whose id is `field_id`."""
    found = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    return found.group(0) if found else ""


def value_of(page: str, field_id: str) -> str:
    found = re.search(r'\bvalue="([^"]*)"', input_of(page, field_id))
    return found.group(1) if found else ""


def test_organizer_builds_a_hall_a_zone_and_a_booth(organizer_client, fair):
    response = organizer_client.post(url(fair, "/halls"), data={
        "new-hall-name": "二号馆", "new-hall-name_en": "Hall 2", "new-hall-width": 30, "new-hall-depth": 20})
    assert response.status_code == 302
    hall = db.session.scalar(sa.select(Hall).where(Hall.name == "二号馆"))
    assert (hall.width, hall.depth) == (30, 20)

    categories = fair.categories[:2]
    response = organizer_client.post(url(fair, "/zones"), data={
        "new-zone-name": "助老环保展区", "new-zone-hall_id": hall.id, "new-zone-colour": "#59A14F",
        "new-zone-category_ids": [category.id for category in categories]})
    assert response.status_code == 302
    zone = db.session.scalar(sa.select(Zone).where(Zone.name == "助老环保展区"))
    assert [category.id for category in zone.categories] == [category.id for category in categories]
    assert zone.colour == "#59a14f"

    page = organizer_client.get(url(fair), query_string={"hall": hall.id}).get_data(as_text=True)
    assert 'value="A-01"' in page                      # the suggested first code of an empty fair
    response = organizer_client.post(url(fair, "/new"), data=booth_form(
        "new-booth", zone, code="A-01", x=1, y=1, size="double", width=6, corner="y"))
    assert response.status_code == 302, response.get_data(as_text=True)
    booth = db.session.scalar(sa.select(Booth).where(Booth.code == "A-01"))
    assert (booth.hall_id, booth.x, booth.width, booth.size.value, booth.corner, booth.power) == (
        hall.id, 1, 6, "double", True, True)
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-code="A-01"' in page and "已添加展位 A-01。" in page
    assert 'value="A-02"' in page                      # and the next one after it
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"hall.created", "zone.created", "booth.created"} <= actions


@pytest.mark.parametrize("change, field, words", [
    (dict(x=2, y=1), "x", "展位 Z-01 与 A-01 重叠"),        # A-01 stands at (1, 1), 3 × 3 m
    (dict(x=58), "x", "超出展馆"),                          # the hall is 60 m wide
    (dict(code="a-01"), "code", "展位编号 a-01 重复"),
])
def test_a_refused_booth_shows_its_error_by_the_field_and_keeps_the_input(organizer_client, fair, organizer,
                                                                          change, field, words):
    hall, zones, _booths = make_plan(fair, actor=organizer)
    before = booth_count()
    response = organizer_client.post(url(fair, "/new"), data=booth_form("new-booth", zones[1], **change))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert words in error_of(page, f"new-booth-{field}")
    kept = {**dict(code="Z-01", x=40, y=30), **change}
    assert value_of(page, "new-booth-code") == kept["code"] and value_of(page, "new-booth-x") == str(kept["x"])
    assert re.search(rf'<option selected value="{zones[1].id}">', page)
    assert booth_count() == before


def test_a_booth_form_with_blank_numbers_is_refused_by_the_form(organizer_client, fair, organizer):
    _hall, zones, _booths = make_plan(fair, actor=organizer)
    response = organizer_client.post(url(fair, "/new"), data=booth_form("new-booth", zones[0], x="", width="abc"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请填写整数米数" in error_of(page, "new-booth-x")
    assert booth_count() == 30


def test_a_zone_without_a_category_is_refused_with_the_name_kept(organizer_client, fair, organizer):
    hall, _zones, _booths = make_plan(fair, actor=organizer)
    response = organizer_client.post(url(fair, "/zones"), data={
        "new-zone-name": "空展区", "new-zone-hall_id": hall.id, "new-zone-colour": "#123456"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "须至少接受一个服务领域" in error_of(page, "new-zone-category_ids")
    assert 'value="空展区"' in page
    assert db.session.scalar(sa.select(Zone).where(Zone.name == "空展区")) is None


def test_a_hall_shrunk_past_its_booths_names_them(organizer_client, fair, organizer):
    hall, _zones, _booths = make_plan(fair, actor=organizer)
    response = organizer_client.post(url(fair, f"/halls/{hall.id}"), data={
        "hall-name": "一号馆", "hall-width": 10, "hall-depth": 40})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "展位 A-04" in page and "超出展馆" in page
    assert value_of(page, "hall-width") == "10"
    db.session.refresh(hall)
    assert hall.width == 60


def test_a_stale_edit_is_refused_and_the_input_is_kept(organizer_client, fair, organizer):
    _hall, zones, booths = make_plan(fair, actor=organizer)
    booth = booths[0]
    page = organizer_client.get(url(fair), query_string={"booth": booth.id}).get_data(as_text=True)
    seen = value_of(page, "booth-version")

    other = services.BoothDetails(**{**vars(services.details_of(booth)), "power": False})
    services.update_booth(booth, other, actor=organizer, version=int(seen))      # someone else, meanwhile

    mine = booth_form("booth", zones[0], code="A-01", x=1, y=1, corner="y", version=seen)
    response = organizer_client.post(url(fair, f"/{booth.id}"), data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "展位 A-01 刚被他人修改" in page
    assert "checked" in input_of(page, "booth-corner")                                   # my input kept
    db.session.refresh(booth)
    assert not booth.power and not booth.corner                                          # theirs stands
    newer = value_of(page, "booth-version")
    assert int(newer) == booth.version

    response = organizer_client.post(url(fair, f"/{booth.id}"), data={**mine, "booth-version": newer})
    assert response.status_code == 302                                                  # saved, deliberately
    db.session.refresh(booth)
    assert booth.corner and booth.power


def test_a_booth_is_moved_then_deleted(organizer_client, fair, organizer):
    _hall, zones, booths = make_plan(fair, actor=organizer)
    booth = booths[0]
    response = organizer_client.post(url(fair, f"/{booth.id}"), data=booth_form(
        "booth", zones[0], code="A-01", x=40, y=1, version=booth.version))
    assert response.status_code == 302
    db.session.refresh(booth)
    assert booth.x == 40
    response = organizer_client.post(url(fair, f"/{booth.id}/delete"), data={"delete-version": booth.version - 1})
    assert "刚被他人修改" in organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert booth_count() == 30
    organizer_client.post(url(fair, f"/{booth.id}/delete"), data={"delete-version": booth.version})
    assert booth_count() == 29


def test_a_row_is_copied_and_an_overlapping_copy_adds_nothing(organizer_client, fair, organizer):
    _hall, zones, booths = make_plan(fair, actor=organizer)
    row = [booth.id for booth in booths[:5]]                 # A-01 … A-05
    response = organizer_client.post(url(fair, "/copy"), data={
        "copy-booth_ids": row, "copy-dx": 0, "copy-dy": 6, "copy-prefix": "D"})     # onto A-06 … A-10
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "展位 D-01 与 A-06 重叠" in page
    assert page.count('name="copy-booth_ids"') == 30 and page.count("checked") >= 5       # the choice kept
    assert booth_count() == 30

    response = organizer_client.post(url(fair, "/copy"), data={
        "copy-booth_ids": row, "copy-dx": 30, "copy-dy": 0, "copy-prefix": "d"})
    assert response.status_code == 302
    copies = db.session.scalars(sa.select(Booth).where(Booth.code.like("D-%")).order_by(Booth.code)).all()
    assert [booth.code for booth in copies] == ["D-01", "D-02", "D-03", "D-04", "D-05"]
    assert all(copy.zone_id == zones[0].id and copy.x >= 31 for copy in copies)

    response = organizer_client.post(url(fair, "/copy"), data={"copy-dx": 0, "copy-dy": 6, "copy-prefix": "E"})
    assert response.status_code == 409 and "请先选择要复制的展位" in response.get_data(as_text=True)


def test_set_up_notes_are_saved(organizer_client, fair):
    response = organizer_client.post(url(fair, "/setup-notes"), data={"notes-notes": "  5 月 19 日 14:00 起进场布展。 "})
    assert response.status_code == 302
    db.session.refresh(fair)
    assert fair.setup_notes == "5 月 19 日 14:00 起进场布展。"
    assert "5 月 19 日 14:00 起进场布展。" in organizer_client.get(url(fair)).get_data(as_text=True)


def test_the_page_shows_zones_counts_and_an_empty_fair_invites_a_hall(organizer_client, fair, organizer):
    page = organizer_client.get(url(fair)).get_data(as_text=True)
    assert "还没有展馆" in page and 'action="/fairs/%s/booths/halls"' % fair.slug in page
    make_plan(fair, actor=organizer)
    page = organizer_client.get(url(fair)).get_data(as_text=True)
    assert page.count('class="booth booth--free"') == 30
    assert f"{fair.categories[0].name}展区" in page and "10 个展位，10 个空闲" in page
    assert re.search(r'data-count="1">30<', page) and re.search(r'data-count="3">30<', page)   # booths, powered


def test_only_organizers_use_the_editor(app, client, client_as, fair, organizer):
    hall, zones, booths = make_plan(fair, actor=organizer)
    exhibitor = client_as(Role.exhibitor)
    for path in ("", "/import", "/import/template.csv"):
        assert exhibitor.get(url(fair, path)).status_code == 403
        response = client.get(url(fair, path))
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert exhibitor.post(url(fair, "/new"), data=booth_form("new-booth", zones[0])).status_code == 403
    assert exhibitor.post(url(fair, f"/{booths[0].id}/delete"), data={}).status_code == 403
    assert client.post(url(fair, "/copy"), data={}).status_code == 302
    assert booth_count() == 30


def test_the_page_runs_the_same_statements_however_many_booths(organizer_client, fair, organizer):
    hall, zones, booths = make_plan(fair, actor=organizer, rows=1, per_row=2)           # 6 booths
    few = queries_for(organizer_client, url(fair))
    for dy in (3, 6, 9):
        services.copy_booths(fair, booths[:2], dx=30, dy=dy, prefix="DEFG"[dy // 3], actor=organizer)
    more = [services.BoothDetails(f"M-{n:02d}", hall.id, zones[0].id, 1 + 3 * (n % 19), 34 + 3 * (n // 19))
            for n in range(38)]
    services.create_booths(fair, more, actor=organizer)                                # 50 booths
    assert queries_for(organizer_client, url(fair)) == few
    assert queries_for(organizer_client, url(fair) + f"?booth={booths[0].id}") == few
    assert few <= 12
