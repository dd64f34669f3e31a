"""Agreements through the services and the web client: drafting in yuan (exact fen), bad input kept in the
form with the message by its field and nothing saved, editing while draft, the two signatures on the exact
text, every refusal of the issue (not a representative, twice, out of turn, changed text, cancelled or
superseded), amendments that supersede and carry the payments, cancellation with a reason, who sees what,
the lists' bounded queries, the signing-ceremony list and the public verification page."""
import re
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_login import login_user

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from fair.refusal import Refused
from sponsorship import agreement_text, agreements
from sponsorship.models import Agreement, AgreementStatus, Payment, Side, Signature
from tests.conftest import log_in, queries_for
from tests.factories import make_application, make_fair, make_member, make_user
from tests.sponsor_factories import make_agreement, make_project, make_sponsor

TERMS = "支持方资助项目运营，项目方每季度报告进展。\n资金分两期拨付。"


def make_representative(sponsor, **overrides):
    """As tests.sponsor_factories' (which passes organisation_id, a keyword create_user does not take)."""
    return make_member(sponsor.fair, Role.sponsor, organisation=sponsor.organisation, **overrides)


def make_project_representative(application, **overrides):
    return make_member(application.fair, Role.exhibitor, organisation=application.organisation, **overrides)


@pytest.fixture
def parties(fair):
    """A sponsor and its representative, an exhibited project and its representative."""
    sponsor = make_sponsor(fair)
    project = make_project(fair, title="银龄食堂社区助餐")
    return SimpleNamespace(fair=fair, sponsor=sponsor, project=project,
                           sponsor_rep=make_representative(sponsor, name="王支持"),
                           exhibitor_rep=make_project_representative(project, name="李项目"))


def details(**overrides) -> agreements.AgreementDetails:
    values = {"amount_fen": 12_000_000, "support_kinds": ("funds",), "period_start": date(2027, 6, 1),
              "period_end": date(2028, 5, 31), "terms": TERMS}
    values.update(overrides)
    return agreements.AgreementDetails(**values)


def draft(parties, actor=None, **overrides) -> Agreement:
    return agreements.draft_agreement(parties.fair, parties.sponsor, parties.project, details(**overrides),
                                      actor=actor or parties.sponsor_rep)


def signed(parties, **overrides) -> Agreement:
    agreement = draft(parties, **overrides)
    agreements.sign(agreement, parties.sponsor_rep, agreements.text_sha256(agreement))
    agreements.countersign(agreement, parties.exhibitor_rep, agreements.text_sha256(agreement))
    return agreement


def form(**overrides) -> dict:
    values = {"amount": "120,000.50", "support_kinds": ["funds", "goods"], "in_kind_value": "3000",
              "in_kind_description": "助餐设备一套", "period_start": "2027-06-01", "period_end": "2028-05-31",
              "terms": TERMS}
    values.update(overrides)
    return values


def base(fair) -> str:
    return f"/fairs/{fair.slug}/sponsorship/agreements"


def client_of(app, user):
    return log_in(app.test_client(), user)


def refused(call, code: str) -> Refused:
    with pytest.raises(Refused) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    return caught.value


def field_errors(page: str, field: str) -> list[str]:
    """The messages the form macro shows under `field`."""
    return re.findall(rf'id="{field}-error">([^<]*)<', page)


def rows() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Agreement.id)))


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


# --- drafting ---------------------------------------------------------------------------------------------

def test_a_sponsor_representative_drafts_in_yuan_and_the_amounts_are_stored_in_exact_fen(app, parties):
    client = client_of(app, parties.sponsor_rep)
    page = client.get(f"{base(parties.fair)}/new?application={parties.project.id}").get_data(as_text=True)
    assert "银龄食堂社区助餐" in page and parties.sponsor.organisation.name in page
    response = client.post(f"{base(parties.fair)}/new?application={parties.project.id}",
                           data=form(sponsor_id=parties.sponsor.id, application_id=parties.project.id,
                                     amount="120,000.29"))
    assert response.status_code == 302, response.get_data(as_text=True)
    agreement = db.session.scalar(sa.select(Agreement))
    assert (agreement.number, agreement.revision, agreement.status) == ("XY-0001", 1, AgreementStatus.draft)
    assert (agreement.amount_fen, agreement.in_kind_value_fen) == (12_000_029, 300_000)
    assert agreement.support_kinds == ["funds", "goods"] and agreement.drafted_by_side is Side.sponsor
    assert agreement.terms == TERMS                  # the browser's \r\n would have been normalised
    [event] = events(agreements.DRAFTED)
    assert event.after["amount_fen"] == 12_000_029 and event.actor_id == parties.sponsor_rep.id
    detail = client.get(response.location).get_data(as_text=True)
    assert "人民币 120,000.29 元" in detail and "助餐设备一套" in detail and agreements.text_sha256(agreement) in detail


