"""A visitor registers on a phone and gets a ticket (page, PNG, PDF) whose QR code verifies with the fair's
key; bad input stays on the form with its error; the same phone gets its ticket back only with its name;
walk-ins at the gate; organizers revoke, re-issue, search and export; phones are masked except to them."""
import csv
import io

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.fairs.models import Phase
from fair.refusal import Refused
from fair.visitors import services, tickets
from fair.visitors.cli import visitors_command
from fair.visitors.models import FairKey, Ticket, TicketSource, VisitorKind
from tests.conftest import count_queries, queries_for
from tests.pdfs import flat, pdf_pages, qr_texts
from tests.visitor_factories import make_ticket, make_tickets, visiting_fair


@pytest.fixture
def open_for_visitors(fair):
    return visiting_fair(fair)


def register(client, fair, **overrides):
    data = {"name": "王小明", "phone": "138 1234 5678", "kind": "public", "group_size": "1"}
    data.update(overrides)
    return client.post(f"/fairs/{fair.slug}/register-visit", data=data)


def only_ticket() -> Ticket:
    return db.session.scalars(sa.select(Ticket)).one()


def test_a_visitor_registers_and_lands_on_the_ticket_page(client, open_for_visitors):
    fair = open_for_visitors
    assert "观众登记" in client.get(f"/fairs/{fair.slug}/register-visit").get_data(as_text=True)
    response = register(client, fair)
    ticket = only_ticket()
    assert response.status_code == 302 and response.location.endswith(f"/fairs/{fair.slug}/tickets/{ticket.code}")
    assert (ticket.name, ticket.phone, ticket.kind, ticket.source) == ("王小明", "13812345678", VisitorKind.public,
                                                                     TicketSource.online)
    assert (ticket.valid_from, ticket.valid_until) == (fair.starts_on, fair.ends_on)
    page = client.get(response.location).get_data(as_text=True)
    assert "王小明" in page and "138****5678" in page and "13812345678" not in page
    assert "<svg" in page and "ticket.png" in page and "ticket.pdf" in page
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "visitors.ticket.issued")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FairKey)) == 1


def test_a_group_registers_with_its_size(client, open_for_visitors):
    register(client, open_for_visitors, kind="group", group_size="45", name="李老师")
    assert (only_ticket().kind, only_ticket().group_size) == (VisitorKind.group, 45)


@pytest.mark.parametrize("overrides, field, message", [
    ({"name": ""}, "name", "此项为必填项。"),
    ({"name": "名" * 61}, "name", "不能超过 60 个字。"),
    ({"phone": ""}, "phone", "此项为必填项。"),
    ({"phone": "1381234567"}, "phone", "请填写 11 位手机号码"),
    ({"phone": "12812345678"}, "phone", "请填写 11 位手机号码"),
    ({"phone": "010-12345678"}, "phone", "请填写 11 位手机号码"),
    ({"group_size": "3"}, "group_size", "只有学校或团体可以填写多人"),
    ({"group_size": "abc", "kind": "group"}, "group_size", "不是有效的整数"),
    ({"group_size": "0", "kind": "group"}, "group_size", "人数须在 1–500 之间。"),
    ({"kind": "vip"}, "kind", "不是有效的选择"),
])
def test_bad_input_stays_on_the_form_with_the_error_next_to_its_field(client, open_for_visitors, overrides, field,
                                                                       message):
    response = register(client, open_for_visitors, **{"name": "张三", **overrides})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page and message in page.split(f'id="{field}-error"')[1][:200]
    if field != "name":
        assert 'value="张三"' in page                   # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_the_phone_is_accepted_with_a_country_prefix_and_spaces(client, open_for_visitors):
    register(client, open_for_visitors, phone="+86 139-0000-1111")
    assert only_ticket().phone == "13900001111"


