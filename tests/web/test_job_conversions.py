"""The applications import and the booth allocation, past their size for a request, run as jobs: the page
hands the work to a job, the worker (`fair jobs work --once`) does it with progress, the data is exactly
what the inline path leaves, a failure writes nothing and shows its error, and a retry finishes it."""
import csv
import io
from collections import Counter

import pytest
import sqlalchemy as sa

from fair.applications import services as applications_services
from fair.applications import views as applications_views
from fair.applications.models import Application
from fair.audit.models import AuditEvent
from fair.auth.models import Organisation, Role
from fair.booths import placement_views, placing
from fair.booths.models import AllocationRun, Booth
from fair.extensions import db
from fair.fairs.models import Category
from fair.jobs import runner
from fair.jobs.models import Job, JobStatus
from tests.factories import make_fair, make_plan, make_shortlisted, spreadsheet, spreadsheet_row
from tests.job_support import job_of, job_url, work_once
from tests.web.test_import_export import confirm_token, upload, xlsx


@pytest.fixture
def organizer_client(client_as):
    return client_as(Role.organizer)


@pytest.fixture
def progress_calls(monkeypatch) -> list[tuple[int, int, str]]:
    """Every progress report a job makes, in order (the real report still goes to the job's row)."""
    calls = []
    real = runner.JobContext.progress

    def recording(self, done, total, message=""):
        calls.append((done, total, str(message)))
        return real(self, done, total, message)

    monkeypatch.setattr(runner.JobContext, "progress", recording)
    return calls


def download_csv(client, fair, job) -> list[list[str]]:
    response = client.get(job_url(fair, job, "/download"))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def only_job(kind: str) -> Job:
    db.session.rollback()
    return db.session.scalars(sa.select(Job).where(Job.kind == kind)).one()


# ---- the import ------------------------------------------------------------------------------------------

def import_rows(prefix: str, count: int) -> list[dict]:
    """`count` projects of 40 organisations, names starting with `prefix` so two fairs' imports compare."""
    return [spreadsheet_row(organisation_name=f"{prefix}志愿服务队{index % 40}", title=f"{prefix}社区项目{index}",
                            funding_need=1000 + index, status="草稿" if index % 3 else "已提交",
                            submitted_at="" if index % 3 else "2027-03-01 09:30")
            for index in range(count)]


def imported_state(fair, prefix: str) -> dict:
    """What an import left in a fair, with the names' prefix taken off."""
    db.session.rollback()
    rows = db.session.execute(
        sa.select(Application.title, Organisation.name, Application.funding_need_fen, Application.status,
                  Application.submitted_at, Application.created_by_id, Category.name)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(Category, Category.id == Application.category_id)
        .where(Application.fair_id == fair.id).order_by(Application.title)).all()
    events = db.session.execute(sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.after)
                                .where(AuditEvent.fair_id == fair.id, ~AuditEvent.action.startswith("jobs."))).all()
    return {
        "applications": [(title.removeprefix(prefix), name.removeprefix(prefix), *rest) for title, name, *rest in rows],
        "organisations": db.session.scalar(sa.select(sa.func.count(Organisation.id))
                                           .where(Organisation.name.startswith(prefix))),
        "events": Counter((action, actor) for action, actor, _after in events),
        "summary": [after for action, _actor, after in events if action == "applications.import.completed"],
    }


def confirm(client, fair, rows: list[dict]):
    page = upload(client, fair, xlsx(spreadsheet(rows))).get_data(as_text=True)
    assert "检查通过" in page, page
    return client.post(f"/fairs/{fair.slug}/applications/import/confirm", data={"token": confirm_token(page)})


def test_a_large_import_runs_as_a_job_and_leaves_what_the_inline_import_leaves(
        app, organizer_client, fair, organizer, progress_calls, monkeypatch):
    count = applications_views.INLINE_ROWS + 50
    confirmed = confirm(organizer_client, fair, import_rows("甲", count))
    job = only_job(applications_views.IMPORT_JOB)
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(job_url(fair, job))
    assert job.status is JobStatus.queued and db.session.scalar(sa.select(sa.func.count(Application.id))) == 0

    work_once(app)
    job = job_of(job.id)
    assert job.status is JobStatus.done, job.error
    assert (job.done, job.total) == (count, count)
    assert progress_calls[0] == (0, count, "正在检查文件")
    if db.engine.dialect.name != "sqlite":          # SQLite's one writer: no report while the rows are written
        assert progress_calls[-1][:2] == (count, count)
    assert download_csv(organizer_client, fair, job) == [["文件", "导入项目数", "新建申报单位数"],
                                                         ["projects.xlsx", str(count), "40"]]
    assert "已完成" in organizer_client.get(job_url(fair, job)).get_data(as_text=True)
    assert not list((runner.jobs_folder(app) / applications_views.UPLOADS).glob("*.upload"))   # its upload is gone

    other = make_fair(organizer, slug="other-fair")
    monkeypatch.setattr(applications_views, "INLINE_ROWS", 10_000)
    inline = confirm(organizer_client, other, import_rows("乙", count))
    assert inline.headers["Location"].endswith(f"/fairs/{other.slug}/applications")
    by_job, by_page = imported_state(fair, "甲"), imported_state(other, "乙")
    assert len(by_job["applications"]) == count and by_job["organisations"] == 40
    assert by_job == by_page


