"""Background jobs: a batch link offers a job, the worker (`fair jobs work --once`) makes the file, the job page
shows progress and then the download; cancel (queued and running), failure with its message and no partial
files, retry; two workers never take one job; who may see and download a job."""
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from fair.audit.models import AuditEvent
from fair.auth.models import Role
from fair.booths import placing
from fair.extensions import db
from fair.jobs import runner
from fair.jobs import views as jobs_views
from fair.jobs.models import Job, JobStatus
from fair.visitors import services as visitor_services
from fair.visitors.models import VisitorKind
from tests.conftest import log_in, queries_for
from tests.factories import make_fair, make_member, make_plan, make_shortlisted
from tests.job_support import job_of, job_url, work_once
from tests.pdfs import flat, pdf_pages, qr_texts
from tests.visitor_factories import visiting_fair
from tests.web.test_certificates import frozen


# ---- test kinds: a job that steps when told, and one that fails until told not to ------------------------

class Steps:
    """`test.steps`: three steps, each writing a partial file, each waiting for `go` to be set."""
    go = threading.Event()
    reached = threading.Semaphore(0)


def steps_job(context: runner.JobContext) -> runner.Result:
    context.folder.mkdir(parents=True, exist_ok=True)
    for step in range(3):
        (context.folder / f"part-{step}").write_bytes(b"partial")
        context.progress(step, 3, f"第 {step + 1} 步")
        Steps.reached.release()
        assert Steps.go.wait(10)
    context.progress(3, 3, "写文件")
    return runner.Result("三步完成".encode(), "steps.txt", "text/plain")


FAILING = {"left": 0, "unexpected": False}


def failing_job(context: runner.JobContext) -> runner.Result:
    context.folder.mkdir(parents=True, exist_ok=True)
    (context.folder / "half.pdf").write_bytes(b"%PDF-half")
    if FAILING["left"] > 0:
        FAILING["left"] -= 1
        if FAILING["unexpected"]:
            raise KeyError("secret_internal_key")
        raise runner.JobError("打印机没纸了")
    return runner.Result(b"ok", "ok.txt", "text/plain")


runner.register("test.steps", steps_job, "测试：分步")
runner.register("test.fails", failing_job, "测试：会失败")


@pytest.fixture(autouse=True)
def _reset():
    Steps.go.clear()
    Steps.reached = threading.Semaphore(0)
    FAILING.update(left=0, unexpected=False)
    yield
    Steps.go.set()                                  # a thread still waiting ends


def in_thread(app, target) -> threading.Thread:
    def body():
        with app.app_context():
            target()
    thread = threading.Thread(target=body)
    thread.start()
    return thread


@pytest.fixture
def placed(fair, organizer):
    hall, zones, booths = make_plan(fair, rows=1, per_row=3)
    projects = make_shortlisted(fair, 2, category=fair.categories[0])
    for booth, project in zip((booths[0], booths[2]), projects):
        placing.assign(booth, project, actor=organizer, version=None)
    return hall, booths, projects


# ---- the whole flow -------------------------------------------------------------------------------------

def test_the_signage_goes_through_a_job_to_a_real_pdf(app, client_as, fair, placed, monkeypatch):
    monkeypatch.setattr(jobs_views, "SMALL_BATCH", 2)
    _hall, _booths, projects = placed
    client = client_as(Role.organizer)
    offer = client.get(f"/fairs/{fair.slug}/signage.pdf")
    assert offer.status_code == 200 and "共 9 个展位" in offer.get_data(as_text=True)
    started = client.post(f"/fairs/{fair.slug}/signage.pdf")
    assert started.status_code == 302
    job = db.session.scalar(sa.select(Job))
    assert started.headers["Location"].endswith(job_url(fair, job))
    assert job.status is JobStatus.queued and job.kind == "booths.signage"
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_type == "job")) == "jobs.job.queued"
    assert client.post(f"/fairs/{fair.slug}/signage.pdf").headers["Location"] == started.headers["Location"]

    output = work_once(app)
    assert f"#{job.id} booths.signage  9/9" in output and "done" in output and "Ran 1 job(s)" in output
    state = client.get(job_url(fair, job, ".json")).get_json()
    assert state["status"] == "done" and state["percent"] == 100 and (state["done"], state["total"]) == (9, 9)
    page = client.get(job_url(fair, job)).get_data(as_text=True)
    assert state["download_url"] in page and "已完成" in page

    download = client.get(state["download_url"])
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    pages = pdf_pages(download.data)
    assert len(pages) == 9 and "A-01" in flat(pages[0]) and projects[0].title in flat(pages[0])
    assert qr_texts(download.data) == [f"http://localhost/fairs/{fair.slug}/projects/{projects[0].id}"]
    assert job_of(job.id).result_path == f"{job.id}/signage-{fair.slug}.pdf"