def test_the_same_phone_and_name_get_the_first_ticket_back(client, open_for_visitors):
    first = register(client, open_for_visitors).location
    again = register(client, open_for_visitors, name=" 王小明 ")
    assert again.status_code == 302 and again.location == first
    assert "该手机号已登记过，这是您的入场码。" in client.get(again.location).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_two_registrations_of_one_phone_at_the_same_moment_make_one_ticket(open_for_visitors, monkeypatch):
    """The second registration checked before the first committed (simulated): the unique index turns its
    insert away and it gets the first ticket back, or the refusal under another name."""
    first = make_ticket(open_for_visitors, name="王小明", phone="13812345678")
    real = services._ticket_of_phone
    late = []                           # each registration's first look finds nothing, as in the race

    def racing(fair, phone):
        late.append(phone)
        return None if len(late) == 1 else real(fair, phone)

    monkeypatch.setattr(services, "_ticket_of_phone", racing)
    same, created = services.register_visitor(open_for_visitors, services.VisitorDetails(
        "王小明", "13812345678", VisitorKind.public, 1))
    assert same.id == first.id and not created
    late.clear()
    with pytest.raises(Refused) as refused:
        services.register_visitor(open_for_visitors, services.VisitorDetails("陌生人", "13812345678", VisitorKind.public, 1))
    assert refused.value.code == "duplicate_phone"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_the_same_phone_under_another_name_learns_nothing_about_the_ticket(client, open_for_visitors):
    register(client, open_for_visitors)
    response = register(client, open_for_visitors, name="陌生人")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "该手机号已登记过" in page
    assert only_ticket().code not in page and "王小明" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_a_revoked_ticket_frees_its_phone(client, open_for_visitors, organizer):
    register(client, open_for_visitors)
    services.revoke_ticket(only_ticket(), "登记错误", actor=organizer)
    assert register(client, open_for_visitors, name="王大明").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2


@pytest.mark.parametrize("phase", [Phase.draft, Phase.applications_open, Phase.screening, Phase.closed])
def test_registration_is_closed_outside_preparation_and_the_fair(client, fair, phase):
    fair = visiting_fair(fair, phase)
    page = client.get(f"/fairs/{fair.slug}/register-visit").get_data(as_text=True)
    assert "观众登记未开放" in page and "<form" not in page.split("<main")[1]
    assert register(client, fair).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_registration_is_open_while_the_fair_runs(client, fair):
    assert register(client, visiting_fair(fair, Phase.live)).status_code == 302


def test_an_unknown_fair_or_code_is_a_404(client, open_for_visitors):
    assert client.get("/fairs/nope/register-visit").status_code == 404
    assert client.get(f"/fairs/{open_for_visitors.slug}/tickets/AAAAAAAAAAAAAAAA").status_code == 404


def test_a_ticket_of_another_fair_is_not_found_under_this_one(client, open_for_visitors, organizer):
    from tests.factories import make_fair
    other = visiting_fair(make_fair(organizer))
    ticket = make_ticket(other)
    assert client.get(f"/fairs/{open_for_visitors.slug}/tickets/{ticket.code}").status_code == 404


def test_registration_is_rate_limited_per_phone(app, client, open_for_visitors):
    statuses = [register(client, open_for_visitors, name=f"猜名{n}").status_code for n in range(7)]
    assert statuses[0] == 302 and statuses[1:5] == [400] * 4 and statuses[-1] == 429


# --- the ticket as PNG and PDF ------------------------------------------------------------------------

