"""People's choice (观众选择奖): visitors vote for projects at their booths, apart from the jury's awards.

The rules, and why:
- One vote per checked-in ticket per category (the database's unique key on (ticket, category)), not per
  phone or e-mail. "Checked in" means admitted ("ok") at one of the fair's entry gates: a ticket that
  never came through a gate has not seen the booths.
- A vote can be changed until voting closes (a mis-tap is the common complaint; the judges' scores are
  editable for the same reason): the row moves to the new project, its time, address and device are the
  latest, and the audit keeps every change. Voting for the same project again changes nothing.
- Two first votes of one ticket in one category at the same instant: one INSERT wins, the other gets a
  clear refusal and nothing is written twice.
- Results are hidden until voting closes: even the organizers see only the totals while it is open, and
  closing is final (a vote reopened after results were seen could be steered).
- Bursts: `BURST_TICKETS` or more different tickets voting from one address or one device within
  `BURST_WINDOW` are flagged for the organizer, with the votes. A single visitor voting in every category
  is one ticket and never a burst; a phone switching between many tickets is."""
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from fair.applications.models import Application
from fair.audit.log import audit
from fair.auth.models import User
from fair.booths.queries import PUBLIC
from fair.extensions import db
from fair.fairs.models import Category, Fair
from fair.refusal import Refused
from fair.times import utcnow
from fair.visitors.models import Checkin, CheckinPoint, PointKind, Ticket
from judging.models import AwardScope, JudgingSetup, Vote
from judging.services import DEFAULT_JUDGES_PER_PROJECT

BURST_TICKETS = 10
BURST_WINDOW = timedelta(minutes=10)
NOT_OPEN, OPEN, CLOSED = "not_open", "open", "closed"


# --- opening and closing ------------------------------------------------------------------------------

def state_of(setup: JudgingSetup | None) -> str:
    if setup is None or setup.voting_opened_at is None:
        return NOT_OPEN
    return OPEN if setup.voting_closed_at is None else CLOSED


def setup_of(fair: Fair) -> JudgingSetup | None:
    return db.session.get(JudgingSetup, fair.id)


def _setup_for_change(fair: Fair, version: int | None) -> JudgingSetup:
    """The fair's judging setup (made with the defaults if there is none), as of the `version` the page showed."""
    setup = setup_of(fair)
    if setup is None:
        if version:
            raise Refused(_("评审设置刚被他人修改，请查看当前状态后重试。"), "conflict")
        setup = JudgingSetup(fair_id=fair.id, judges_per_project=DEFAULT_JUDGES_PER_PROJECT,
                             award_scope=AwardScope.fair)
        db.session.add(setup)
    elif version is not None and version != setup.version:
        raise Refused(_("评审设置刚被他人修改，请查看当前状态后重试。"), "conflict")
    return setup


def _commit() -> None:
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise Refused(_("评审设置刚被他人修改，请查看当前状态后重试。"), "conflict") from None


def _moments(setup: JudgingSetup) -> dict:
    return {"voting_opened_at": setup.voting_opened_at and setup.voting_opened_at.isoformat(),
            "voting_closed_at": setup.voting_closed_at and setup.voting_closed_at.isoformat()}


def open_voting(fair: Fair, actor: User | None, *, version: int | None = None) -> JudgingSetup:
    """Visitors may vote from now on."""
    try:
        setup = _setup_for_change(fair, version)
        if state_of(setup) == OPEN:
            raise Refused(_("观众投票已经开始。"), "already_open")
        if state_of(setup) == CLOSED:
            raise Refused(_("观众投票已结束，不能重新开始。"), "closed")
        before = _moments(setup)
        setup.voting_opened_at = utcnow()
        audit(actor, "judging.voting.opened", setup, fair=fair, before=before, after=_moments(setup))
    except Refused:
        db.session.rollback()
        raise
    _commit()
    return setup


def close_voting(fair: Fair, actor: User | None, *, version: int | None = None) -> JudgingSetup:
    """No more votes; the results show. Final."""
    try:
        setup = _setup_for_change(fair, version)
        if state_of(setup) != OPEN:
            raise Refused(_("观众投票尚未开始。") if state_of(setup) == NOT_OPEN else _("观众投票已经结束。"),
                          "not_open")
        before = _moments(setup)
        setup.voting_closed_at = utcnow()
        audit(actor, "judging.voting.closed", setup, fair=fair, before=before, after=_moments(setup))
    except Refused:
        db.session.rollback()
        raise
    _commit()
    return setup


