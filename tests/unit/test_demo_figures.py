"""The seed demo's figures come out exactly: 50,000 visitors, 31,000 venue entries and 10,000 outdoor
check-ins counted in people (a group ticket brings its group), and agreements worth exactly ¥31,200,000."""
import random
from types import SimpleNamespace

import pytest

from fair import demo_visitors
from sponsorship.demo import LEAST_UNITS, SEED, UNIT_FEN, split_amount


def test_the_seed_visitors_entries_and_outdoor_checkins_are_exact_in_people():
    rng = random.Random(2026)
    counts = demo_visitors.SEED
    rows = demo_visitors._visitors(rng, counts["visitors"])
    assert sum(row.group_size for row in rows) == 50_000 and any(row.group_size >= 8 for row in rows)
    tickets = [SimpleNamespace(group_size=row.group_size) for row in rows]
    entered = demo_visitors._people(rng, tickets, range(len(tickets)), counts["entries"])
    outdoor = demo_visitors._people(rng, tickets, entered, counts["outdoor"])
    assert len(set(entered)) == len(entered) and set(outdoor) <= set(entered)
    assert sum(tickets[i].group_size for i in entered) == 31_000
    assert sum(tickets[i].group_size for i in outdoor) == 10_000


@pytest.mark.parametrize("seed", range(5))
def test_the_seed_amounts_add_up_to_exactly_31_2_million_yuan(seed):
    amounts = split_amount(SEED["amount_fen"], SEED["agreements"], random.Random(seed))
    assert len(amounts) == 390 and sum(amounts) == 3_120_000_000
    assert all(amount % UNIT_FEN == 0 and amount >= LEAST_UNITS * UNIT_FEN for amount in amounts)
    assert max(amounts) > 3 * min(amounts)            # a spread, not one amount repeated


def test_a_total_that_cannot_be_split_is_refused():
    with pytest.raises(ValueError):
        split_amount(5 * UNIT_FEN, 1, random.Random(1))            # less than the least amount
    with pytest.raises(ValueError):
        split_amount(100 * UNIT_FEN + 1, 2, random.Random(1))      # not whole thousands of yuan
