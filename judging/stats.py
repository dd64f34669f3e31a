"""Judging's figures for the console (fair/console/stats.py documents each): judges, scorecards submitted
and due, awards per tier from the published results only, and people's choice votes. Imported by
judging/views.py, so the console's registry has it whenever the app has judging."""
from collections import Counter

import sqlalchemy as sa

from fair.console.stats import stat_source
from fair.extensions import db
from fair.fairs.models import Fair
from judging.models import Judge, JudgeAssignment, Scorecard, Vote
from judging.queries import published_awards, published_tiers


@stat_source
def judging_figures(fair: Fair) -> dict:
    """The counts in one query; the awards in up to three more (before publication, only the judging state)."""
    taken = (JudgeAssignment.fair_id == fair.id, JudgeAssignment.skipped_at.is_(None))
    counts = (sa.select(sa.func.count(Judge.id)).where(Judge.fair_id == fair.id, Judge.active),
              sa.select(sa.func.count(JudgeAssignment.id)).where(*taken),
              sa.select(sa.func.count(Scorecard.id)).join(JudgeAssignment, JudgeAssignment.id == Scorecard.assignment_id)
              .where(*taken, Scorecard.submitted_at.is_not(None)),
              sa.select(sa.func.count(Vote.id)).where(Vote.fair_id == fair.id))
    judges, due, scores, votes = db.session.execute(sa.select(*(count.scalar_subquery() for count in counts))).one()
    tiers = published_tiers(fair)
    awarded = Counter(award.tier_id for award in published_awards(fair).values()) if tiers else Counter()
    return {"judges": judges, "scorecards_due": due, "scores": scores, "people_choice_votes": votes,
            "awards_by_tier": {tier.name: awarded[tier.id] for tier in tiers},
            "award_names_en": {tier.name: tier.name_en for tier in tiers if tier.name_en}}