def test_a_small_batch_still_comes_at_once(client_as, fair, placed):
    response = client_as(Role.organizer).get(f"/fairs/{fair.slug}/signage.pdf")
    assert response.mimetype == "application/pdf" and db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_the_certificates_go_through_a_job(app, client_as, fair, organizer, monkeypatch):
    monkeypatch.setattr(jobs_views, "SMALL_BATCH", 1)
    monkeypatch.setitem(app.config, "FAIR_JOBS_INLINE", True)
    frozen(fair, organizer)
    client = client_as(Role.organizer)
    assert "共 3 张证书" in client.get(f"/fairs/{fair.slug}/judging/certificates.pdf").get_data(as_text=True)
    started = client.post(f"/fairs/{fair.slug}/judging/certificates.pdf")
    state = client.get(started.headers["Location"] + ".json").get_json()
    assert state["status"] == "done", state
    pages = pdf_pages(client.get(state["download_url"]).data)
    assert len(pages) == 3 and "金奖" in pages[0] and "银奖" in pages[2]


def test_a_groups_tickets_go_through_a_job(app, client_as, fair, organizer, monkeypatch):
    monkeypatch.setattr(jobs_views, "SMALL_BATCH", 2)
    monkeypatch.setitem(app.config, "FAIR_JOBS_INLINE", True)
    visiting_fair(fair)
    visitor_services.issue_group_passes(fair, "南京一中", 5, VisitorKind.group, actor=organizer)
    client = client_as(Role.organizer)
    url = f"/fairs/{fair.slug}/visitors/tickets/group.pdf?group=南京一中&per_page=4"
    assert "共 5 张有效入场码，每页 4 张" in client.get(url).get_data(as_text=True)
    state = client.get(client.post(url).headers["Location"] + ".json").get_json()
    assert state["status"] == "done" and state["total"] == 5
    assert len(pdf_pages(client.get(state["download_url"]).data)) == 2


# ---- progress, cancel, failure, retry -----------------------------------------------------------------------

def test_progress_is_visible_while_the_job_runs(app, client_as, fair, organizer):
    job = runner.enqueue(fair, "test.steps", {}, organizer)
    client = client_as(Role.organizer)
    worker = in_thread(app, lambda: runner.run(runner.claim_next("test-worker")))
    assert Steps.reached.acquire(timeout=10)
    state = client.get(job_url(fair, job, ".json")).get_json()
    assert state["status"] == "running" and state["total"] == 3 and state["message"].startswith("第")
    assert state["can_cancel"] and not state["download_url"]
    page = client.get(job_url(fair, job)).get_data(as_text=True)
    assert 'data-url="' + job_url(fair, job, ".json") + '"' in page and "js/jobs.js" in page
    Steps.go.set()
    worker.join(10)
    done = client.get(job_url(fair, job, ".json")).get_json()
    assert done["status"] == "done" and client.get(done["download_url"]).data.decode() == "三步完成"


def test_a_queued_job_is_cancelled_at_once(app, client_as, fair, organizer):
    job = runner.enqueue(fair, "test.steps", {}, organizer)
    response = client_as(Role.organizer).post(job_url(fair, job, "/cancel"))
    assert response.status_code == 302
    assert job_of(job.id).status is JobStatus.cancelled
    assert "Ran 0 job(s)" in work_once(app)
    assert "jobs.job.cancelled" in db.session.scalars(sa.select(AuditEvent.action)).all()


def test_a_running_job_stops_at_its_next_step_and_leaves_no_files(app, client_as, fair, organizer):
    job = runner.enqueue(fair, "test.steps", {}, organizer)
    worker = in_thread(app, lambda: runner.run(runner.claim_next("test-worker")))
    assert Steps.reached.acquire(timeout=10)
    folder = Path(app.instance_path) / "jobs" / str(job.id)
    assert (folder / "part-0").exists()
    client = client_as(Role.organizer)
    client.post(job_url(fair, job, "/cancel"))
    state = client.get(job_url(fair, job, ".json")).get_json()
    assert state["status"] == "running" and state["cancelling"] and not state["can_cancel"]
    Steps.go.set()
    worker.join(10)
    assert job_of(job.id).status is JobStatus.cancelled and not folder.exists()
    assert client.get(job_url(fair, job, ".json")).get_json()["can_retry"]


def test_a_failure_shows_its_message_removes_partial_files_and_can_be_retried(app, client_as, fair, organizer):
    FAILING["left"] = 1
    job = runner.enqueue(fair, "test.fails", {}, organizer)
    assert "failed  打印机没纸了" in work_once(app)
    assert not (Path(app.instance_path) / "jobs" / str(job.id)).exists()
    client = client_as(Role.organizer)
    page = client.get(job_url(fair, job)).get_data(as_text=True)
    assert "打印机没纸了" in page and "Traceback" not in page and "/retry" in page
    assert client.get(job_url(fair, job, "/download")).status_code == 404

    assert client.post(job_url(fair, job, "/retry")).status_code == 302
    assert job_of(job.id).status is JobStatus.queued and job_of(job.id).error == ""
    work_once(app)
    retried = job_of(job.id)
    assert retried.status is JobStatus.done and retried.attempts == 2
    assert client.get(job_url(fair, job, "/download")).data == b"ok"


