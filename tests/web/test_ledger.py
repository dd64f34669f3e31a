"""The funding ledger: totals that always equal the signed agreements (by SQL, in a fixed number of queries),
payments recorded exactly in fen and never beyond the agreement even at the same instant, the organizer's
ledger page and CSV, an agreement's payments page, and the signing wall with its JSON."""
import csv
import io
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import OrganisationKind, Role
from fair.extensions import db
from fair.fairs.models import Category, Phase
from fair.refusal import Refused
from fair.times import to_local, utcnow
from judging.models import Award, JudgingSetup
from sponsorship import ledger
from sponsorship.models import Agreement, AgreementStatus, CaringUnit, Payment
from tests.conftest import count_queries, log_in, queries_for
from tests.factories import make_judging, make_member, make_organisation
from tests.sponsor_factories import (make_agreement, make_project, make_project_representative, make_representative,
                                     make_sponsor)
from tests.web.test_checkin_concurrency import at_once

S = AgreementStatus


def today(fair):
    return to_local(utcnow(), fair.timezone).date()


def signed(fair, amount_fen=10_000_000, *, sponsor=None, project=None, days_ago=3, **overrides) -> Agreement:
    """A signed agreement countersigned `days_ago` days ago, so payments dated today or yesterday are valid."""
    agreement = make_agreement(sponsor or make_sponsor(fair), project or make_project(fair), amount_fen=amount_fen,
                               **overrides)
    agreement.signed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return agreement


def paid_rows() -> int:
    return db.session.scalar(sa.select(sa.func.count(Payment.id)))


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def url(fair, path: str = "") -> str:
    return f"/fairs/{fair.slug}/sponsorship{path}"


# --- totals --------------------------------------------------------------------------------------------

def test_totals_equal_the_signed_agreements_whatever_the_mix_of_statuses(fair):
    sponsor, other = make_sponsor(fair), make_sponsor(fair)
    shared = make_project(fair)
    signed_ones = [make_agreement(sponsor, shared, amount_fen=12_000_000, in_kind_value_fen=500_000),
                   make_agreement(other, shared, amount_fen=3_000_050),
                   make_agreement(other, make_project(fair), amount_fen=7_500_000)]
    make_agreement(sponsor, make_project(fair), amount_fen=2_000_000, status=S.draft)
    make_agreement(other, make_project(fair), amount_fen=4_000_000, status=S.sponsor_signed)
    make_agreement(sponsor, make_project(fair), amount_fen=9_900_000, status=S.superseded)
    make_agreement(sponsor, make_project(fair), amount_fen=8_800_000, status=S.cancelled)
    # an open amendment of a signed agreement is the same money as its signed version: not an intent
    first = signed_ones[0]
    make_agreement(sponsor, shared, amount_fen=15_000_000, status=S.draft, number=first.number, revision=2,
                   amends_id=first.id)

    totals = ledger.totals(fair)

    rows = db.session.scalars(sa.select(Agreement).where(Agreement.status == S.signed)).all()
    assert totals.signed_fen == sum(row.amount_fen for row in rows) == 22_500_050
    assert totals.signed_count == 3 and totals.in_kind_fen == 500_000
    assert totals.projects_funded == 2 and totals.sponsors_signed == 2
    assert (totals.intended_count, totals.intended_fen) == (2, 6_000_000)
    assert totals.paid_fen == 0 and totals.caring_units == 0


