"""Each demo role sees its own navigation; only the organizer gets the fair's management pages."""
import pytest
from playwright.sync_api import expect

from fair.auth.models import Role
from fair.demo import DEMO_SLUG, PEOPLE
from tests.browser.conftest import log_in

ORGANIZER_NAV = ["设置"]             # the settings group; its pages are tabs on the settings pages
ORGANIZER_BUTTONS = ["编辑展会信息", "人员与邀请", "审计日志"]


@pytest.mark.parametrize("email,name,roles", [(email, name, roles) for email, name, _o, roles, _a in PEOPLE],
                         ids=[roles[0].value for *_r, roles, _a in PEOPLE])
def test_each_role_sees_its_own_navigation(page, demo, email, name, roles):
    log_in(page, email)
    expect(page.locator("#user-menu")).to_have_text(name)
    page.get_by_role("link", name=demo.fair.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(demo.fair.name)

    nav = page.get_by_role("navigation")       # the main bar and the fair's own bar
    expect(nav.get_by_role("link", name="概览")).to_be_visible()
    for role in roles:
        expect(page.locator("dd .badge", has_text=role.label)).to_be_visible()
    main = page.locator("main")
    for label in ORGANIZER_NAV:
        if Role.organizer in roles:
            expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
        else:
            expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)
    for label in ORGANIZER_BUTTONS:
        expect(main.get_by_role("link", name=label)).to_have_count(1 if Role.organizer in roles else 0)
    expect(main.get_by_role("heading", name="阶段管理")).to_have_count(1 if Role.organizer in roles else 0)
    admin = Role.organizer in roles
    expect(nav.get_by_role("link", name="新建展会")).to_have_count(1 if admin else 0)

    if not admin:
        # The pages behind the hidden links refuse too, saying why.
        page.goto(f"/fairs/{DEMO_SLUG}/edit")
        expect(page.get_by_role("heading", level=1)).to_have_text("无权访问")
        expect(page.locator(".error-message")).to_contain_text("组织方")
