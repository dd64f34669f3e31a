"""Photos and documents on an application: type from the content, stored outside static/ under random names,
served only to those who may read the application, with headers that keep the browser from running them."""
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from fair.applications import services
from fair.applications.models import Application, ApplicationStatus, Attachment, AttachmentKind, ReviewAssignment
from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.extensions import db
from tests.conftest import log_in
from tests.factories import make_application, make_fair, make_member, make_organisation

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 500 + b"This program cannot be run in DOS mode."


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def draft(open_fair, organisation):
    return make_application(open_fair, organisation, submit=False)


def upload_url(application) -> str:
    return f"/fairs/{application.fair.slug}/applications/{application.id}/attachments"


def file_url(attachment) -> str:
    return f"{upload_url(attachment.application)}/{attachment.id}"


def upload(client, application, content: bytes, name: str, kind: str = "document"):
    return client.post(upload_url(application), data={"kind": kind, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def stored() -> list[Attachment]:
    db.session.rollback()
    return db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()


def test_a_photo_is_kept_under_a_random_name_outside_static(app, exhibitor, draft):
    response = upload(exhibitor, draft, png(), "活动现场.png", "photo")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applications/{draft.id}/edit#attachments")
    [attachment] = stored()
    assert (attachment.kind, attachment.content_type, attachment.original_name) == (
        AttachmentKind.photo, "image/png", "活动现场.png")
    path = services.attachment_path(attachment)
    assert path.read_bytes() == png() and attachment.size == len(png())
    assert "活动现场" not in path.name and path.suffix == ".png" and len(path.stem) == 32
    assert Path(app.config["FAIR_UPLOAD_DIR"]) == path.parent
    assert Path(app.static_folder) not in path.parents
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "applications.attachment.created"))
    assert event.fair_id == draft.fair_id and event.after["name"] == "活动现场.png"


def test_the_file_comes_back_with_safe_headers(exhibitor, draft):
    upload(exhibitor, draft, PDF, "年度报告.pdf")
    upload(exhibitor, draft, png(), "photo.png", "photo")
    document, photo = stored()
    response = exhibitor.get(file_url(document))
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "private" in response.headers["Cache-Control"]
    shown = exhibitor.get(file_url(photo))
    assert shown.mimetype == "image/png" and shown.headers["Content-Disposition"].startswith("inline;")


def test_the_type_comes_from_the_content_not_the_name(exhibitor, draft):
    upload(exhibitor, draft, PDF, "scan.png")
    [attachment] = stored()
    assert attachment.content_type == "application/pdf"
    disposition = exhibitor.get(file_url(attachment)).headers["Content-Disposition"]
    assert "scan.png.pdf" in disposition                # the saved name ends as what it is


def refused(client, application, content: bytes, name: str, message: str, kind: str = "document", status=400):
    response = upload(client, application, content, name, kind)
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert f'id="file-error">{message}' in page
    assert stored() == []
    return page


def test_a_program_renamed_pdf_is_refused(app, exhibitor, draft):
    folder = Path(app.config["FAIR_UPLOAD_DIR"])
    before = set(folder.glob("*"))
    refused(exhibitor, draft, PROGRAM, "项目简介.pdf", "“项目简介.pdf”是可执行程序，不是 PDF、JPG 或 PNG 文件，不能上传。")
    assert set(folder.glob("*")) == before      # not even for a moment on disk


@pytest.mark.parametrize("content, name, message", [
    (b"<html><script>alert(1)</script></html>", "photo.png", "“photo.png”不是 PDF、JPG 或 PNG 文件"),
    (PDF[:-7], "cut.pdf", "“cut.pdf”已损坏或不完整"),
    (png()[:50], "broken.png", "“broken.png”已损坏或不完整"),
    (b"", "empty.pdf", "“empty.pdf”是空文件。"),
])
def test_other_content_is_refused_with_a_reason(exhibitor, draft, content, name, message):
    refused(exhibitor, draft, content, name, message)


def test_a_pdf_is_kept_as_a_document_even_when_photo_was_ticked(exhibitor, draft):
    assert upload(exhibitor, draft, PDF, "brochure.pdf", "photo").status_code == 302
    assert [attachment.kind for attachment in stored()] == [AttachmentKind.document]


def test_no_file_chosen(exhibitor, draft):
    response = exhibitor.post(upload_url(draft), data={"kind": "photo"}, content_type="multipart/form-data")
    assert response.status_code == 400 and 'id="file-error">请选择要上传的文件。' in response.get_data(as_text=True)