def test_breakdowns_each_add_up_to_the_signed_total(fair):
    elderly, youth = fair.categories[0], fair.categories[1]
    company, foundation = make_sponsor(fair), make_sponsor(fair, kind=OrganisationKind.foundation)
    make_agreement(company, make_project(fair, category=elderly, city="南京市"), amount_fen=5_000_000)
    make_agreement(company, make_project(fair, category=youth, city="苏州市"), amount_fen=2_000_000)
    make_agreement(foundation, make_project(fair, category=youth, city="苏州市"), amount_fen=1_000_000)
    make_agreement(foundation, make_project(fair, category=elderly, city="南京市"), amount_fen=9_000_000,
                   status=S.cancelled)

    totals = ledger.totals(fair)

    assert [(b.label, b.count, b.amount_fen) for b in totals.by_category] == [
        (elderly.name, 1, 5_000_000), (youth.name, 2, 3_000_000)]
    assert [(b.label, b.amount_fen) for b in totals.by_region] == [("南京市", 5_000_000), ("苏州市", 3_000_000)]
    assert [(b.key, b.count, b.amount_fen) for b in totals.by_sponsor_kind] == [
        ("enterprise", 2, 7_000_000), ("foundation", 1, 1_000_000)]
    assert [(b.key, b.amount_fen) for b in totals.by_tier] == [("none", 8_000_000)]
    for buckets in (totals.by_category, totals.by_region, totals.by_tier, totals.by_sponsor_kind):
        assert sum(bucket.amount_fen for bucket in buckets) == totals.signed_fen


def test_the_award_breakdown_reads_only_published_awards(fair):
    setup, _criteria, tiers = make_judging(fair)
    gold, silver = tiers[1], tiers[2]
    sponsor = make_sponsor(fair)
    projects = [make_project(fair) for _ in range(3)]
    for project, amount in zip(projects, (6_000_000, 2_000_000, 1_000_000)):
        make_agreement(sponsor, project, amount_fen=amount)
    db.session.add_all([
        Award(fair_id=fair.id, application_id=projects[0].id, tier_id=silver.id, certificate_code="s" * 24),
        Award(fair_id=fair.id, application_id=projects[1].id, tier_id=gold.id, certificate_code="g" * 24)])
    db.session.commit()
    assert [bucket.key for bucket in ledger.totals(fair).by_tier] == ["none"]      # frozen, not published

    setup.published_at = utcnow()
    db.session.commit()
    by_tier = ledger.totals(fair).by_tier
    assert [(b.label, b.amount_fen) for b in by_tier] == [("金奖", 2_000_000), ("银奖", 6_000_000), ("未获奖", 1_000_000)]


def test_paid_counts_payments_of_series_that_are_signed_now(fair):
    live = signed(fair, 10_000_000)
    ledger.record_payment(live, 4_000_000, today(fair), "TX-1", None)
    cancelled = signed(fair, 5_000_000)
    ledger.record_payment(cancelled, 1_000_000, today(fair), "TX-2", None)
    cancelled.status = S.cancelled
    # a payment made on version 1, which an amendment then superseded: still paid on the series
    old = signed(fair, 3_000_000)
    ledger.record_payment(old, 500_000, today(fair), "TX-3", None)
    old.status = S.superseded
    db.session.commit()
    make_agreement(old.sponsor, old.application, amount_fen=3_500_000, number=old.number, revision=2, amends_id=old.id)
    db.session.add(CaringUnit(fair_id=fair.id, organisation_id=live.sponsor.organisation_id, certificate_code="c" * 24))
    db.session.commit()

    totals = ledger.totals(fair)
    assert totals.paid_fen == 4_500_000 and totals.signed_fen == 13_500_000
    assert totals.unpaid_fen == 9_000_000 and totals.caring_units == 1


def test_totals_take_the_same_number_of_queries_whatever_the_data(fair):
    def measured() -> int:
        with count_queries() as statements:
            ledger.totals(fair)
        return len(statements)

    make_judging(fair)
    db.session.get(JudgingSetup, fair.id).published_at = utcnow()
    db.session.commit()
    make_agreement(make_sponsor(fair), make_project(fair))
    small = measured()
    for index in range(12):
        agreement = make_agreement(make_sponsor(fair, kind=list(OrganisationKind)[index % 5]),
                                   make_project(fair, city=f"城市{index}", category=fair.categories[index % 3]),
                                   status=S.signed if index % 4 else S.draft)
        if agreement.status is S.signed:
            db.session.add(Payment(agreement_id=agreement.id, amount_fen=100, paid_on=today(fair)))
    db.session.commit()
    assert measured() == small <= 10


