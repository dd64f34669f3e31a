"""Old job results are removed: a done job's file goes FAIR_JOB_RESULTS_DAYS after it finished and its page
says the result expired (download included, retry runs it again); recent, queued and running jobs keep their
folders; folders of deleted jobs go; `fair jobs clean` reports what it freed; the worker cleans at most once
an interval and goes on when cleaning fails; two cleaners at once neither fail nor count twice."""
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from fair.auth.models import Role
from fair.extensions import db
from fair.jobs import retention, runner, worker
from fair.jobs.models import Job, JobStatus
from fair.times import utcnow
from tests.job_support import job_of, job_url, work_once

RESULT = b"%PDF-" + b"x" * 995          # 1000 bytes


def retention_job(context: runner.JobContext) -> runner.Result:
    return runner.Result(RESULT, "标识.pdf", "application/pdf")


runner.register("test.retention", retention_job, "测试：保留期限")


@pytest.fixture(autouse=True)
def jobs_dir(app, tmp_path, monkeypatch) -> Path:
    """A jobs folder of this test's own: the session's instance folder holds other tests' leftovers."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "jobs"


def age(path: Path, days: float) -> None:
    """Date the files under `path` as written `days` ago."""
    stamp = time.time() - days * 86400
    for file in [path, *path.rglob("*")]:
        os.utime(file, (stamp, stamp))


def done_job(app, fair, organizer, days_ago: float) -> Job:
    """A job run by the worker whose result was made `days_ago` days ago."""
    job = runner.enqueue(fair, "test.retention", {}, organizer)
    work_once(app)
    db.session.execute(sa.update(Job).where(Job.id == job.id)
                       .values(finished_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()
    age(runner.jobs_folder() / str(job.id), days_ago)
    return job_of(job.id)


def job_with_folder(fair, status: JobStatus, days_ago: float | None) -> Job:
    """A row in `status` (finished `days_ago` days ago, or not finished) with a stray file in its folder."""
    job = Job(fair=fair, kind="test.retention", params={}, status=status,
              finished_at=None if days_ago is None else utcnow() - timedelta(days=days_ago))
    db.session.add(job)
    db.session.commit()
    folder = runner.jobs_folder() / str(job.id)
    folder.mkdir(parents=True)
    (folder / "part-0").write_bytes(b"partial")
    age(folder, 30)
    return job


# ---- what goes and what stays ---------------------------------------------------------------------------

def test_an_old_result_goes_and_its_page_says_it_expired(app, client_as, fair, organizer, jobs_dir):
    old = done_job(app, fair, organizer, days_ago=15)
    recent = done_job(app, fair, organizer, days_ago=13)

    assert retention.clean_results() == retention.Cleaned(expired=1, folders=1, bytes=len(RESULT))
    assert not (jobs_dir / str(old.id)).exists() and (jobs_dir / recent.result_path).is_file()
    expired = job_of(old.id)
    assert expired.status is JobStatus.done and expired.result_path == ""
    assert expired.message == "结果已过期，请重新生成" and runner.is_expired(expired)
    assert job_of(recent.id).result_path == recent.result_path and not runner.is_expired(job_of(recent.id))

    client = client_as(Role.organizer)
    state = client.get(job_url(fair, old, ".json")).get_json()
    assert state["status"] == "done" and state["download_url"] is None and state["can_retry"]
    page = client.get(job_url(fair, old)).get_data(as_text=True)
    assert "文件已不在服务器上，可以重新生成" in page and job_url(fair, old, "/retry") in page
    assert client.get(job_url(fair, recent, "/download")).data == RESULT

    assert retention.clean_results() == retention.Cleaned(expired=0, folders=0, bytes=0)


def test_the_download_of_an_expired_result_says_so_and_retry_makes_it_again(app, client_as, fair, organizer):
    job = done_job(app, fair, organizer, days_ago=20)
    retention.clean_results()
    client = client_as(Role.organizer)
    download = client.get(job_url(fair, job, "/download"))
    assert download.status_code == 302 and download.headers["Location"].endswith(job_url(fair, job))
    page = client.get(download.headers["Location"])
    assert page.status_code == 200 and "结果已过期，请重新生成" in page.get_data(as_text=True)

    assert client.post(job_url(fair, job, "/retry")).status_code == 302
    assert job_of(job.id).status is JobStatus.queued
    work_once(app)
    assert job_of(job.id).status is JobStatus.done and client.get(job_url(fair, job, "/download")).data == RESULT


def test_a_file_removed_between_the_check_and_the_download_is_not_an_error(app, client_as, fair, organizer,
                                                                           jobs_dir, monkeypatch):
    job = done_job(app, fair, organizer, days_ago=1)
    monkeypatch.setattr(runner, "result_file", lambda _job: jobs_dir / "gone.pdf")
    download = client_as(Role.organizer).get(job_url(fair, job, "/download"))
    assert download.status_code == 302 and download.headers["Location"].endswith(job_url(fair, job))


def test_a_done_job_with_its_file_cannot_be_retried(app, client_as, fair, organizer):
    job = done_job(app, fair, organizer, days_ago=1)
    client = client_as(Role.organizer)
    client.post(job_url(fair, job, "/retry"))
    assert job_of(job.id).status is JobStatus.done
    assert "只有失败或已取消的任务可以重试" in client.get(job_url(fair, job)).get_data(as_text=True)


def test_old_finished_folders_go_and_queued_running_and_recent_ones_stay(fair, jobs_dir):
    failed = job_with_folder(fair, JobStatus.failed, days_ago=15)
    cancelled = job_with_folder(fair, JobStatus.cancelled, days_ago=15)
    recent = job_with_folder(fair, JobStatus.failed, days_ago=1)
    queued = job_with_folder(fair, JobStatus.queued, days_ago=None)
    running = job_with_folder(fair, JobStatus.running, days_ago=None)

    cleaned = retention.clean_results()
    assert cleaned == retention.Cleaned(expired=0, folders=2, bytes=2 * len(b"partial"))
    assert not (jobs_dir / str(failed.id)).exists() and not (jobs_dir / str(cancelled.id)).exists()
    for kept in (recent, queued, running):
        assert (jobs_dir / str(kept.id) / "part-0").is_file()
    assert [job_of(job.id).status for job in (failed, cancelled, queued, running)] == [
        JobStatus.failed, JobStatus.cancelled, JobStatus.queued, JobStatus.running]
    assert retention.clean_results(days=0).folders == 1             # the recent failure, when asked for


def test_folders_of_no_job_go_and_other_things_stay(fair, jobs_dir):
    orphan = jobs_dir / "999" / "inner"
    orphan.mkdir(parents=True)
    (orphan / "signage.pdf").write_bytes(RESULT)
    (jobs_dir / "notes").mkdir()
    age(jobs_dir / "999", 1)

    assert retention.clean_results() == retention.Cleaned(expired=0, folders=1, bytes=len(RESULT))
    assert sorted(path.name for path in jobs_dir.iterdir()) == ["notes"]


def test_a_file_written_since_the_clean_began_stays(fair, jobs_dir):
    """A job retried just as the cleaner reads its old row: the new file is not removed, nor its folder."""
    job = job_with_folder(fair, JobStatus.failed, days_ago=15)
    (jobs_dir / str(job.id) / "new.pdf").write_bytes(RESULT)

    assert retention.clean_results() == retention.Cleaned(expired=0, folders=0, bytes=len(b"partial"))
    assert [path.name for path in (jobs_dir / str(job.id)).iterdir()] == ["new.pdf"]


def test_a_missing_jobs_folder_is_nothing_to_clean(fair, jobs_dir):
    assert not jobs_dir.exists()
    assert retention.clean_results() == retention.Cleaned(expired=0, folders=0, bytes=0)


def test_two_cleaners_at_once_share_the_work(app, fair, organizer, jobs_dir):
    jobs = [done_job(app, fair, organizer, days_ago=30) for _ in range(12)]
    results: list = []
    errors: list = []
    start = threading.Barrier(2, timeout=10)

    def clean():
        with app.app_context():
            start.wait()
            try:
                results.append(retention.clean_results())
            except Exception as error:                              # noqa: BLE001  reported below
                errors.append(error)

    threads = [threading.Thread(target=clean) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(results) == 2
    assert sum(result.expired for result in results) == len(jobs)
    assert sum(result.folders for result in results) == len(jobs)
    assert sum(result.bytes for result in results) == len(jobs) * len(RESULT)
    assert [path.name for path in jobs_dir.iterdir()] == [retention.MARKER]     # left by the worker runs


# ---- the command and the worker ----------------------------------------------------------------------------

def test_the_command_prints_what_it_removed(app, fair, organizer, monkeypatch):
    job = done_job(app, fair, organizer, days_ago=3)
    cli = app.test_cli_runner()
    assert cli.invoke(args=["jobs", "clean"]).output == (
        "Removed 0 folder(s), 0 bytes (0.0 MB); 0 job result(s) expired\n")
    monkeypatch.setitem(app.config, "FAIR_JOB_RESULTS_DAYS", 5)
    assert "Removed 0 folder(s)" in cli.invoke(args=["jobs", "clean"]).output

    result = cli.invoke(args=["jobs", "clean", "--days", "2"])
    assert result.exit_code == 0
    assert result.output == "Removed 1 folder(s), 1000 bytes (0.0 MB); 1 job result(s) expired\n"
    assert runner.is_expired(job_of(job.id))
    assert cli.invoke(args=["jobs", "clean", "--days", "-1"]).exit_code == 2


def test_the_worker_cleans_at_most_once_an_interval(app, fair, organizer, jobs_dir, monkeypatch):
    calls: list = []
    monkeypatch.setattr(retention, "clean_results", lambda: calls.append(1) or retention.Cleaned(0, 0, 0))
    for _ in range(3):
        worker.work(app, once=True)
    assert len(calls) == 1

    marker = jobs_dir / retention.MARKER
    stamp = time.time() - retention.CLEAN_SECONDS - 5
    os.utime(marker, (stamp, stamp))
    worker.work(app, once=True)
    worker.work(app, once=True)
    assert len(calls) == 2


def test_the_worker_reports_a_clean_and_goes_on_when_cleaning_fails(app, fair, organizer, jobs_dir, monkeypatch):
    job_with_folder(fair, JobStatus.failed, days_ago=15)
    assert "Removed 1 folder(s), 7 bytes" in work_once(app)

    def broken():
        raise PermissionError("jobs folder is read-only")

    monkeypatch.setattr(retention, "clean_results", broken)
    os.utime(jobs_dir / retention.MARKER, (0, 0))
    job = runner.enqueue(fair, "test.retention", {}, organizer)
    assert "Ran 1 job(s)" in work_once(app)
    assert job_of(job.id).status is JobStatus.done