def test_an_exhibitor_drafts_choosing_the_sponsor_and_numbers_follow_on(app, parties):
    client = client_of(app, parties.exhibitor_rep)
    page = client.get(f"{base(parties.fair)}/new?sponsor={parties.sponsor.id}").get_data(as_text=True)
    assert parties.sponsor.organisation.name in page
    for _ in range(2):
        response = client.post(f"{base(parties.fair)}/new", data=form(sponsor_id=parties.sponsor.id,
                                                                       application_id=parties.project.id))
        assert response.status_code == 302
    made = db.session.scalars(sa.select(Agreement).order_by(Agreement.id)).all()
    assert [a.number for a in made] == ["XY-0001", "XY-0002"]
    assert {a.drafted_by_side for a in made} == {Side.exhibitor}


def test_numbers_continue_after_the_highest_even_past_four_digits(parties):
    make_agreement(parties.sponsor, parties.project, number="XY-9999")
    make_agreement(parties.sponsor, parties.project, number="XY-0042")
    assert draft(parties).number == "XY-10000"
    assert draft(parties).number == "XY-10001"


@pytest.mark.parametrize("typed, fen", [("120000", 12_000_000), ("1,234.5", 123_450), ("￥3000", 300_000),
                                        ("¥ 0.29", 29), ("１２３", 12_300), ("", 0), ("100000000", 10_000_000_000),
                                        ("3500.50元", 350_050)])
def test_yuan_are_read_exactly(typed, fen):
    assert agreements.parse_yuan(typed, "amount") == fen


@pytest.mark.parametrize("typed, code", [("-5", "negative"), ("12.345", "too_precise"), ("abc", "not_a_number"),
                                         ("1e5", "not_a_number"), ("NaN", "not_a_number"), ("Infinity", "not_a_number"),
                                         ("100000000.01", "too_large"), ("9" * 40, "too_large"),
                                         ("1.2.3", "not_a_number")])
def test_bad_amounts_are_refused_by_their_field(typed, code):
    refusal = refused(lambda: agreements.parse_yuan(typed, "in_kind_value"), code)
    assert refusal.field == "in_kind_value"