def test_the_headline_alone_takes_three_queries_and_the_same_figures(fair):
    sponsor = make_sponsor(fair)
    ledger.record_payment(signed(fair, 5_000_000, sponsor=sponsor), 1_000_000, today(fair), "", None)
    make_agreement(sponsor, make_project(fair), status=S.draft)
    db.session.refresh(fair)
    with count_queries() as statements:
        headline = ledger.totals(fair, breakdowns=False)
    full = ledger.totals(fair)
    assert len(statements) == 3 and headline.by_category == headline.by_tier == []
    figures = ("signed_fen", "paid_fen", "intended_fen", "projects_funded")
    assert [getattr(headline, name) for name in figures] == [getattr(full, name) for name in figures] == [
        5_000_000, 1_000_000, 10_000_000, 1]


# --- recording payments ----------------------------------------------------------------------------------

def test_a_payment_is_recorded_audited_and_counted(fair, organizer):
    agreement = signed(fair, 10_000_000)
    payment = ledger.record_payment(agreement, 2_500_000, today(fair), " 转账 2027-0521 ", organizer)
    assert (payment.amount_fen, payment.reference, payment.recorded_by_id) == (2_500_000, "转账 2027-0521", organizer.id)
    [event] = events("sponsorship.payment.recorded")
    assert event.after["amount_fen"] == 2_500_000 and event.after["paid_total_fen"] == 2_500_000
    assert event.actor_id == organizer.id and event.fair_id == fair.id
    assert ledger.totals(fair).paid_fen == 2_500_000


@pytest.mark.parametrize("amount, days, code, field", [
    (0, 0, "bad_amount", "amount"),
    (-100, 0, "bad_amount", "amount"),
    (True, 0, "bad_amount", "amount"),
    (6_000_001, 0, "exceeds_agreement", "amount"),
    (100, 1, "date_in_future", "paid_on"),
    (100, -4, "before_signing", "paid_on"),
])
def test_bad_payments_are_refused_and_write_nothing(fair, organizer, amount, days, code, field):
    agreement = signed(fair, 10_000_000)
    ledger.record_payment(agreement, 4_000_000, today(fair), "", organizer)
    version = agreement.version
    with pytest.raises(Refused) as refused:
        ledger.record_payment(agreement, amount, today(fair) + timedelta(days=days), "", organizer)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert paid_rows() == 1 and len(events("sponsorship.payment.recorded")) == 1
    assert db.session.scalar(sa.select(Agreement.version).where(Agreement.id == agreement.id)) == version


def test_only_a_signed_agreement_takes_payments(fair, organizer):
    for status in (S.draft, S.sponsor_signed, S.cancelled, S.superseded):
        agreement = make_agreement(make_sponsor(fair), make_project(fair), status=status)
        with pytest.raises(Refused) as refused:
            ledger.record_payment(agreement, 100, today(fair), "", organizer)
        assert refused.value.code == "not_signed"
    assert paid_rows() == 0


def test_who_may_record_a_payment(fair, organizer):
    agreement = signed(fair)
    others = [make_representative(make_sponsor(fair)), make_project_representative(agreement.application),
              make_member(fair, Role.judge)]
    for user in others:
        with pytest.raises(Refused) as refused:
            ledger.record_payment(agreement, 100, today(fair), "", user)
        assert refused.value.code == "not_allowed"
    ledger.record_payment(agreement, 100, today(fair), "", make_representative(agreement.sponsor))
    assert paid_rows() == 1


def test_a_stale_page_is_refused(fair, organizer):
    agreement = signed(fair)
    shown = agreement.version
    ledger.record_payment(agreement, 100, today(fair), "", organizer, version=shown)
    with pytest.raises(Refused) as refused:
        ledger.record_payment(agreement, 100, today(fair), "", organizer, version=shown)
    assert refused.value.code == "stale" and paid_rows() == 1