def test_a_file_over_the_limit_gets_the_413_page(app, exhibitor, draft):
    too_big = PDF[:-6] + b"\0" * app.config["MAX_CONTENT_LENGTH"] + b"%%EOF\n"
    response = upload(exhibitor, draft, too_big, "huge.pdf")
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)
    assert stored() == []


def test_a_file_just_over_10_mb_is_refused_next_to_the_field(app, exhibitor, draft):
    limit = app.config["FAIR_MAX_UPLOAD_BYTES"]
    assert limit == 10 * 1024 * 1024
    refused(exhibitor, draft, PDF[:-6] + b"\0" * (limit - len(PDF) + 7) + b"%%EOF\n", "big.pdf",
            "“big.pdf”超过 10 MB，请压缩后上传。")


def test_nothing_is_added_once_submitted(exhibitor, open_fair, organisation):
    submitted = make_application(open_fair, organisation)
    refused(exhibitor, submitted, PDF, "late.pdf", "申报已提交，不能再修改；如需修改，请联系组织方退回。")


def test_deleting_while_editable_removes_row_and_file(exhibitor, draft):
    upload(exhibitor, draft, PDF, "old.pdf")
    [attachment] = stored()
    path = services.attachment_path(attachment)
    response = exhibitor.post(f"{file_url(attachment)}/delete")
    assert response.status_code == 302
    assert stored() == [] and not path.exists()
    assert db.session.scalar(sa.select(AuditEvent.action).where(
        AuditEvent.action == "applications.attachment.deleted")) is not None


def test_deleting_after_submission_is_refused(exhibitor, draft):
    upload(exhibitor, draft, PDF, "kept.pdf")
    services.submit_application(db.session.get(Application, draft.id), actor=None)
    [attachment] = stored()
    page = exhibitor.post(f"{file_url(attachment)}/delete", follow_redirects=True).get_data(as_text=True)
    assert "不能再修改" in page
    assert len(stored()) == 1 and services.attachment_path(attachment).exists()


def test_who_may_download(app, client_as, exhibitor, open_fair, organisation, draft):
    upload(exhibitor, draft, PDF, "鼓楼区阳光志愿服务队简介.pdf")
    [attachment] = stored()
    target = file_url(attachment)
    other_exhibitor = log_in(app.test_client(), make_member(open_fair, Role.exhibitor,
                                                            organisation=make_organisation()))
    assert other_exhibitor.get(target).status_code == 403
    assert other_exhibitor.post(f"{target}/delete").status_code == 403
    assert client_as(Role.judge).get(target).status_code == 403
    assert client_as(Role.organizer).get(target).status_code == 200
    reviewer = make_member(open_fair, Role.reviewer)
    reviewer_client = log_in(app.test_client(), reviewer)
    assert reviewer_client.get(target).status_code == 403
    db.session.add(ReviewAssignment(application_id=draft.id, reviewer=reviewer))
    db.session.commit()
    assert "%E7%AE%80%E4%BB%8B.pdf" in reviewer_client.get(target).headers["Content-Disposition"]
    open_fair.blind_screening = True
    db.session.commit()
    blind = reviewer_client.get(target)
    assert blind.status_code == 200 and f"attachment-{attachment.id}.pdf" in blind.headers["Content-Disposition"]
    assert "阳光" not in reviewer_client.get(
        f"/fairs/{open_fair.slug}/applications/{draft.id}").get_data(as_text=True)
    assert len(stored()) == 1


def test_no_file_of_another_fair_or_application_is_reachable(client_as, organizer, exhibitor, open_fair,
                                                             organisation, draft):
    upload(exhibitor, draft, PDF, "a.pdf")
    [attachment] = stored()
    other_draft = make_application(open_fair, organisation, submit=False)
    assert exhibitor.get(f"{upload_url(other_draft)}/{attachment.id}").status_code == 404
    other = make_fair(organizer, slug="other-fair")
    assert client_as(Role.organizer).get(
        f"/fairs/{other.slug}/applications/{draft.id}/attachments/{attachment.id}").status_code == 404


def test_the_edit_page_lists_files_and_the_page_shows_them(exhibitor, open_fair, draft):
    upload(exhibitor, draft, png(), "合影.png", "photo")
    [attachment] = stored()
    edit = exhibitor.get(f"/fairs/{open_fair.slug}/applications/{draft.id}/edit").get_data(as_text=True)
    assert "合影.png" in edit and f'action="{file_url(attachment)}/delete"' in edit
    assert 'enctype="multipart/form-data"' in edit
    page = exhibitor.get(f"/fairs/{open_fair.slug}/applications/{draft.id}").get_data(as_text=True)
    assert f'src="{file_url(attachment)}"' in page and f'{file_url(attachment)}/delete' not in page
    assert draft.status == ApplicationStatus.draft