# --- a visitor's vote ---------------------------------------------------------------------------------

def checked_in(ticket: Ticket) -> bool:
    """Admitted at least once at one of the fair's entry gates."""
    return db.session.scalar(
        sa.select(Checkin.id).join(CheckinPoint, CheckinPoint.id == Checkin.point_id)
        .where(Checkin.ticket_id == ticket.id, Checkin.reason == "ok", CheckinPoint.kind == PointKind.entry)
        .limit(1)) is not None


def vote_of(ticket: Ticket, category_id: int) -> Vote | None:
    return db.session.scalar(sa.select(Vote).where(Vote.ticket_id == ticket.id, Vote.category_id == category_id))


@dataclass
class Choice:
    """What a ticket holder may do about one project (the booth page's panel): the voting state, whether
    the ticket was admitted, and its current vote in the project's category (any project)."""

    state: str
    category: Category
    application_id: int
    admitted: bool = False
    vote: Vote | None = None

    @property
    def for_this(self) -> bool:
        return self.vote is not None and self.vote.application_id == self.application_id


def choice_for(fair: Fair, application: Application, ticket: Ticket | None) -> Choice:
    """The panel's state in at most three queries (none about the ticket while voting is not open)."""
    state = state_of(setup_of(fair))
    choice = Choice(state, application.category, application.id)
    if ticket is not None and state == OPEN:
        choice.admitted = checked_in(ticket)
        choice.vote = vote_of(ticket, application.category_id)
    return choice


def _vote_label(ticket: Ticket, application: Application) -> str:
    return f"{ticket} · {application.category.name}"[:200]


def cast_vote(ticket: Ticket, application: Application, *, address: str = "", device: str = "") -> tuple[Vote, str]:
    """Vote for `application` in its category: "cast" (a first vote), "changed" (moved from another
    project of the category) or "unchanged" (already for this one). Refused when voting is not open, the
    ticket is not admitted, or a simultaneous first vote of the ticket in this category won."""
    fair = application.fair
    state = state_of(setup_of(fair))
    if state == NOT_OPEN:
        raise Refused(_("观众投票尚未开始。"), "voting_not_open")
    if state == CLOSED:
        raise Refused(_("观众投票已结束。"), "voting_closed")
    if ticket.revoked_at is not None:
        raise Refused(_("此入场码已作废。"), "revoked")
    if ticket.fair_id != application.fair_id or db.session.scalar(
            sa.select(Application.id).where(Application.id == application.id, PUBLIC)) is None:
        raise Refused(_("不能为此项目投票。"), "not_votable")
    if not checked_in(ticket):
        raise Refused(_("请先在展会入口检票入场，再为项目投票。"), "not_checked_in")
    now, address, device = utcnow(), (address or "")[:45], (device or "")[:64]
    vote = vote_of(ticket, application.category_id)
    if vote is not None and vote.application_id == application.id:
        return vote, "unchanged"
    if vote is not None:
        before = {"application": vote.application_id}
        vote.application_id, vote.created_at, vote.address, vote.device = application.id, now, address, device
        event = audit(None, "judging.vote.changed", vote, fair=fair, before=before,
                      after={"application": application.id, "ticket": ticket.code[:6]})
        event.object_label = _vote_label(ticket, application)
        db.session.commit()
        return vote, "changed"
    vote = Vote(fair_id=fair.id, ticket_id=ticket.id, category_id=application.category_id,
                application_id=application.id, address=address, device=device, created_at=now)
    db.session.add(vote)
    try:
        event = audit(None, "judging.vote.cast", vote, fair=fair,
                      after={"application": application.id, "ticket": ticket.code[:6]})
        event.object_label = _vote_label(ticket, application)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Refused(_("此入场码刚刚已在该领域投过票，请刷新页面查看后再试。"), "conflict") from None
    return vote, "cast"


# --- for the organizer --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    votes: int
    voters: int


def totals(fair: Fair) -> Totals:
    """How many votes and voting tickets: all anyone sees while voting is open."""
    votes, voters = db.session.execute(sa.select(sa.func.count(Vote.id), sa.func.count(sa.distinct(Vote.ticket_id)))
                                       .where(Vote.fair_id == fair.id)).one()
    return Totals(votes, voters)


@dataclass
class Tally:
    application: Application
    votes: int