def test_an_amendment_keeps_what_was_paid_on_the_version_it_amends(fair, organizer):
    old = signed(fair, 3_000_000)
    ledger.record_payment(old, 2_000_000, today(fair), "", organizer)
    old.status = S.superseded
    db.session.commit()
    new = make_agreement(old.sponsor, old.application, amount_fen=2_500_000, number=old.number, revision=2,
                         amends_id=old.id)
    new.signed_at = old.signed_at
    db.session.commit()
    with pytest.raises(Refused) as refused:
        ledger.record_payment(new, 600_000, today(fair), "", organizer)
    assert refused.value.code == "exceeds_agreement" and "最多还可登记 ¥5,000" in refused.value.message
    ledger.record_payment(new, 500_000, today(fair), "", organizer)
    assert ledger.paid_by_number(fair) == {old.number: 2_500_000}


def test_an_organizer_removes_a_mistaken_payment_with_a_reason(fair, organizer):
    agreement = signed(fair)
    payment = ledger.record_payment(agreement, 100_000, today(fair), "TX-9", organizer)
    with pytest.raises(Refused) as refused:
        ledger.remove_payment(payment, "  ", organizer)
    assert refused.value.code == "reason_required" and paid_rows() == 1
    with pytest.raises(Refused) as refused:
        ledger.remove_payment(payment, "重复登记", make_representative(agreement.sponsor))
    assert refused.value.code == "not_allowed" and paid_rows() == 1

    ledger.remove_payment(payment, "重复登记", organizer)
    assert paid_rows() == 0
    [event] = events("sponsorship.payment.removed")
    assert event.before["amount_fen"] == 100_000 and event.before["reference"] == "TX-9"
    assert event.after == {"reason": "重复登记"}


# --- at the same instant, on SQLite and PostgreSQL -------------------------------------------------------

def _pay(agreement_id: int, amount_fen: int, day, version=None):
    def job():
        agreement = db.session.get(Agreement, agreement_id)
        try:
            ledger.record_payment(agreement, amount_fen, day, "", None, version=version)
        except Refused as refusal:
            return refusal.code
        return "ok"
    return job


def test_payments_at_the_same_instant_never_exceed_the_agreement(app, fair):
    agreement = signed(fair, 10_000_000)
    results = Counter(at_once(app, [_pay(agreement.id, 3_000_000, today(fair)) for _ in range(8)]))
    paid = ledger.paid_by_number(fair).get(agreement.number, 0)
    assert paid == 3_000_000 * results["ok"] <= 10_000_000
    assert results["ok"] >= 1 and set(results) <= {"ok", "exceeds_agreement", "concurrent"}
    if db.engine.dialect.name == "postgresql":        # the row lock serialises them: exactly three fit
        assert results == {"ok": 3, "exceeds_agreement": 5}


def test_one_page_submitted_many_times_at_once_records_one_payment(app, fair):
    agreement = signed(fair, 10_000_000)
    results = Counter(at_once(app, [_pay(agreement.id, 100_000, today(fair), agreement.version) for _ in range(6)]))
    assert results["ok"] == 1 and set(results) <= {"ok", "stale", "concurrent"}
    assert paid_rows() == 1


# --- the ledger page -------------------------------------------------------------------------------------

def test_the_ledger_page_shows_the_headline_breakdowns_and_agreements(fair, client_as):
    sponsor = make_sponsor(fair)
    first = signed(fair, 12_000_000, sponsor=sponsor)
    signed(fair, 19_200_000, sponsor=sponsor)
    make_agreement(sponsor, make_project(fair, title="四点半课堂"), amount_fen=800_000, status=S.sponsor_signed)
    ledger.record_payment(first, 3_000_000, today(fair), "", None)
    page = client_as(Role.organizer).get(url(fair, "/ledger")).get_data(as_text=True)
    assert "2 个项目签约，¥312,000" in page
    for text in ("按服务领域", "按地区（城市）", "按奖项", "按支持方类型", "未获奖", "南京市", "爱心企业", "四点半课堂",
                 first.number, "¥120,000", "¥30,000", "¥8,000", "支持方已签"):
        assert text in page