def test_a_failing_import_job_writes_nothing_shows_its_error_and_a_retry_imports(
        app, organizer_client, fair, monkeypatch):
    count = applications_services.IMPORT_CHUNK + 100              # the first chunk is flushed before the failure
    real = applications_services.new_application
    made = []

    def breaks_late(*args, **kwargs):
        made.append(1)
        if len(made) == count - 10:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(applications_services, "new_application", breaks_late)
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    confirm(organizer_client, fair, import_rows("丙", count))
    job = only_job(applications_views.IMPORT_JOB)
    work_once(app)
    job = job_of(job.id)
    assert job.status is JobStatus.failed and "重试" in job.error
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id)).where(Organisation.name.startswith("丙"))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action != "jobs.job.queued")) == before
    assert job.error in organizer_client.get(job_url(fair, job)).get_data(as_text=True)

    monkeypatch.setattr(applications_services, "new_application", real)
    assert organizer_client.post(job_url(fair, job, "/retry")).status_code == 302
    work_once(app)
    assert job_of(job.id).status is JobStatus.done
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == count


def test_a_file_that_no_longer_passes_fails_the_job_with_its_rows(app, organizer_client, fair, monkeypatch):
    rows = import_rows("丁", applications_views.INLINE_ROWS + 1)
    confirm(organizer_client, fair, rows)
    job = only_job(applications_views.IMPORT_JOB)
    # Meanwhile the same organisation applies with the same project: the job checks the file again.
    applications_services.import_applications(fair, spreadsheet([rows[7]]), actor=None)
    work_once(app)
    job = job_of(job.id)
    assert job.status is JobStatus.failed
    assert "没有导入任何项目" in job.error and "第 9 行" in job.error
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 1


def test_a_small_import_stays_in_the_request(organizer_client, fair):
    confirmed = confirm(organizer_client, fair, import_rows("戊", 3))
    assert confirmed.headers["Location"].endswith(f"/fairs/{fair.slug}/applications")
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 3


# ---- the allocation --------------------------------------------------------------------------------------

@pytest.fixture
def large_fair(fair, organizer):
    """114 booths in three zones and 105 shortlisted projects: past the inline limit."""
    make_plan(fair, rows=2, per_row=19, actor=organizer)
    for category in fair.categories[:3]:
        make_shortlisted(fair, 35, category=category)
    assert 105 > placement_views.INLINE_PROJECTS
    return fair


WEIGHTS = {"organisation": 3, "region": 2, "award": 4, "award_calibre": 20}


def placement_of(fair) -> dict[str, int | None]:
    db.session.rollback()
    return dict(db.session.execute(sa.select(Booth.code, Booth.application_id).where(Booth.fair_id == fair.id)).all())


def run_figures(fair) -> list[tuple]:
    return db.session.execute(sa.select(AllocationRun.projects, AllocationRun.locked, AllocationRun.objective,
                                        AllocationRun.optimal, AllocationRun.side_by_side, AllocationRun.weights,
                                        AllocationRun.actor_id)
                              .where(AllocationRun.fair_id == fair.id).order_by(AllocationRun.id)).all()


def allocation_events(fair) -> list[dict]:
    return [{key: value for key, value in after.items() if key not in ("run", "seconds")} | {"actor": actor}
            for actor, after in db.session.execute(
                sa.select(AuditEvent.actor_id, AuditEvent.after).where(AuditEvent.fair_id == fair.id,
                                                                       AuditEvent.action == "booth.allocation_run")
                .order_by(AuditEvent.id))]


def clear_booths(fair) -> None:
    db.session.execute(sa.update(Booth).where(Booth.fair_id == fair.id).values(application_id=None))
    db.session.commit()