def test_the_png_decodes_to_a_code_the_fair_s_key_verifies(client, open_for_visitors):
    ticket = make_ticket(open_for_visitors, name="赵敏")
    response = client.get(f"/fairs/{open_for_visitors.slug}/tickets/{ticket.code}/ticket.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    with Image.open(io.BytesIO(response.data)) as image:
        found = [result.text for result in zxingcpp.read_barcodes(image)]
    assert found == [services.qr_text(ticket)]
    payload = tickets.verify(found[0], services.public_keys(open_for_visitors))
    assert (payload.fair_id, payload.code, payload.kind) == (open_for_visitors.id, ticket.code, "public")


def test_the_pdf_has_the_chinese_text_and_a_qr_code_that_verifies(client, open_for_visitors):
    ticket = make_ticket(open_for_visitors, name="欧阳娜娜", kind=VisitorKind.group, group_size=12)
    response = client.get(f"/fairs/{open_for_visitors.slug}/tickets/{ticket.code}/ticket.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pdf_pages(response.data)
    assert len(pages) == 1
    text = flat(pages[0])
    assert "欧阳娜娜" in text and "入场码" in text and "学校或团体" in text and open_for_visitors.name in text
    assert ticket.phone not in text and services.mask_phone(ticket.phone) in text
    codes = qr_texts(response.data)
    assert codes == [services.qr_text(ticket)]
    assert tickets.verify(codes[0], services.public_keys(open_for_visitors)).people == 12


def test_the_ticket_page_shows_a_revoked_ticket_without_its_code(client, open_for_visitors, organizer):
    ticket = services.revoke_ticket(make_ticket(open_for_visitors), "重复登记", actor=organizer)
    page = client.get(f"/fairs/{open_for_visitors.slug}/tickets/{ticket.code}").get_data(as_text=True)
    assert "此入场码已作废" in page and "重复登记" in page and "<svg" not in page


# --- phones are masked except to organizers -----------------------------------------------------------

def test_organizers_see_the_full_phone_others_the_masked_one(client, client_as, open_for_visitors):
    ticket = make_ticket(open_for_visitors, phone="13611112222")
    url = f"/fairs/{open_for_visitors.slug}/tickets/{ticket.code}"
    for viewer in (client, client_as(Role.gate_staff), client_as(Role.exhibitor)):
        page = viewer.get(url).get_data(as_text=True)
        assert "136****2222" in page and "13611112222" not in page
    page = client_as(Role.organizer).get(url).get_data(as_text=True)
    assert "13611112222" in page and "组织方操作" in page


# --- at the gate --------------------------------------------------------------------------------------

def test_a_walk_in_needs_four_fields_and_gets_the_qr_big(client_as, open_for_visitors):
    staff = client_as(Role.gate_staff)
    page = staff.get(f"/fairs/{open_for_visitors.slug}/visitors/walk-in").get_data(as_text=True)
    form = page.split('class="walk-in-form"')[1].split("</form>")[0]
    fields = [name for name in ("name", "phone", "kind", "group_size", "csrf_token") if f'name="{name}"' in form]
    assert fields == ["name", "phone", "kind", "group_size"] and form.count("<input") + form.count("<select") == 4
    name_input = next(tag for tag in form.split("<") if 'id="name"' in tag and tag.startswith("input"))
    assert "autofocus" in name_input
    response = staff.post(f"/fairs/{open_for_visitors.slug}/visitors/walk-in",
                          data={"name": "路人甲", "phone": "13700001111", "kind": "public", "group_size": "1"})
    page = response.get_data(as_text=True)
    ticket = only_ticket()
    assert response.status_code == 200 and "<svg" in page and "137****1111" in page and "13700001111" not in page
    assert ticket.source is TicketSource.walk_in and ticket.issued_by_id is not None
    assert 'value="路人甲"' not in page                # an empty form for the next visitor


def test_the_walk_in_page_is_for_gate_staff_and_organizers(client, client_as, open_for_visitors):
    url = f"/fairs/{open_for_visitors.slug}/visitors/walk-in"
    assert client.get(url).status_code == 302
    assert client_as(Role.exhibitor).get(url).status_code == 403
    assert client_as(Role.organizer).get(url).status_code == 200


# --- organizers: list, revoke, re-issue, export -------------------------------------------------------

def test_the_list_shows_full_phones_counts_and_finds_by_name_or_phone(client_as, open_for_visitors):
    make_ticket(open_for_visitors, name="周杰", phone="13511112222")
    make_ticket(open_for_visitors, name="李团长", phone="13533334444", kind=VisitorKind.group, group_size=30)
    organizer = client_as(Role.organizer)
    base = f"/fairs/{open_for_visitors.slug}/visitors/tickets"
    page = organizer.get(base).get_data(as_text=True)
    assert "13511112222" in page and "13533334444" in page and "2 张 / 31 人" in page
    found = organizer.get(base + "?q=周杰").get_data(as_text=True)
    assert "周杰" in found and "李团长" not in found
    found = organizer.get(base + "?q=3333").get_data(as_text=True)
    assert "李团长" in found and "周杰" not in found.split("tickets-table")[1]
    found = organizer.get(base + "?kind=group&q=%25").get_data(as_text=True)
    assert "共 0 条" in found


def test_the_list_is_for_organizers_only(client, client_as, open_for_visitors):
    url = f"/fairs/{open_for_visitors.slug}/visitors/tickets"
    assert client.get(url).status_code == 302
    for role in (Role.gate_staff, Role.exhibitor, Role.judge):
        assert client_as(role).get(url).status_code == 403
    assert client_as(Role.gate_staff).get(url + "/export.csv").status_code == 403


def test_the_list_runs_the_same_statements_for_ten_tickets_and_for_a_page_full(client_as, open_for_visitors):
    organizer = client_as(Role.organizer)
    url = f"/fairs/{open_for_visitors.slug}/visitors/tickets"
    make_tickets(open_for_visitors, 10)
    few = queries_for(organizer, url)
    make_tickets(open_for_visitors, 300)
    assert queries_for(organizer, url) == few


def test_revoking_needs_a_reason_and_is_audited(client_as, open_for_visitors):
    ticket = make_ticket(open_for_visitors)
    organizer = client_as(Role.organizer)
    url = f"/fairs/{open_for_visitors.slug}/visitors/tickets/{ticket.code}/revoke"
    page = organizer.post(url, data={"reason": " "}, follow_redirects=True).get_data(as_text=True)
    assert "请填写作废原因。" in page and db.session.get(Ticket, ticket.id).revoked_at is None
    organizer.post(url, data={"reason": "证件遗失"})
    revoked = db.session.get(Ticket, ticket.id)
    assert revoked.revoked_at is not None and revoked.revoked_reason == "证件遗失"
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "visitors.ticket.revoked")) == 1
    page = organizer.post(url, data={"reason": "again"}, follow_redirects=True).get_data(as_text=True)
    assert "此入场码已作废。" in page