def test_the_ledger_filters_and_searches(fair, client_as):
    sponsor = make_sponsor(fair)
    full = signed(fair, 100_000, sponsor=sponsor, project=make_project(fair, title="银龄食堂"))
    ledger.record_payment(full, 100_000, today(fair), "", None)
    part = signed(fair, 100_000, sponsor=sponsor, project=make_project(fair, title="青春护河"))
    intent = make_agreement(sponsor, make_project(fair, title="暑期夏令营"), status=S.draft)
    client = client_as(Role.organizer)

    def listed(**args) -> set[str]:
        page = client.get(url(fair, "/ledger"), query_string=args).get_data(as_text=True)
        return {title for title in ("银龄食堂", "青春护河", "暑期夏令营") if title in page}

    assert listed() == {"银龄食堂", "青春护河", "暑期夏令营"}
    assert listed(show="intent") == {"暑期夏令营"}
    assert listed(show="signed") == {"银龄食堂", "青春护河"}
    assert listed(show="unpaid") == {"青春护河"}
    assert listed(q="护河") == {"青春护河"} and listed(q=intent.number) == {"暑期夏令营"}
    assert listed(q="100%_") == set() and part.status is S.signed


def test_the_ledger_is_for_organizers(fair, client_as):
    for role in (Role.sponsor, Role.exhibitor, Role.judge):
        assert client_as(role).get(url(fair, "/ledger")).status_code == 403
        assert client_as(role).get(url(fair, "/ledger.csv")).status_code == 403


def test_the_ledger_and_the_wall_take_the_same_number_of_queries_whatever_the_data(fair, client_as):
    client = client_as(Role.organizer)
    fair.phase = Phase.preparation
    db.session.commit()

    def measured() -> tuple:
        return (queries_for(client, url(fair, "/ledger")), queries_for(client, url(fair, "/wall.json")),
                queries_for(client, url(fair, "/wall")))

    ledger.record_payment(signed(fair), 100, today(fair), "", None)
    small = measured()
    for index in range(15):
        agreement = signed(fair, sponsor=make_sponsor(fair, kind=list(OrganisationKind)[index % 5]),
                           project=make_project(fair, city=f"城市{index}"))
        ledger.record_payment(agreement, 100, today(fair), "", None)
        make_agreement(agreement.sponsor, make_project(fair), status=S.draft)
    assert measured() == small


def test_the_nav_has_the_ledger_and_caring_units_for_organizers(fair, client_as):
    page = client_as(Role.organizer).get(url(fair, "/ledger")).get_data(as_text=True)
    assert url(fair, "/ledger") in page and url(fair, "/caring-units") in page
    assert url(fair, "/ledger") not in client_as(Role.sponsor).get(f"/fairs/{fair.slug}").get_data(as_text=True)