@pytest.mark.parametrize("changes, field, message", [
    ({"amount": "-100"}, "amount", "金额不能为负数"),
    ({"amount": "0", "in_kind_value": "0", "support_kinds": ["funds"]}, "amount", "合计须大于零"),
    ({"amount": "", "in_kind_value": "", "support_kinds": ["goods"]}, "amount", "合计须大于零"),
    ({"amount": "100000001"}, "amount", "不能超过 ¥100,000,000"),
    ({"amount": "60000000", "in_kind_value": "50000000"}, "amount", "支持总值不能超过"),
    ({"amount": "12.345"}, "amount", "两位小数"),
    ({"amount": "十万"}, "amount", "请填写数字金额"),
    ({"in_kind_value": "-1"}, "in_kind_value", "金额不能为负数"),
    ({"in_kind_description": ""}, "in_kind_description", "请说明实物或服务的内容"),
    ({"support_kinds": []}, "support_kinds", "请选择支持方式"),
    ({"support_kinds": ["goods"]}, "support_kinds", "须包含“资金”"),
    ({"period_end": "2027-05-31"}, "period_end", "结束日期不能早于开始日期"),
    ({"period_end": "2040-01-01"}, "period_end", "不能超过十年"),
    ({"period_start": "not a date"}, "period_start", "请填写有效的日期"),
    ({"terms": "  "}, "terms", "此项为必填项"),
])
def test_bad_input_is_shown_by_its_field_the_form_keeps_it_and_nothing_is_saved(app, parties, changes, field, message):
    client = client_of(app, parties.sponsor_rep)
    data = form(sponsor_id=parties.sponsor.id, application_id=parties.project.id, **changes)
    response = client.post(f"{base(parties.fair)}/new?application={parties.project.id}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert any(message in error for error in field_errors(page, field)), field_errors(page, field)
    for kept in ("amount", "in_kind_value"):
        if data[kept]:
            assert f'value="{data[kept]}"' in page
    assert "助餐设备一套" in page or not data["in_kind_description"]
    assert rows() == 0


def test_drafting_is_refused_for_an_unexhibited_project_one_s_own_and_non_representatives(parties, organizer):
    fair = parties.fair
    waiting = make_application(fair)                          # submitted, not shortlisted
    refused(lambda: agreements.draft_agreement(fair, parties.sponsor, waiting, details(), actor=parties.sponsor_rep),
            "not_exhibited")
    own = make_project(fair, organisation=parties.sponsor.organisation)
    refused(lambda: agreements.draft_agreement(fair, parties.sponsor, own, details(), actor=parties.sponsor_rep),
            "same_organisation")
    for outsider in (organizer, make_member(fair, Role.exhibitor), make_representative(make_sponsor(fair))):
        refused(lambda: draft(parties, actor=outsider), "not_representative")
    other_fair = make_fair(organizer)
    refused(lambda: agreements.draft_agreement(other_fair, parties.sponsor, parties.project, details(),
                                               actor=parties.sponsor_rep), "wrong_fair")
    assert rows() == 0


def test_someone_who_represents_neither_side_cannot_open_the_drafting_form(app, parties):
    judge = client_of(app, make_member(parties.fair, Role.judge))
    assert judge.get(f"{base(parties.fair)}/new").status_code == 403
    organizer_only = client_of(app, make_member(parties.fair, Role.organizer))
    assert organizer_only.get(f"{base(parties.fair)}/new").status_code == 403


# --- editing ----------------------------------------------------------------------------------------------

def test_either_side_edits_a_draft_as_the_page_showed_it(app, parties):
    agreement = draft(parties)
    client = client_of(app, parties.exhibitor_rep)
    url = f"{base(parties.fair)}/{agreement.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="120000"' in page
    stale = agreement.version
    response = client.post(url, data=form(version=stale, amount="150000", support_kinds=["funds"], in_kind_value="0"))
    assert response.status_code == 302
    db.session.refresh(agreement)
    assert agreement.amount_fen == 15_000_000 and agreement.version == stale + 1
    [edited] = events(agreements.EDITED)
    assert (edited.before["amount_fen"], edited.after["amount_fen"]) == (12_000_000, 15_000_000)
    again = client_of(app, parties.sponsor_rep).post(url, data=form(version=stale, amount="90000"))
    assert again.status_code == 400 and "刚被他人修改或签署" in again.get_data(as_text=True)
    db.session.refresh(agreement)
    assert agreement.amount_fen == 15_000_000


def test_after_the_sponsor_signed_the_text_is_read_only(app, parties):
    agreement = draft(parties)
    agreements.sign(agreement, parties.sponsor_rep, agreements.text_sha256(agreement))
    refused(lambda: agreements.update_draft(agreement, details(amount_fen=1), actor=parties.exhibitor_rep,
                                            version=agreement.version), "not_editable")
    client = client_of(app, parties.exhibitor_rep)
    response = client.get(f"{base(parties.fair)}/{agreement.id}/edit")
    assert response.status_code == 302
    assert "协议文本不能再修改" in client.get(response.location).get_data(as_text=True)
    posted = client.post(f"{base(parties.fair)}/{agreement.id}/edit", data=form(version=agreement.version))
    assert posted.status_code == 302
    db.session.refresh(agreement)
    assert agreement.amount_fen == 12_000_000


# --- signing ----------------------------------------------------------------------------------------------

def test_the_sponsor_signs_then_the_exhibitor_countersigns_the_exact_text_shown(app, parties):
    agreement = draft(parties)
    sponsor = client_of(app, parties.sponsor_rep)
    page = sponsor.get(f"{base(parties.fair)}/{agreement.id}/sign").get_data(as_text=True)
    digest = agreements.text_sha256(agreement)
    assert digest in page and "第一步：支持方签署" in page and "资金支持：人民币 120,000.00 元" in page
    response = sponsor.post(f"{base(parties.fair)}/{agreement.id}/sign", data={"text_sha256": digest, "confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(agreement)
    assert agreement.status is AgreementStatus.sponsor_signed and agreement.signed_at is None
    [first] = agreement.signatures
    assert (first.side, first.user_id, first.signer_name, first.text_sha256, first.address) == (
        Side.sponsor, parties.sponsor_rep.id, "王支持", digest, "127.0.0.1")

    exhibitor = client_of(app, parties.exhibitor_rep)
    assert "第二步：参展单位会签" in exhibitor.get(f"{base(parties.fair)}/{agreement.id}/countersign").get_data(as_text=True)
    response = exhibitor.post(f"{base(parties.fair)}/{agreement.id}/countersign",
                              data={"text_sha256": digest, "confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(agreement)
    assert agreement.status is AgreementStatus.signed and agreement.signed_at is not None
    second = next(s for s in agreement.signatures if s.side is Side.exhibitor)
    assert (second.user_id, second.signer_name, second.text_sha256) == (parties.exhibitor_rep.id, "李项目", digest)
    assert agreement.signed_at == second.signed_at
    confirmed = events(agreements.SIGNED) + events(agreements.COUNTERSIGNED)
    assert [event.after["text_sha256"] for event in confirmed] == [digest] * 2
    detail = exhibitor.get(response.location).get_data(as_text=True)
    assert "已签约" in detail and "王支持" in detail and "李项目" in detail


def test_the_confirmation_box_must_be_ticked(app, parties):
    agreement = draft(parties)
    response = client_of(app, parties.sponsor_rep).post(f"{base(parties.fair)}/{agreement.id}/sign",
                                                        data={"text_sha256": agreements.text_sha256(agreement)})
    assert response.status_code == 400 and "请先勾选确认" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Signature.id))) == 0


def test_signing_by_someone_who_does_not_represent_the_party_is_refused(app, parties, organizer):
    agreement = draft(parties)
    digest = agreements.text_sha256(agreement)
    other_sponsor_rep = make_representative(make_sponsor(parties.fair))
    for outsider in (organizer, parties.exhibitor_rep, other_sponsor_rep):
        refused(lambda: agreements.sign(agreement, outsider, digest), "not_representative")
        client = client_of(app, outsider)
        if outsider is parties.exhibitor_rep:
            response = client.post(f"{base(parties.fair)}/{agreement.id}/sign",
                                   data={"text_sha256": digest, "confirm": "y"})
            assert response.status_code == 403 and "只有支持方" in response.get_data(as_text=True)
        else:
            assert client.get(f"{base(parties.fair)}/{agreement.id}/sign").status_code == 403
    agreements.sign(agreement, parties.sponsor_rep, digest)
    for outsider in (organizer, parties.sponsor_rep, make_member(parties.fair, Role.exhibitor)):
        refused(lambda: agreements.countersign(agreement, outsider, digest), "not_representative")
    response = client_of(app, organizer).post(f"{base(parties.fair)}/{agreement.id}/countersign",
                                              data={"text_sha256": digest, "confirm": "y"})
    assert response.status_code == 403 and "只有参展单位" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Signature.id))) == 1