def test_an_unexpected_error_is_a_sentence_not_a_traceback(app, client_as, fair, organizer):
    FAILING.update(left=1, unexpected=True)
    job = runner.enqueue(fair, "test.fails", {}, organizer)
    work_once(app)
    failed = job_of(job.id)
    assert failed.status is JobStatus.failed and "重试" in failed.error and "secret_internal_key" not in failed.error


def test_only_a_finished_job_can_be_retried_and_only_an_unfinished_one_cancelled(client_as, fair, organizer):
    job = runner.enqueue(fair, "test.steps", {}, organizer)
    client = client_as(Role.organizer)
    client.post(job_url(fair, job, "/retry"))
    assert job_of(job.id).status is JobStatus.queued
    assert "只有失败或已取消的任务可以重试" in client.get(job_url(fair, job)).get_data(as_text=True)
    client.post(job_url(fair, job, "/cancel"))
    client.post(job_url(fair, job, "/cancel"))
    assert "该任务已经结束，不能取消" in client.get(job_url(fair, job)).get_data(as_text=True)


# ---- two workers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("queued", [1, 2])
def test_two_workers_never_take_the_same_job(app, fair, organizer, monkeypatch, queued):
    """Both workers see the same candidates (a barrier holds them until both have looked), then race."""
    ids = {runner.enqueue(fair, "test.steps", {}, organizer).id for _ in range(queued)}
    looked = threading.Barrier(2, timeout=10)
    original = runner._candidates

    def candidates_then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        looked.wait()
        return found

    monkeypatch.setattr(runner, "_candidates", candidates_then_wait)
    taken: list = []

    def take(name):
        job = runner.claim_next(name)
        taken.append(job.id if job else None)

    threads = [in_thread(app, lambda name=name: take(name)) for name in ("one", "two")]
    for thread in threads:
        thread.join(10)
    claimed = [job_id for job_id in taken if job_id is not None]
    assert len(taken) == 2 and len(claimed) == queued and len(set(claimed)) == queued and set(claimed) == ids
    assert db.session.scalar(sa.select(sa.func.sum(Job.attempts))) == queued


# ---- who may see what -------------------------------------------------------------------------------------

def test_download_and_pages_are_for_the_fairs_organizers_or_the_requester(app, client, client_as, fair, organizer):
    job = runner.enqueue(fair, "test.fails", {}, organizer)
    work_once(app)
    for path in ("", ".json", "/download"):
        assert client_as(Role.reviewer).get(job_url(fair, job, path)).status_code == 403
        assert client.get(job_url(fair, job, path)).status_code == 302
    assert client_as(Role.reviewer).post(job_url(fair, job, "/retry")).status_code == 403
    assert client_as(Role.reviewer).get(f"/fairs/{fair.slug}/jobs/").status_code == 403

    requester = make_member(fair, Role.reviewer)
    own = runner.enqueue(fair, "test.fails", {}, requester)
    work_once(app)
    assert log_in(app.test_client(), requester).get(job_url(fair, own, "/download")).data == b"ok"


def test_another_fairs_job_is_not_found(app, client_as, fair, organizer):
    other = make_fair(organizer)
    job = runner.enqueue(other, "test.fails", {}, organizer)
    work_once(app)
    client = client_as(Role.organizer)
    for path in ("", ".json", "/download"):
        assert client.get(job_url(fair, job, path)).status_code == 404
    assert client.post(job_url(fair, job, "/cancel")).status_code == 404
    assert client.get(job_url(fair, 999999)).status_code == 404


def test_the_list_shows_each_job_with_a_bounded_number_of_queries(app, client_as, fair, organizer):
    FAILING["left"] = 1
    runner.enqueue(fair, "test.fails", {}, organizer)
    work_once(app)
    client = client_as(Role.organizer)
    page = client.get(f"/fairs/{fair.slug}/jobs/").get_data(as_text=True)
    assert "测试：会失败" in page and "打印机没纸了" in page and organizer.name in page and "/retry" in page
    few = queries_for(client, f"/fairs/{fair.slug}/jobs/")
    for _ in range(5):
        runner.enqueue(fair, "test.steps", {}, make_member(fair, Role.organizer))
    assert queries_for(client, f"/fairs/{fair.slug}/jobs/") == few


def test_the_job_json_says_what_the_page_shows(client_as, fair, organizer):
    job = runner.enqueue(fair, "test.steps", {}, organizer)
    state = client_as(Role.organizer).get(job_url(fair, job, ".json")).get_json()
    assert state == {"id": job.id, "kind": "test.steps", "label": "测试：分步", "status": "queued",
                     "status_label": "排队中", "done": 0, "total": 0, "percent": 0, "message": "", "error": "",
                     "finished": False, "cancelling": False, "download_url": None, "can_cancel": True,
                     "can_retry": False}


def test_an_abandoned_job_fails_so_it_can_be_retried(app, fair, organizer):
    job = runner.enqueue(fair, "test.steps", {}, organizer)
    runner.claim(job.id, f"{runner.worker_name().split(':')[0]}:999999999")
    assert runner.release_abandoned() == 1
    assert job_of(job.id).status is JobStatus.failed and "中断" in job_of(job.id).error