def test_the_csv_opens_in_excel_with_yuan_and_the_page_filter(fair, client_as):
    sponsor = make_sponsor(fair, organisation=make_organisation(name="=HYPERLINK(1)", kind=OrganisationKind.enterprise))
    agreement = signed(fair, 12_345_678, sponsor=sponsor, project=make_project(fair, title="银龄食堂"),
                       in_kind_value_fen=50_000)
    ledger.record_payment(agreement, 345_678, today(fair), "", None)
    make_agreement(sponsor, make_project(fair, title="暑期夏令营"), status=S.draft)
    client = client_as(Role.organizer)

    response = client.get(url(fair, "/ledger.csv"), query_string={"show": "signed"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ledger.CSV_HEADER and len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert (row["协议编号"], row["状态"], row["项目"], row["支持方"]) == (agreement.number, "已签约", "银龄食堂", "'=HYPERLINK(1)")
    assert (row["资金（元）"], row["物资等折价（元）"], row["已到账（元）"], row["待到账（元）"]) == (
        "123456.78", "500.00", "3456.78", "120000.00")
    assert row["奖项"] == "" and row["城市"] == "南京市" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row["签约时间"])
    everything = client.get(url(fair, "/ledger.csv")).data.decode("utf-8-sig")
    assert "暑期夏令营" in everything and "支持方已签" not in everything


# --- an agreement's payments page ------------------------------------------------------------------------

def test_recording_a_payment_through_the_page_converts_yuan_exactly(fair, client_as):
    agreement = signed(fair, 10_000_000)
    client = client_as(Role.organizer)
    response = client.post(url(fair, f"/ledger/{agreement.id}/payments"), data={
        "amount": "1,234.57", "paid_on": today(fair).isoformat(), "reference": "HX20270521",
        "version": agreement.version})
    assert response.status_code == 302
    [payment] = db.session.scalars(sa.select(Payment)).all()
    assert payment.amount_fen == 123_457 and payment.reference == "HX20270521"      # float would give 123456
    page = client.get(url(fair, f"/ledger/{agreement.id}")).get_data(as_text=True)
    assert "¥1,234.57" in page and "HX20270521" in page and "组织者" in page


@pytest.mark.parametrize("amount, day, message", [
    ("abc", 0, "请填写金额（元）"),
    ("0", 0, "请填写大于零的金额"),
    ("-5", 0, "请填写大于零的金额"),
    ("100000.01", 0, "付款合计将超过协议金额"),
    ("12.345", 0, "最多两位小数"),
    ("100", 2, "付款日期不能晚于今天"),
    ("", 0, "此项为必填项"),
])
def test_bad_input_on_the_page_is_shown_next_to_the_field_and_nothing_is_written(fair, client_as, amount, day, message):
    agreement = signed(fair, 10_000_000)
    response = client_as(Role.organizer).post(url(fair, f"/ledger/{agreement.id}/payments"), data={
        "amount": amount, "paid_on": (today(fair) + timedelta(days=day)).isoformat(), "version": agreement.version})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page and "invalid-feedback" in page
    assert f'value="{amount}"' in page
    assert paid_rows() == 0 and not events("sponsorship.payment.recorded")


def test_a_payment_recorded_meanwhile_refuses_the_stale_page(fair, client_as):
    agreement = signed(fair, 10_000_000)
    shown = agreement.version
    ledger.record_payment(agreement, 100_000, today(fair), "", None)
    response = client_as(Role.organizer).post(url(fair, f"/ledger/{agreement.id}/payments"), data={
        "amount": "500", "paid_on": today(fair).isoformat(), "version": shown})
    assert response.status_code == 409 and "请核对最新的付款记录" in response.get_data(as_text=True)
    assert paid_rows() == 1


def test_the_sponsors_representative_records_and_the_project_sees(fair, app):
    agreement = signed(fair, 10_000_000)
    sponsor = log_in(app.test_client(), make_representative(agreement.sponsor))
    assert sponsor.post(url(fair, f"/ledger/{agreement.id}/payments"), data={
        "amount": "800", "paid_on": today(fair).isoformat(), "version": agreement.version}).status_code == 302
    team = log_in(app.test_client(), make_project_representative(agreement.application))
    page = team.get(url(fair, f"/ledger/{agreement.id}")).get_data(as_text=True)
    assert "¥800" in page and "登记付款" not in page
    assert team.post(url(fair, f"/ledger/{agreement.id}/payments"), data={"amount": "1"}).status_code == 403
    stranger = log_in(app.test_client(), make_representative(make_sponsor(fair)))
    assert stranger.get(url(fair, f"/ledger/{agreement.id}")).status_code == 403
    assert paid_rows() == 1


def test_another_fairs_agreement_or_payment_is_a_404(fair, organizer, client_as):
    from tests.factories import make_fair
    elsewhere = make_fair(organizer)
    agreement = signed(elsewhere)
    payment = ledger.record_payment(agreement, 100, today(elsewhere), "", None)
    client = client_as(Role.organizer)
    assert client.get(url(fair, f"/ledger/{agreement.id}")).status_code == 404
    assert client.post(url(fair, f"/ledger/payments/{payment.id}/remove"), data={"payment-%d-reason" % payment.id: "x"}
                       ).status_code == 404
    assert paid_rows() == 1


def test_removing_a_payment_on_the_page_needs_a_reason(fair, client_as):
    agreement = signed(fair)
    payment = ledger.record_payment(agreement, 100_000, today(fair), "", None)
    client = client_as(Role.organizer)
    path, prefix = url(fair, f"/ledger/payments/{payment.id}/remove"), f"payment-{payment.id}-"
    response = client.post(path, data={prefix + "reason": "", prefix + "version": agreement.version})
    assert response.status_code == 400 and "此项为必填项" in response.get_data(as_text=True) and paid_rows() == 1
    response = client.post(path, data={prefix + "reason": "金额录错", prefix + "version": agreement.version})
    assert response.status_code == 302 and paid_rows() == 0
    assert events("sponsorship.payment.removed")[0].after == {"reason": "金额录错"}


# --- the signing wall ------------------------------------------------------------------------------------

def test_before_the_plan_is_public_the_wall_is_for_organizers(fair, client, client_as):
    for path in ("/wall", "/wall.json"):
        assert client.get(url(fair, path)).status_code == 302
        assert client_as(Role.exhibitor).get(url(fair, path)).status_code == 403
        assert client_as(Role.organizer).get(url(fair, path)).status_code == 200


def test_the_public_wall_shows_totals_and_latest_signings_without_personal_data(fair, client):
    fair.phase = Phase.preparation
    db.session.commit()
    sponsor = make_sponsor(fair, contact_name="王经理", contact_phone="13800138000")
    early = signed(fair, 12_000_000, sponsor=sponsor, project=make_project(fair, title="银龄食堂"))
    late = signed(fair, 0, sponsor=sponsor, project=make_project(fair, title="青春护河"), in_kind_value_fen=300_000)
    early.signed_at = datetime(2020, 5, 21, 6, 30, tzinfo=timezone.utc)
    late.signed_at = datetime(2020, 5, 21, 7, 5, tzinfo=timezone.utc)
    db.session.commit()

    page = client.get(url(fair, "/wall")).get_data(as_text=True)
    for text in ("¥120,000", "银龄食堂", "青春护河", sponsor.organisation.name, "05-21 14:30", "js/signing_wall.js"):
        assert text in page
    for private in ("王经理", "13800138000", "签署人"):
        assert private not in page

    data = client.get(url(fair, "/wall.json")).get_json()
    assert (data["signed_fen"], data["projects"], data["agreements"], data["sponsors"]) == (12_000_000, 2, 2, 1)
    assert [(item["project"], item["at"]) for item in data["latest"]] == [("青春护河", "05-21 15:05"),
                                                                          ("银龄食堂", "05-21 14:30")]
    assert data["latest"][0]["amount"] == "物资等折价 ¥3,000" and data["in_kind"] == "¥3,000"
    assert "王经理" not in str(data) and "13800138000" not in str(data)


def test_the_wall_counts_only_signed_agreements(fair, client_as):
    sponsor = make_sponsor(fair)
    signed(fair, 5_000_000, sponsor=sponsor)
    for status in (S.draft, S.sponsor_signed, S.cancelled, S.superseded):
        make_agreement(sponsor, make_project(fair), status=status)
    data = client_as(Role.organizer).get(url(fair, "/wall.json")).get_json()
    assert (data["signed_fen"], data["agreements"], len(data["latest"])) == (5_000_000, 1, 1)


def test_the_breakdown_names_follow_the_language(fair, client_as):
    category = db.session.get(Category, fair.categories[0].id)
    category.name_en = "Elderly care"
    db.session.commit()
    signed(fair)
    client = client_as(Role.organizer)
    client.set_cookie("fair_lang", "en")
    assert "Elderly care" in client.get(url(fair, "/ledger")).get_data(as_text=True)
