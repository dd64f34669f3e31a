"""What the job tests share: run the queue once as `fair jobs work --once` does, read a job afresh, its URLs."""
from fair.extensions import db
from fair.jobs.models import Job


def work_once(app) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", "work", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def job_of(job_id: int) -> Job:
    db.session.rollback()
    return db.session.get(Job, job_id, populate_existing=True)


def job_url(fair, job: Job | int, rest: str = "") -> str:
    return f"/fairs/{fair.slug}/jobs/{getattr(job, 'id', job)}{rest}"