def test_signing_twice_and_countersigning_out_of_turn_are_refused(app, parties):
    agreement = draft(parties)
    digest = agreements.text_sha256(agreement)
    refused(lambda: agreements.countersign(agreement, parties.exhibitor_rep, digest), "not_sponsor_signed")
    agreements.sign(agreement, parties.sponsor_rep, digest)
    refused(lambda: agreements.sign(agreement, parties.sponsor_rep, digest), "already_signed")
    second_rep = make_representative(parties.sponsor)
    response = client_of(app, second_rep).post(f"{base(parties.fair)}/{agreement.id}/sign",
                                               data={"text_sha256": digest, "confirm": "y"})
    assert response.status_code == 409 and "不能重复签署" in response.get_data(as_text=True)
    agreements.countersign(agreement, parties.exhibitor_rep, digest)
    refused(lambda: agreements.countersign(agreement, parties.exhibitor_rep, digest), "already_signed")
    assert len(db.session.scalars(sa.select(Signature)).all()) == 2


def test_a_text_changed_after_the_page_was_shown_is_not_signed(app, parties):
    agreement = draft(parties)
    sponsor = client_of(app, parties.sponsor_rep)
    shown = agreements.text_sha256(agreement)
    assert shown in sponsor.get(f"{base(parties.fair)}/{agreement.id}/sign").get_data(as_text=True)
    agreements.update_draft(agreement, details(amount_fen=1_000_000), actor=parties.exhibitor_rep,
                            version=agreement.version)
    response = sponsor.post(f"{base(parties.fair)}/{agreement.id}/sign", data={"text_sha256": shown, "confirm": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "协议文本已变更" in page
    assert "人民币 10,000.00 元" in page and agreements.text_sha256(agreement) in page     # the new text, to re-read
    db.session.refresh(agreement)
    assert agreement.status is AgreementStatus.draft and not agreement.signatures


def test_the_signed_text_stays_as_signed_when_a_name_changes_later(parties):
    agreement = draft(parties)
    title = parties.project.title
    agreements.sign(agreement, parties.sponsor_rep, agreements.text_sha256(agreement))
    parties.project.title = "银龄食堂社区助餐（扩大版）"           # renamed after the sponsor signed
    db.session.commit()
    assert title in agreements.text_of(agreement) and "扩大版" not in agreements.text_of(agreement)
    agreements.countersign(agreement, parties.exhibitor_rep, agreements.text_sha256(agreement))
    assert agreement.status is AgreementStatus.signed
    assert {signature.text_sha256 for signature in agreement.signatures} == {agreements.text_sha256(agreement)}


def test_countersigning_a_text_altered_since_the_sponsor_signed_is_refused(parties):
    agreement = draft(parties)
    agreements.sign(agreement, parties.sponsor_rep, agreements.text_sha256(agreement))
    agreement.signed_text += "\n四、附加条款。"                     # altered behind the services' back
    db.session.commit()
    refusal = refused(lambda: agreements.countersign(agreement, parties.exhibitor_rep,
                                                     agreements.text_sha256(agreement)), "text_changed")
    assert "支持方签署的文本不一致" in refusal.message
    assert agreement.status is AgreementStatus.sponsor_signed


def test_a_cancelled_or_superseded_agreement_cannot_be_signed(parties, organizer):
    cancelled = draft(parties)
    agreements.sign(cancelled, parties.sponsor_rep, agreements.text_sha256(cancelled))
    agreements.cancel(cancelled, actor=parties.exhibitor_rep, reason="预算调整")
    refused(lambda: agreements.countersign(cancelled, parties.exhibitor_rep, agreements.text_sha256(cancelled)),
            "cancelled")
    old = signed(parties)
    new = agreements.amend(old, actor=parties.sponsor_rep)
    agreements.sign(new, parties.sponsor_rep, agreements.text_sha256(new))
    agreements.countersign(new, parties.exhibitor_rep, agreements.text_sha256(new))
    refused(lambda: agreements.sign(old, parties.sponsor_rep, agreements.text_sha256(old)), "superseded")


# --- amendments -------------------------------------------------------------------------------------------

def test_an_amendment_is_a_new_version_that_supersedes_on_countersignature_and_takes_the_payments(app, parties):
    old = signed(parties)
    db.session.add(Payment(agreement_id=old.id, amount_fen=5_000_000, paid_on=date(2027, 6, 10), reference="转账 001"))
    db.session.commit()
    client = client_of(app, parties.exhibitor_rep)
    response = client.post(f"{base(parties.fair)}/{old.id}/amend")
    assert response.status_code == 302 and response.location.endswith("/edit")
    new = db.session.scalar(sa.select(Agreement).where(Agreement.revision == 2))
    assert (new.number, new.amends_id, new.status, new.amount_fen, new.terms) == (
        old.number, old.id, AgreementStatus.draft, old.amount_fen, old.terms)
    assert new.verification_code != old.verification_code
    refused(lambda: agreements.amend(old, actor=parties.sponsor_rep), "amendment_open")
    agreements.update_draft(new, details(amount_fen=15_000_000), actor=parties.sponsor_rep, version=new.version)
    assert "四、修订说明" in agreements.text_of(new) and "第 1 版" in agreements.text_of(new)
    agreements.sign(new, parties.sponsor_rep, agreements.text_sha256(new))
    db.session.refresh(old)
    assert old.status is AgreementStatus.signed                    # in force until the countersignature
    agreements.countersign(new, parties.exhibitor_rep, agreements.text_sha256(new))
    db.session.rollback()
    assert (old.status, new.status) == (AgreementStatus.superseded, AgreementStatus.signed)
    assert [p.agreement_id for p in db.session.scalars(sa.select(Payment))] == [new.id]
    [superseded] = events(agreements.SUPERSEDED)
    assert superseded.after["superseded_by"] == new.id and len(superseded.after["payments_moved"]) == 1
    signed_total = db.session.scalar(sa.select(sa.func.sum(Agreement.amount_fen))
                                     .where(Agreement.status == AgreementStatus.signed))
    assert signed_total == 15_000_000
    third = agreements.amend(new, actor=parties.sponsor_rep)
    page = client.get(f"{base(parties.fair)}/{old.id}").get_data(as_text=True)
    assert "此版本已被第 2 版取代" in page
    page = client.get(f"{base(parties.fair)}/{new.id}").get_data(as_text=True)
    assert f"第 {third.revision} 版修订正在签署中" in page and "发起修订（新版本）" not in page


def test_only_a_signed_agreement_can_be_amended(parties):
    agreement = draft(parties)
    refused(lambda: agreements.amend(agreement, actor=parties.sponsor_rep), "not_signed")
    refused(lambda: agreements.amend(signed(parties), actor=make_member(parties.fair, Role.exhibitor)),
            "not_representative")


# --- cancellation -----------------------------------------------------------------------------------------

def test_a_party_cancels_a_draft_with_a_reason_which_is_required(app, parties):
    agreement = draft(parties)
    client = client_of(app, parties.exhibitor_rep)
    url = f"{base(parties.fair)}/{agreement.id}/cancel"
    response = client.post(url, data={"reason": "  ", "version": agreement.version})
    assert response.status_code == 400 and 'id="reason-error"' in response.get_data(as_text=True)
    db.session.refresh(agreement)
    assert agreement.status is AgreementStatus.draft and not events(agreements.CANCELLED)
    assert client.post(url, data={"reason": "项目方向调整", "version": agreement.version}).status_code == 302
    db.session.refresh(agreement)
    assert (agreement.status, agreement.cancel_reason, agreement.cancelled_by_id) == (
        AgreementStatus.cancelled, "项目方向调整", parties.exhibitor_rep.id)
    assert events(agreements.CANCELLED)[0].after == {"status": "cancelled", "reason": "项目方向调整"}
    refused(lambda: agreements.cancel(agreement, actor=parties.sponsor_rep, reason="再次"), "closed")


def test_organizers_cancel_a_signed_agreement_parties_cannot(app, parties, organizer):
    agreement = signed(parties)
    amendment = agreements.amend(agreement, actor=parties.sponsor_rep)
    refused(lambda: agreements.cancel(agreement, actor=parties.sponsor_rep, reason="不想要了"), "signed_needs_organizer")
    assert client_of(app, parties.sponsor_rep).get(f"{base(parties.fair)}/{agreement.id}/cancel").status_code == 302
    refused(lambda: agreements.cancel(agreement, actor=make_member(parties.fair, Role.judge), reason="x"),
            "not_representative")
    response = client_of(app, organizer).post(f"{base(parties.fair)}/{agreement.id}/cancel",
                                              data={"reason": "支持方撤回资助承诺", "version": agreement.version})
    assert response.status_code == 302
    db.session.rollback()
    assert agreement.status is AgreementStatus.cancelled and amendment.status is AgreementStatus.cancelled
    assert len(events(agreements.CANCELLED)) == 2
    in_force = sa.select(sa.func.count(Agreement.id)).where(Agreement.status == AgreementStatus.signed)
    assert db.session.scalar(in_force) == 0


# --- who sees what ----------------------------------------------------------------------------------------

def test_only_the_parties_and_organizers_see_an_agreement_and_another_fair_s_id_is_not_found(app, parties, organizer):
    agreement = draft(parties)
    url = f"{base(parties.fair)}/{agreement.id}"
    for user in (parties.sponsor_rep, parties.exhibitor_rep, organizer):
        assert client_of(app, user).get(url).status_code == 200
    outsider = client_of(app, make_representative(make_sponsor(parties.fair)))
    assert outsider.get(url).status_code == 403
    assert outsider.get(f"{url}/agreement.pdf").status_code == 403
    other = make_fair(organizer)
    assert client_of(app, organizer).get(f"{base(other)}/{agreement.id}").status_code == 404


def test_each_sees_their_own_list_and_organizers_all_with_a_status_filter(app, parties, organizer):
    mine = draft(parties)
    theirs_sponsor = make_sponsor(parties.fair)
    theirs = make_agreement(theirs_sponsor, make_project(parties.fair, title="河道守护志愿巡河"))
    sponsor_page = client_of(app, parties.sponsor_rep).get(base(parties.fair)).get_data(as_text=True)
    exhibitor_page = client_of(app, parties.exhibitor_rep).get(base(parties.fair)).get_data(as_text=True)
    for page in (sponsor_page, exhibitor_page):
        assert mine.number in page and theirs.number not in page
    everything = client_of(app, organizer)
    page = everything.get(base(parties.fair)).get_data(as_text=True)
    assert mine.number in page and theirs.number in page
    only_signed = everything.get(f"{base(parties.fair)}?status=signed").get_data(as_text=True)
    assert theirs.number in only_signed and mine.number not in only_signed


def test_the_lists_run_a_fixed_number_of_queries_whatever_their_length(app, parties, organizer):
    organizer_client, sponsor_client = client_of(app, organizer), client_of(app, parties.sponsor_rep)
    exhibitor_client = client_of(app, parties.exhibitor_rep)
    draft(parties)
    few = [queries_for(client, base(parties.fair)) for client in (organizer_client, sponsor_client, exhibitor_client)]
    few.append(queries_for(organizer_client, f"/fairs/{parties.fair.slug}/sponsorship/signing-ceremony"))
    for number in range(12):
        project = make_project(parties.fair)
        sponsor = make_sponsor(parties.fair) if number % 2 else parties.sponsor
        make_agreement(sponsor, project, number=f"EXT-{number}", status=[AgreementStatus.draft, AgreementStatus.signed,
                                                 AgreementStatus.sponsor_signed][number % 3])
        draft(parties, amount_fen=100_000 + number)
    many = [queries_for(client, base(parties.fair)) for client in (organizer_client, sponsor_client, exhibitor_client)]
    many.append(queries_for(organizer_client, f"/fairs/{parties.fair.slug}/sponsorship/signing-ceremony"))
    assert many == few


# --- the signing ceremony ---------------------------------------------------------------------------------

def test_the_signing_ceremony_lists_those_ready_then_those_signed_today(app, parties, organizer):
    ready_draft = draft(parties, amount_fen=10_000_000)
    awaiting = draft(parties, amount_fen=20_000_000)
    agreements.sign(awaiting, parties.sponsor_rep, agreements.text_sha256(awaiting))
    today = signed(parties, amount_fen=30_000_000)
    yesterday = make_agreement(parties.sponsor, parties.project, amount_fen=40_000_000)
    yesterday.signed_at = datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()
    client = client_of(app, organizer)
    page = client.get(f"/fairs/{parties.fair.slug}/sponsorship/signing-ceremony").get_data(as_text=True)
    ready_part, signed_part = page.split('id="signed-today"')
    assert ready_part.index(awaiting.number) < ready_part.index(ready_draft.number)   # to countersign first
    assert today.number in signed_part and yesterday.number not in page
    assert "¥300,000" in signed_part and "银龄食堂社区助餐" in page and parties.sponsor.organisation.name in page
    assert "css/agreements.css" in page and "@media print" in app.test_client().get(
        "/static/css/agreements.css").get_data(as_text=True)
    assert client_of(app, parties.sponsor_rep).get(
        f"/fairs/{parties.fair.slug}/sponsorship/signing-ceremony").status_code == 403


# --- public verification ----------------------------------------------------------------------------------

def test_the_verification_page_shows_what_the_paper_should_say_without_contact_data(app, client, parties):
    agreement = signed(parties)
    parties.sponsor.contact_phone = "13912345678"
    db.session.commit()
    response = client.get(f"{base(parties.fair)}/verify/{agreement.verification_code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已签约生效" in page
    for text in (agreement.number, parties.sponsor.organisation.name, parties.project.organisation.name,
                 "银龄食堂社区助餐", "¥120,000", agreements.text_sha256(agreement), "与签署时的文本一致"):
        assert text in page
    for private in ("13912345678", "王支持", "李项目", "127.0.0.1"):
        assert private not in page


def test_the_verification_page_says_when_a_version_was_superseded_or_cancelled(client, parties, organizer):
    old = signed(parties)
    new = agreements.amend(old, actor=parties.sponsor_rep)
    agreements.sign(new, parties.sponsor_rep, agreements.text_sha256(new))
    agreements.countersign(new, parties.exhibitor_rep, agreements.text_sha256(new))
    page = client.get(f"{base(parties.fair)}/verify/{old.verification_code}").get_data(as_text=True)
    assert "已被修订版本取代" in page and "第 2 版" in page
    agreements.cancel(new, actor=organizer, reason="双方协商解除")
    page = client.get(f"{base(parties.fair)}/verify/{new.verification_code}").get_data(as_text=True)
    assert "此协议已取消" in page and "双方协商解除" not in page


def test_an_unknown_code_or_another_fair_s_is_not_found(client, parties, organizer):
    agreement = signed(parties)
    other = make_fair(organizer)
    for url in (f"{base(parties.fair)}/verify/{agreement.verification_code[:-1]}x",
                f"{base(parties.fair)}/verify/{agreement.id}",
                f"{base(other)}/verify/{agreement.verification_code}",
                f"/fairs/nope/sponsorship/agreements/verify/{agreement.verification_code}"):
        response = client.get(url)
        assert response.status_code == 404 and "未找到这份协议" in response.get_data(as_text=True)


# --- the catalog's project page panel ----------------------------------------------------------------------

def panel_for(app, user, parties, sponsor=None) -> str:
    with app.test_request_context():
        login_user(user)
        return render_template("sponsorship/_agreement_action.html", fair=parties.fair, application=parties.project,
                               sponsor=sponsor)


def test_the_project_page_panel_offers_drafting_to_a_sponsor_and_shows_each_side_its_agreements(app, parties):
    other = make_sponsor(parties.fair)
    theirs = make_agreement(other, parties.project, status=AgreementStatus.draft)
    page = panel_for(app, parties.sponsor_rep, parties, parties.sponsor)
    assert "起草支持协议" in page and f"application={parties.project.id}" in page and theirs.number not in page
    mine = draft(parties)
    page = panel_for(app, parties.sponsor_rep, parties, parties.sponsor)
    assert mine.number in page and theirs.number not in page
    page = panel_for(app, parties.exhibitor_rep, parties)
    assert mine.number in page and theirs.number in page
    assert "支持协议" not in panel_for(app, make_user(), parties)


def test_the_navigation_offers_agreements_to_the_parties_and_the_ceremony_to_organizers(app, parties, organizer):
    sponsor_page = client_of(app, parties.sponsor_rep).get(base(parties.fair)).get_data(as_text=True)
    assert "支持协议" in sponsor_page and "签约仪式" not in sponsor_page
    organizer_page = client_of(app, organizer).get(base(parties.fair)).get_data(as_text=True)
    assert "签约仪式" in organizer_page


def test_the_canonical_text_does_not_depend_on_the_interface_language(app, parties):
    agreement = draft(parties, support_kinds=("goods", "funds"), in_kind_value_fen=100, in_kind_description="图书")
    text = agreements.text_of(agreement)
    assert "支持方式：资金、物资" in text
    client = client_of(app, parties.sponsor_rep)
    client.set_cookie("fair_lang", "en")
    page = client.get(f"{base(parties.fair)}/{agreement.id}/sign").get_data(as_text=True)
    assert agreement_text.sha256(text) in page


def test_the_catalog_s_project_page_carries_the_panel(app, parties):
    url = f"/fairs/{parties.fair.slug}/sponsorship/projects/{parties.project.id}"
    page = client_of(app, parties.sponsor_rep).get(url).get_data(as_text=True)
    assert "起草支持协议" in page and f"agreements/new?application={parties.project.id}" in page