def test_reissuing_revokes_the_old_code_and_links_the_new_one(client_as, open_for_visitors):
    old = make_ticket(open_for_visitors, name="钱多多")
    old_text = services.qr_text(old)
    organizer = client_as(Role.organizer)
    response = organizer.post(f"/fairs/{open_for_visitors.slug}/visitors/tickets/{old.code}/reissue")
    new = db.session.scalar(sa.select(Ticket).where(Ticket.replaces_id == old.id))
    assert response.status_code == 302 and response.location.endswith(new.code)
    assert db.session.get(Ticket, old.id).revoked_at is not None and new.revoked_at is None
    assert (new.name, new.phone, new.source) == ("钱多多", old.phone, TicketSource.reissued)
    assert services.qr_text(new) != old_text
    again = organizer.post(f"/fairs/{open_for_visitors.slug}/visitors/tickets/{old.code}/reissue",
                           follow_redirects=True).get_data(as_text=True)
    assert "已重新签发过" in again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2


def test_the_export_has_every_ticket_with_a_verifiable_qr_content(client_as, open_for_visitors, organizer):
    make_ticket(open_for_visitors, name="=HYPERLINK(1)")
    services.revoke_ticket(make_ticket(open_for_visitors), "重复", actor=organizer)
    response = client_as(Role.organizer).get(f"/fairs/{open_for_visitors.slug}/visitors/tickets/export.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == services.EXPORT_HEADER and len(rows) == 3
    keys = services.public_keys(open_for_visitors)
    codes = {row[0] for row in rows[1:]}
    assert {tickets.verify(row[-1], keys).code for row in rows[1:]} == codes
    assert rows[1][1] == "'=HYPERLINK(1)" and rows[2][9] == "revoked"
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "visitors.tickets.exported")) == 1


def test_the_cli_writes_the_same_export(app, open_for_visitors, tmp_path):
    make_tickets(open_for_visitors, 3)
    out = tmp_path / "tickets.csv"
    result = app.test_cli_runner().invoke(visitors_command, ["export-tickets", "--fair", open_for_visitors.slug,
                                                             "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 3 tickets" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert len(rows) == 4 and all(row[-1].startswith("FT1:") for row in rows[1:])
    failed = app.test_cli_runner().invoke(visitors_command, ["export-tickets", "--fair", "nope", "--out", str(out)])
    assert failed.exit_code != 0 and "No fair" in failed.output


def test_the_key_is_sealed_under_the_secret_key(app, open_for_visitors):
    make_ticket(open_for_visitors)
    key = db.session.get(FairKey, open_for_visitors.id)
    assert len(key.public_key) == 32 and len(key.private_key_sealed) == 12 + 32 + 16
    key_id, private = services.signing_key(open_for_visitors)
    assert private.public_key().public_bytes_raw() == key.public_key
    app.config["SECRET_KEY"], kept = "another-secret", app.config["SECRET_KEY"]
    try:
        with pytest.raises(RuntimeError, match="SECRET_KEY changed"):
            services.signing_key(open_for_visitors)
    finally:
        app.config["SECRET_KEY"] = kept
    assert services.public_key_for(open_for_visitors)["algorithm"] == "Ed25519"


def test_bulk_issue_is_one_audited_event(open_for_visitors, organizer):
    with count_queries() as statements:
        codes = make_tickets(open_for_visitors, 1200, actor=organizer)
    assert len(set(codes)) == 1200 and len(statements) < 20
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "visitors.tickets.issued")).all()
    assert len(events) == 1 and events[0].after["count"] == 1200
