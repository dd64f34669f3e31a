"""Gate staff scan: a handheld scanner types a code and Enter, the answer fills the screen green, amber or red;
the network drops, a code is checked in the page (signature, revoked list, this device's own list) and queued,
and synced exactly once when the network is back; the camera decodes a real QR code through the vendored
decoder. The page's first load stays under 200 KB (the camera's decoder loads only when it is started)."""
import io
import re
from pathlib import Path

import pytest
import segno
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from fair.auth.models import Role
from fair.extensions import db
from fair.visitors import services, tickets
from fair.visitors.models import Checkin, PointKind, Policy
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, TIMEOUT_MS, log_in
from tests.factories import PASSWORD, make_member, make_user
from tests.visitor_factories import make_point, make_scannable_ticket
from tests.web.test_scan_page import running_fair

TABLET = {"width": 768, "height": 1024}
BUDGET = 200_000                        # bytes on the wire, the scan page's first load
SHOTS = Path("/tmp/shots/scan")


@pytest.fixture
def gate_fair():
    """A fair running today with an offline-capable gate and a kayak activity that may not scan offline;
    returns (fair, staff e-mail)."""
    fair = running_fair(make_user(is_admin=True))
    make_point(fair, "east-gate", name="东门", name_en="East gate", kind=PointKind.entry, policy=Policy.daily,
               offline_allowed=True)
    make_point(fair, "kayak", name="皮划艇", name_en="Kayaking", kind=PointKind.activity, capacity=30)
    make_member(fair, Role.gate_staff, email="gate@example.cn", name="王检票")
    return fair, "gate@example.cn"


def transferred(requests) -> int:
    """Bytes on the wire: each response's headers and body as received (the dev server does not compress)."""
    return sum(sizes["responseHeadersSize"] + max(sizes["responseBodySize"], 0)
               for sizes in (request.sizes() for request in requests))


def admissions(code: str) -> list[Checkin]:
    db.session.rollback()               # a fresh snapshot: the live server wrote in its own transactions
    return db.session.scalars(sa.select(Checkin).where(Checkin.raw_code == code, Checkin.reason == "ok")).all()


def open_scan_page(context, fair, email):
    page = context.new_page()
    log_in(page, email, PASSWORD)
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    page.goto(f"/fairs/{fair.slug}/scan")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => Object.keys(localStorage).some(k => k.endsWith(':kit'))")
    return page, requests


def type_code(page, code: str) -> None:
    field = page.locator("#scan-code")
    expect(field).to_be_focused()       # a handheld scanner types into the focused field
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def expected_noise(message: str) -> bool:
    """Chromium logs a fetch's 4xx as a failed load: refusals answer 400/409 on purpose, as the device API does."""
    return "status of 400" in message or "status of 409" in message