def test_a_large_allocation_runs_as_a_job_and_places_as_the_inline_run_does(
        app, large_fair, organizer, organizer_client, progress_calls, monkeypatch):
    fair = large_fair
    page = organizer_client.get(f"/fairs/{fair.slug}/booths/allocation").get_data(as_text=True)
    assert "分配将在后台运行" in page
    started = organizer_client.post(f"/fairs/{fair.slug}/booths/allocation", data=WEIGHTS)
    job = only_job(placement_views.ALLOCATION_JOB)
    assert started.status_code == 302 and started.headers["Location"].endswith(job_url(fair, job))
    assert job.params["organisation"] == 3 and job.params["award_calibre"] == 20
    assert not any(placement_of(fair).values())
    page = organizer_client.get(f"/fairs/{fair.slug}/booths/allocation").get_data(as_text=True)
    assert "一次展位分配正在后台进行" in page and job_url(fair, job) in page
    again = organizer_client.post(f"/fairs/{fair.slug}/booths/allocation", data={**WEIGHTS, "region": 5})
    assert again.headers["Location"].endswith(job_url(fair, job))          # joined, not a second run
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 1

    work_once(app)
    job = job_of(job.id)
    assert job.status is JobStatus.done, job.error
    done_page = organizer_client.get(job_url(fair, job)).get_data(as_text=True)
    assert f'href="/fairs/{fair.slug}/booths/allocation"' in done_page and "返回原页面" in done_page
    assert [(done, total) for done, total, _message in progress_calls] == [(0, 3), (1, 3), (2, 3)]
    assert progress_calls[2][2] == "正在写入分配结果"
    assert (job.done, job.total) == (3, 3)
    by_job = placement_of(fair)
    assert sum(1 for project in by_job.values() if project) == 105
    summary = download_csv(organizer_client, fair, job)
    assert summary[0][:3] == ["分配时间", "项目数", "锁定展位"] and summary[1][1:3] == ["105", "0"]

    clear_booths(fair)
    monkeypatch.setattr(placement_views, "INLINE_PROJECTS", 10_000)
    inline = organizer_client.post(f"/fairs/{fair.slug}/booths/allocation", data=WEIGHTS)
    assert inline.headers["Location"].endswith(f"/fairs/{fair.slug}/booths/allocation")
    assert placement_of(fair) == by_job
    first, second = run_figures(fair)
    assert first == second and first.actor_id == organizer.id
    assert allocation_events(fair)[0] == allocation_events(fair)[1]


def test_a_failing_allocation_job_writes_nothing_and_a_retry_places(app, large_fair, organizer_client, monkeypatch):
    fair = large_fair
    organizer_client.post(f"/fairs/{fair.slug}/booths/allocation", data=WEIGHTS)
    job = only_job(placement_views.ALLOCATION_JOB)

    def audit_fails(*args, **kwargs):            # after the booths are flushed, before the commit
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(placing, "audit", audit_fails)
    work_once(app)
    job = job_of(job.id)
    assert job.status is JobStatus.failed and job.error
    assert not any(placement_of(fair).values())
    assert db.session.scalar(sa.select(sa.func.count(AllocationRun.id))) == 0
    assert job.error in organizer_client.get(job_url(fair, job)).get_data(as_text=True)

    monkeypatch.undo()
    organizer_client.post(job_url(fair, job, "/retry"))
    work_once(app)
    assert job_of(job.id).status is JobStatus.done
    assert sum(1 for project in placement_of(fair).values() if project) == 105


def test_an_impossible_plan_fails_the_job_with_the_reasons(app, fair, organizer, organizer_client):
    make_plan(fair, rows=1, per_row=19, actor=organizer)
    make_shortlisted(fair, 101, category=fair.categories[0])            # 19 booths take them
    organizer_client.post(f"/fairs/{fair.slug}/booths/allocation", data=WEIGHTS)
    job = only_job(placement_views.ALLOCATION_JOB)
    work_once(app)
    job = job_of(job.id)
    assert job.status is JobStatus.failed
    assert "没有能满足全部硬性条件的分配方案" in job.error and "101" in job.error
    assert not any(placement_of(fair).values())


def test_a_small_allocation_stays_in_the_request(fair, organizer, organizer_client):
    make_plan(fair, rows=1, per_row=3, actor=organizer)
    make_shortlisted(fair, 3, category=fair.categories[0])
    done = organizer_client.post(f"/fairs/{fair.slug}/booths/allocation", data=WEIGHTS)
    assert done.headers["Location"].endswith(f"/fairs/{fair.slug}/booths/allocation")
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
    assert sum(1 for project in placement_of(fair).values() if project) == 3
