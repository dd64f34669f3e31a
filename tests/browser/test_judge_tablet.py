"""A judge scores a project by taps on a tablet while the venue's Wi-Fi drops and a response gets lost: every
score reaches the database exactly once. The tablet page's first load stays under 150 KB."""
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from fair.auth.models import Role
from fair.booths import placing
from fair.extensions import db
from judging.models import Scorecard, ScoreEvent, ScoreLine
from tests.browser.conftest import PHONE, log_in
from tests.factories import PASSWORD, make_fair, make_judge, make_judge_assignment, make_judging, make_member, \
    make_plan, make_shortlisted, make_user

TABLET = {"width": 768, "height": 1024}
BUDGET = 150_000                    # bytes on the wire, first load of a tablet page
SHOTS = Path("/tmp/shots/tablet")


@pytest.fixture
def walk():
    """A fair with judging open, three placed projects on A-01 … A-03 for one judge: (slug, judge's e-mail,
    assignment ids in walking order, criterion ids)."""
    fair = make_fair(make_user(is_admin=True))
    criteria = make_judging(fair)[1]
    _hall, _zones, booths = make_plan(fair, rows=1, per_row=3)
    titles = ["银龄食堂社区助餐", "河道守护志愿巡河", "星星的孩子陪伴计划"]
    projects = [make_shortlisted(fair, title=title)[0] for title in titles]
    for booth, project in zip(booths, projects):
        placing.assign(booth, project, actor=None, version=None)
    judge = make_judge(fair, user=make_member(fair, Role.judge, email="judge@example.cn", name="李评委"))
    assignments = [make_judge_assignment(judge, project, walk_order=order) for order, project in enumerate(projects)]
    return fair.slug, "judge@example.cn", [a.id for a in assignments], [c.id for c in criteria]


def transferred(requests) -> int:
    """Bytes on the wire: each response's headers and body as received (the dev server does not compress)."""
    return sum(sizes["responseHeadersSize"] + max(sizes["responseBodySize"], 0)
               for sizes in (request.sizes() for request in requests))


def stored(assignment_id: int):
    db.session.rollback()           # a fresh snapshot: the live server wrote in its own transactions
    card = db.session.scalar(sa.select(Scorecard).where(Scorecard.assignment_id == assignment_id))
    events = db.session.scalars(sa.select(ScoreEvent).order_by(ScoreEvent.id)).all()
    points = {line.criterion_id: line.points for line in db.session.scalars(sa.select(ScoreLine))}
    return card, events, points


def test_scoring_goes_on_offline_and_syncs_exactly_once(new_context, problems, walk):
    slug, email, assignments, criteria = walk
    context = new_context(viewport=TABLET)
    page = context.new_page()
    log_in(page, email, PASSWORD)

    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(f"/fairs/{slug}/judging/my")
    first_load = transferred(requests)
    print(f"tablet list page, first load: {first_load} bytes in {len(requests)} responses")
    assert first_load < BUDGET
    expect(page.locator(".progress-count")).to_have_text("已完成 0 / 3")

    requests.clear()
    page.get_by_role("link", name="继续评分：银龄食堂社区助餐").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("银龄食堂社区助餐")
    page.wait_for_load_state("load")
    print(f"tablet score page: {transferred(requests)} bytes in {len(requests)} responses")
    assert transferred(requests) < BUDGET

    lost = []                        # saves the server applied whose answer never came back

    def lose_first_answer(route):
        if route.request.method == "PUT" and not lost:
            lost.append(route.fetch().json())
            route.abort()            # the Wi-Fi dropped after the server saved
        else:
            route.continue_()

    state = page.locator("#sync-state")
    page.locator(f"label[for=c{criteria[0]}-7]").click()
    expect(state).to_have_text("已保存")
    assert len(stored(assignments[0])[1]) == 1

    context.set_offline(True)                          # the venue's Wi-Fi drops; the judge goes on
    for criterion, points in zip(criteria[1:], (8, 6, 9, 5)):
        page.locator(f"label[for=c{criterion}-{points}]").click()
    page.locator("textarea[name=comment]").fill("团队讲解清楚，数据扎实")
    page.get_by_role("button", name="提交评分").click()
    expect(state).to_contain_text("待同步 (2)")         # the save sent when the link dropped, and the rest
    expect(page.locator("[data-total]")).to_have_text("72.0")
    card, events, _points = stored(assignments[0])
    assert len(events) == 1 and card.submitted_at is None

    page.route("**/api/v1/judging/assignments/*/scores", lose_first_answer)
    context.set_offline(False)                         # back: the queue goes out, one answer is lost and replayed
    expect(state).to_have_text("评分已提交", timeout=20_000)
    assert lost and lost[0]["version"] == 2

    card, events, points = stored(assignments[0])
    assert [event.action for event in events] == ["saved", "saved", "submitted"]
    assert len({event.client_op for event in events}) == 3
    assert points == dict(zip(criteria, (7, 8, 6, 9, 5)))
    assert card.comment == "团队讲解清楚，数据扎实" and card.submitted_at is not None and card.version == 3
    expect(page.locator("[data-progress]")).to_have_text("已完成 1 / 3")

    page.reload()                                       # what the server has is what the judge tapped
    for criterion, points_given in zip(criteria, (7, 8, 6, 9, 5)):
        expect(page.locator(f"#c{criterion}-{points_given}")).to_be_checked()
    assert [message for message in problems.messages
            if "ERR_INTERNET_DISCONNECTED" not in message and "ERR_FAILED" not in message] == []


def test_a_second_device_conflicts_and_the_judge_chooses(new_context, problems, walk):
    slug, email, assignments, criteria = walk
    tablet, phone = (new_context(viewport=size).new_page() for size in (TABLET, PHONE))
    for device in (tablet, phone):
        log_in(device, email, PASSWORD)
        device.goto(f"/fairs/{slug}/judging/score/{assignments[1]}")
    phone.locator(f"label[for=c{criteria[0]}-4]").click()
    expect(phone.locator("#sync-state")).to_have_text("已保存")
    tablet.locator(f"label[for=c{criteria[0]}-9]").click()      # the tablet still on version 0
    expect(tablet.locator("#sync-state")).to_have_text("冲突")
    expect(tablet.locator("#conflict")).to_contain_text("已保存 4 · 本机 9")
    tablet.get_by_role("button", name="保留我的评分").click()
    expect(tablet.locator("#sync-state")).to_have_text("已保存")
    _card, events, points = stored(assignments[1])
    assert points == {criteria[0]: 9} and [event.after["points"][str(criteria[0])] for event in events] == [4, 9]
    assert [message for message in problems.messages if "409" not in message] == []


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_screenshots(new_context, walk, locale):
    slug, email, assignments, criteria = walk
    SHOTS.mkdir(parents=True, exist_ok=True)
    language = "zh" if locale == "zh-CN" else "en"
    for name, viewport, points in (("390", PHONE, 8), ("768", TABLET, 6)):
        page = new_context(viewport=viewport, locale=locale).new_page()
        log_in(page, email, PASSWORD)
        page.goto(f"/fairs/{slug}/judging/my")
        page.screenshot(path=str(SHOTS / f"list-{language}-{name}.png"), full_page=True)
        page.goto(f"/fairs/{slug}/judging/score/{assignments[2]}")
        page.locator(f"label[for=c{criteria[0]}-{points}]").click()
        expect(page.locator("#sync-state")).not_to_be_empty()
        page.screenshot(path=str(SHOTS / f"score-{language}-{name}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
