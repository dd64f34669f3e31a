"""`fair jobs ...`: the worker that runs long work outside the web request, the list of jobs, and the
removal of old results."""
import signal
import threading

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from fair.extensions import db
from fair.jobs import retention, runner
from fair.jobs.models import Job


@click.group("jobs")
def jobs_command() -> None:
    """Background jobs: batch PDFs and other long work."""


@jobs_command.command("work")
@click.option("--once", is_flag=True, help="Run the queued jobs, then exit (for cron and tests).")
@click.option("--poll", default=1.0, show_default=True, type=float, help="Seconds between looks at the queue.")
@with_appcontext
def work_command(once: bool, poll: float) -> None:
    """Run queued jobs one at a time, printing their progress; SIGTERM or Ctrl+C stops cleanly (a running
    job stops at its next step and goes back to the queue)."""
    from fair.jobs.worker import work

    stopping = threading.Event()

    def stop(signum, _frame) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping after this step", err=True)
        stopping.set()

    handled = (signal.SIGTERM, signal.SIGINT) if threading.current_thread() is threading.main_thread() else ()
    previous = {signum: signal.signal(signum, stop) for signum in handled}
    name = runner.worker_name()
    if not once:
        click.echo(f"Worker {name} waiting for jobs (Ctrl+C to stop)")
    try:
        ran = work(current_app._get_current_object(), name=name, once=once, stopping=stopping, echo=click.echo,
                   poll=poll)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo(f"Ran {ran} job(s)")


@jobs_command.command("list")
@click.option("--limit", default=20, show_default=True, type=int)
@with_appcontext
def list_command(limit: int) -> None:
    """The latest jobs: id, status, progress, kind, fair and message or error."""
    jobs = db.session.scalars(sa.select(Job).order_by(Job.id.desc()).limit(limit)).all()
    if not jobs:
        click.echo("No jobs.")
    for job in jobs:
        slug = job.fair.slug if job.fair else "-"
        click.echo(f"#{job.id:<5} {job.status.value:<9} {job.done:>5}/{job.total:<5} {job.kind:<24} {slug:<16} "
                   f"{job.error or job.message}")


@jobs_command.command("clean")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Remove results finished more than this many days ago [default: FAIR_JOB_RESULTS_DAYS].")
@with_appcontext
def clean_command(days: int | None) -> None:
    """Remove the result files of jobs that finished long ago (their pages then say the result expired), and
    the folders of jobs that no longer exist; queued and running jobs are never touched."""
    click.echo(str(retention.clean_results(days)))
