"""Exactly one outcome under concurrency, on SQLite and on PostgreSQL (FAIR_TEST_DATABASE_URL): threads act
on one agreement at the same instant, each in its own app context and database session, as gunicorn's
workers would. The guards are the database's: unique (agreement_id, side), the agreement's version counter,
unique (fair, number, revision) and one open draft per number."""
from collections import Counter

import sqlalchemy as sa

from fair.applications.models import Application
from fair.auth.models import User
from fair.extensions import db
from fair.fairs.models import Fair
from fair.refusal import Refused
from sponsorship import agreements
from sponsorship.models import Agreement, AgreementStatus, Signature, SponsorProfile
from tests.web.test_agreements import (details, draft, make_project_representative, make_representative,  # noqa: F401
                                       parties)                                                           # (a fixture)
from tests.web.test_checkin_concurrency import at_once

THREADS = 8


def outcome(job):
    """The job's result as the code a person would be told: 'ok' or the refusal's code."""
    def run():
        try:
            job()
        except Refused as refusal:
            return refusal.code
        return "ok"
    return run


def fresh(agreement_id: int) -> Agreement:
    return db.session.get(Agreement, agreement_id)


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def signatures(agreement_id: int) -> list[Signature]:
    db.session.rollback()
    return db.session.scalars(sa.select(Signature).where(Signature.agreement_id == agreement_id)).all()


def test_sponsor_representatives_signing_at_once_make_exactly_one_signature(app, parties):
    agreement = draft(parties)
    digest = agreements.text_sha256(agreement)
    reps = [parties.sponsor_rep.id] + [make_representative(parties.sponsor).id for _ in range(THREADS - 1)]
    results = at_once(app, [outcome(lambda rep=rep: agreements.sign(fresh(agreement.id), user(rep), digest))
                            for rep in reps])
    assert results.count("ok") == 1 and set(results) <= {"ok", "conflict", "already_signed"}
    [signature] = signatures(agreement.id)
    assert signature.text_sha256 == digest and signature.user_id == reps[results.index("ok")]
    assert fresh(agreement.id).status is AgreementStatus.sponsor_signed


def test_exhibitor_representatives_countersigning_at_once_make_exactly_one_countersignature(app, parties):
    agreement = draft(parties)
    digest = agreements.text_sha256(agreement)
    agreements.sign(agreement, parties.sponsor_rep, digest)
    reps = [parties.exhibitor_rep.id] + [make_project_representative(parties.project).id for _ in range(THREADS - 1)]
    results = at_once(app, [outcome(lambda rep=rep: agreements.countersign(fresh(agreement.id), user(rep), digest))
                            for rep in reps])
    assert results.count("ok") == 1
    assert Counter(signature.side.value for signature in signatures(agreement.id)) == {"sponsor": 1, "exhibitor": 1}
    signed = fresh(agreement.id)
    assert signed.status is AgreementStatus.signed and signed.signed_at is not None


def test_a_signature_and_an_edit_at_once_never_sign_a_text_the_signer_did_not_see(app, parties):
    agreement = draft(parties)
    shown = agreements.text_sha256(agreement)
    version = agreement.version

    def sign():
        agreements.sign(fresh(agreement.id), user(parties.sponsor_rep.id), shown)

    def edit():
        agreements.update_draft(fresh(agreement.id), details(amount_fen=99_900), actor=user(parties.exhibitor_rep.id),
                                version=version)

    results = at_once(app, [outcome(sign), outcome(edit)])
    assert results.count("ok") == 1
    after = fresh(agreement.id)
    made = signatures(agreement.id)
    if results[0] == "ok":                        # signed first: the edit was refused, the text is the one signed
        assert after.amount_fen == 12_000_000 and [s.text_sha256 for s in made] == [shown]
    else:                                         # edited first: nothing was signed
        assert after.amount_fen == 99_900 and made == []


def test_drafts_made_at_once_get_distinct_numbers(app, parties):
    fair_id, sponsor_id = parties.fair.id, parties.sponsor.id
    project_id, rep_id = parties.project.id, parties.sponsor_rep.id

    def job():
        return agreements.draft_agreement(db.session.get(Fair, fair_id), db.session.get(SponsorProfile, sponsor_id),
                                          db.session.get(Application, project_id), details(), actor=user(rep_id)).number

    numbers = at_once(app, [job] * THREADS)
    assert sorted(numbers) == [f"XY-{n:04d}" for n in range(1, THREADS + 1)]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == THREADS


def test_amendments_started_at_once_leave_one_open_draft(app, parties):
    agreement = draft(parties)
    agreements.sign(agreement, parties.sponsor_rep, agreements.text_sha256(agreement))
    agreements.countersign(agreement, parties.exhibitor_rep, agreements.text_sha256(agreement))
    actors = [parties.sponsor_rep.id, parties.exhibitor_rep.id] * (THREADS // 2)
    results = at_once(app, [outcome(lambda actor=actor: agreements.amend(fresh(agreement.id), actor=user(actor)))
                            for actor in actors])
    assert results.count("ok") == 1 and set(results) == {"ok", "amendment_open"}
    db.session.rollback()
    versions = db.session.scalars(sa.select(Agreement).order_by(Agreement.revision)).all()
    assert [(v.revision, v.status) for v in versions] == [(1, AgreementStatus.signed), (2, AgreementStatus.draft)]


def test_a_countersignature_and_a_cancellation_at_once_leave_one_of_them(app, parties, organizer):
    agreement = draft(parties)
    digest = agreements.text_sha256(agreement)
    agreements.sign(agreement, parties.sponsor_rep, digest)
    version = fresh(agreement.id).version

    def countersign():
        agreements.countersign(fresh(agreement.id), user(parties.exhibitor_rep.id), digest)

    def cancel():
        agreements.cancel(fresh(agreement.id), actor=user(organizer.id), reason="撤回", version=version)

    results = at_once(app, [outcome(countersign), outcome(cancel)])
    assert results.count("ok") == 1
    after = fresh(agreement.id)
    exhibitor_signed = any(s.side.value == "exhibitor" for s in signatures(agreement.id))
    assert (after.status is AgreementStatus.signed) == exhibitor_signed == (results[0] == "ok")
    assert after.status in (AgreementStatus.signed, AgreementStatus.cancelled)