@dataclass
class CategoryResult:
    """A category's projects by votes, most first; `winners` are those with the most (all of them on a tie)."""

    category: Category
    tallies: list[Tally] = field(default_factory=list)

    @property
    def winners(self) -> list[Tally]:
        top = self.tallies[0].votes if self.tallies else 0
        return [tally for tally in self.tallies if tally.votes == top and top > 0]

    @property
    def votes(self) -> int:
        return sum(tally.votes for tally in self.tallies)


def results(fair: Fair) -> list[CategoryResult]:
    """Per category, once voting has closed (Refused before): two queries whatever the number of votes."""
    if state_of(setup_of(fair)) != CLOSED:
        raise Refused(_("观众投票结束后才能查看结果。"), "not_closed")
    counts = db.session.execute(
        sa.select(Vote.category_id, Vote.application_id, sa.func.count(Vote.id))
        .where(Vote.fair_id == fair.id).group_by(Vote.category_id, Vote.application_id)).all()
    ids = {application_id for _category, application_id, _votes in counts}
    projects = {application.id: application for application in db.session.scalars(
        sa.select(Application).where(Application.id.in_(ids), PUBLIC)
        .options(joinedload(Application.organisation)))} if ids else {}
    by_category = {category.id: CategoryResult(category) for category in fair.categories}
    for category_id, application_id, votes in counts:
        if application_id in projects and category_id in by_category:
            by_category[category_id].tallies.append(Tally(projects[application_id], votes))
    for result in by_category.values():
        result.tallies.sort(key=lambda tally: (-tally.votes, tally.application.id))
    return list(by_category.values())


@dataclass(frozen=True)
class BurstVote:
    at: datetime
    ticket: str                  # the visitor's name and the start of the ticket code
    title: str
    application_id: int


@dataclass
class Burst:
    """Votes of `tickets` different tickets from one address or one device within a short time."""

    kind: str                    # "address" or "device"
    source: str
    votes: list[BurstVote]

    @property
    def tickets(self) -> int:
        return len({vote.ticket for vote in self.votes})

    @property
    def first_at(self) -> datetime:
        return self.votes[0].at

    @property
    def last_at(self) -> datetime:
        return self.votes[-1].at


def bursts(fair: Fair, *, tickets: int = BURST_TICKETS, window: timedelta = BURST_WINDOW) -> list[Burst]:
    """Addresses and devices from which `tickets` or more different tickets voted within `window`, with
    the votes in that time. Three queries: the sources with enough tickets at all, then their votes."""
    found: list[Burst] = []
    for kind, column in (("address", Vote.address), ("device", Vote.device)):
        sources = db.session.scalars(
            sa.select(column).where(Vote.fair_id == fair.id, column != "").group_by(column)
            .having(sa.func.count(sa.distinct(Vote.ticket_id)) >= tickets)).all()
        if not sources:
            continue
        rows = db.session.execute(
            sa.select(column, Vote.created_at, Vote.ticket_id, Ticket.name, Ticket.code, Application.title,
                      Application.id)
            .join(Ticket, Ticket.id == Vote.ticket_id).join(Application, Application.id == Vote.application_id)
            .where(Vote.fair_id == fair.id, column.in_(sources)).order_by(column, Vote.created_at, Vote.id)).all()
        by_source: dict[str, list] = {}
        for row in rows:
            by_source.setdefault(row[0], []).append(row)
        for source, votes in by_source.items():
            for run in _runs([(row[1], row[2]) for row in votes], tickets, window):
                found.append(Burst(kind, source, [BurstVote(votes[i][1], f"{votes[i][3]} ({votes[i][4][:6]}…)",
                                                            votes[i][5], votes[i][6]) for i in run]))
    found.sort(key=lambda burst: burst.first_at)
    return found


def _runs(votes: list[tuple[datetime, int]], tickets: int, window: timedelta) -> list[range]:
    """Index ranges of `votes` (time, ticket id; by time) lying in some window of length `window` that holds
    `tickets` or more different tickets; overlapping windows join into one range."""
    runs: list[range] = []
    seen: Counter = Counter()
    end = 0
    for start, (at, ticket) in enumerate(votes):
        while end < len(votes) and votes[end][0] - at <= window:
            seen[votes[end][1]] += 1
            end += 1
        if len(seen) >= tickets:
            if runs and start < runs[-1].stop:
                runs[-1] = range(runs[-1].start, end)
            else:
                runs.append(range(start, end))
        seen[ticket] -= 1
        if not seen[ticket]:
            del seen[ticket]
    return runs