def test_a_handheld_scanner_online_then_offline_and_the_sync(new_context, problems, gate_fair):
    fair, email = gate_fair
    ticket, code = make_scannable_ticket(fair, name="李华")
    revoked, revoked_code = make_scannable_ticket(fair)
    services.revoke_ticket(revoked, "丢失", actor=None)
    _later, offline_code = make_scannable_ticket(fair, name="赵敏")
    _group, group_code = make_scannable_ticket(fair, group_size=6, group_name="实验小学")
    context = new_context(viewport=PHONE)
    page, requests = open_scan_page(context, fair, email)
    first_load = transferred(requests)
    print(f"scan page, first load: {first_load} bytes in {len(requests)} responses")
    assert first_load < BUDGET
    assert not [request.url for request in requests if "/vendor/" in request.url]     # the decoder is lazy

    result = page.locator("#result")
    page.locator("#scan-point").select_option("east-gate")
    type_code(page, code)
    expect(result).to_have_attribute("data-reason", "ok")
    expect(result).to_have_class(re.compile(r"\bresult-ok\b"))
    expect(page.locator("#result-reason")).to_have_text("可以入场")
    expect(page.locator("#result-who")).to_have_text("普通观众 · 李华")

    type_code(page, code)
    expect(result).to_have_attribute("data-reason", "already_redeemed")
    expect(result).to_have_class(re.compile(r"\bresult-warn\b"))
    expect(page.locator("#result-detail")).to_contain_text("首次签到：")

    type_code(page, revoked_code)
    expect(result).to_have_attribute("data-reason", "revoked")
    expect(result).to_have_class(re.compile(r"\bresult-bad\b"))
    expect(page.locator("#result-reason")).to_have_text("入场码已作废")

    page.locator("#scan-people").fill("4")              # four of the six are here
    page.locator("#scan-code").focus()
    type_code(page, group_code)
    expect(page.locator("#result-detail")).to_contain_text("团体 6 人，本次 4 人")
    expect(page.locator("#result-detail")).to_contain_text("还有 2 人未到")

    context.set_offline(True)                           # the gate's network drops
    expect(page.locator("#net-state")).to_be_visible()
    type_code(page, offline_code)
    expect(result).to_have_attribute("data-reason", "ok")
    expect(result).to_have_attribute("data-offline", "true")
    expect(page.locator("#result-badge")).to_have_text("离线")
    expect(page.locator("#sync-state")).to_have_text("待同步 1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "offline-zh-390.png"), animations="disabled")
    type_code(page, offline_code)                       # this device remembers what it admitted
    expect(result).to_have_attribute("data-reason", "already_redeemed")
    expect(page.locator("#result-detail")).to_contain_text("首次签到：")
    type_code(page, revoked_code)                       # the kit's revoked list
    expect(result).to_have_attribute("data-reason", "revoked")
    type_code(page, code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB"))    # the signature fails
    expect(result).to_have_attribute("data-reason", "invalid")
    type_code(page, code)                               # admitted online before: known here too
    expect(result).to_have_attribute("data-reason", "already_redeemed")
    expect(page.locator("#sync-state")).to_have_text("待同步 1")
    assert admissions(offline_code) == []

    page.locator("#scan-point").select_option("kayak")
    page.locator("#scan-code").focus()
    expect(page.locator("#point-hint")).to_have_text("此签到点不能离线签到")
    type_code(page, offline_code)
    expect(page.locator("#result-reason")).to_have_text("网络中断，此签到点不能离线签到")
    expect(result).to_have_class(re.compile(r"\bresult-bad\b"))
    page.locator("#result").click()                     # a tap clears the answer: the page behind it
    page.screenshot(path=str(SHOTS / "offline-refused-zh-390.png"), full_page=True, animations="disabled")

    context.set_offline(False)                          # back: the queue goes out once
    expect(page.locator("#sync-state")).to_have_attribute("data-pending", "0", timeout=TIMEOUT_MS)
    expect(page.locator("#net-state")).to_be_hidden()
    stored = admissions(offline_code)
    assert len(stored) == 1 and stored[0].offline and stored[0].staff_id is not None
    page.reload()                                       # nothing left to send twice
    page.wait_for_load_state("networkidle")
    expect(page.locator("#sync-state")).to_have_attribute("data-pending", "0")
    assert len(admissions(offline_code)) == 1
    assert [m for m in problems.messages if not expected_noise(m)] == []


def qr_video(text: str, path: Path) -> Path:
    """A Y4M clip (what Chromium's fake camera plays) showing the QR code for `text`, as a phone would see a
    ticket held up to it."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=6, border=4)
    code = Image.open(buffer).convert("L")
    frame = Image.new("L", (640, 480), 255)
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
    chroma = [plane.resize((320, 240)).tobytes() for plane in (cb, cr)]
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            out.write(b"FRAME\n" + y.tobytes() + chroma[0] + chroma[1])
    return path


def test_the_camera_decodes_a_real_qr_code_with_the_vendored_decoder(browser, chromium_path, live_server, problems,
                                                                     gate_fair, tmp_path):
    fair, email = gate_fair
    _ticket, code = make_scannable_ticket(fair, name="孙丽")
    clip = qr_video(code, tmp_path / "ticket.y4m")
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={clip}"]
    with_camera = browser.browser_type.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS + camera)
    try:
        context = with_camera.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", problems.watch)
        page, requests = open_scan_page(context, fair, email)
        page.locator("#scan-point").select_option("east-gate")
        requests.clear()
        page.locator("#camera-toggle").click()
        expect(page.locator("#camera")).to_be_visible()
        expect(page.locator("#result")).to_have_attribute("data-reason", "ok")
        expect(page.locator("#result-who")).to_have_text("普通观众 · 孙丽")
        expect(page.locator("#camera-toggle")).to_have_text("关闭摄像头")
        loaded = [request.url.rsplit("/", 1)[-1] for request in requests if "/vendor/" in request.url]
        assert "qr-scanner.min.js" in loaded            # loaded now, when the camera started
        print(f"camera decoder, loaded lazily: {transferred(requests)} bytes")
        assert len(admissions(code)) == 1
        page.locator("#result").click()                 # a tap clears the answer off the screen
        expect(page.locator("#result")).not_to_have_class(re.compile("result-cover"))
        page.locator("#camera-toggle").click()
        expect(page.locator("#camera")).to_be_hidden()
        assert problems.messages == []
    finally:
        with_camera.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_screenshots(new_context, gate_fair, locale):
    fair, email = gate_fair
    SHOTS.mkdir(parents=True, exist_ok=True)
    language = "zh" if locale == "zh-CN" else "en"
    for name, viewport in (("390", PHONE), ("768", TABLET)):
        _ticket, code = make_scannable_ticket(fair, group_size=12, group_name="实验小学")
        page, _requests = open_scan_page(new_context(viewport=viewport, locale=locale), fair, email)
        page.locator("#scan-point").select_option("east-gate")
        page.screenshot(path=str(SHOTS / f"idle-{language}-{name}.png"), full_page=True, animations="disabled")
        page.locator("#scan-people").fill("10")
        page.locator("#scan-code").focus()
        type_code(page, code)
        expect(page.locator("#result")).to_have_attribute("data-reason", "ok")
        page.screenshot(path=str(SHOTS / f"ok-{language}-{name}.png"), full_page=True, animations="disabled")
        page.locator("#scan-people").fill("5")          # more than the two still to come
        page.locator("#scan-code").focus()
        type_code(page, code)
        expect(page.locator("#result")).to_have_attribute("data-reason", "already_redeemed")
        page.screenshot(path=str(SHOTS / f"repeat-{language}-{name}.png"), full_page=True, animations="disabled")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_the_vendored_verifier_for_browsers_without_webcrypto_ed25519(new_context, gate_fair):
    """Older phones' WebCrypto lacks Ed25519: scan.js then loads noble-ed25519, which must tell a genuine
    signature from a forged one the same way."""
    import base64

    fair, email = gate_fair
    _ticket, code = make_scannable_ticket(fair)
    raw = base64.b32decode(code[len(tickets.PREFIX):] + "=" * (-len(code[len(tickets.PREFIX):]) % 8))
    data, signature = raw[:tickets.PAYLOAD_BYTES], raw[tickets.PAYLOAD_BYTES:]
    key = services.public_keys(fair)[1]
    page, _requests = open_scan_page(new_context(), fair, email)
    verify = """async ([data, signature, key]) => {
        const bytes = text => Uint8Array.from(atob(text), c => c.charCodeAt(0));
        const noble = await import('/static/vendor/noble-ed25519/index.js');
        const forged = bytes(signature); forged[0] ^= 1;
        return [await noble.verifyAsync(bytes(signature), bytes(data), bytes(key)),
                await noble.verifyAsync(forged, bytes(data), bytes(key))];
    }"""
    arguments = [base64.b64encode(part).decode() for part in (data, signature, key)]
    assert page.evaluate(verify, arguments) == [True, False]
