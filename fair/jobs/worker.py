"""The worker loop: claim a queued job, run it, look again every second; stop between jobs (or at the
running job's next step, which then goes back to the queue) when asked. About once an hour it also removes
old jobs' result files (`retention`)."""
import threading
import time
from typing import Callable

from flask import Flask

from fair.extensions import db
from fair.jobs import retention, runner

POLL_SECONDS = 1.0

Echo = Callable[[str], None]


def work(app: Flask, *, name: str | None = None, once: bool = False, stopping: threading.Event | None = None,
         echo: Echo | None = None, poll: float = POLL_SECONDS) -> int:
    """Run jobs one at a time until `stopping` is set (or, with `once`, until the queue is empty); returns
    how many jobs it ran."""
    name = name or runner.worker_name()
    stopping = stopping or threading.Event()
    ran = 0
    with app.app_context():
        released = runner.release_abandoned()
        if released and echo:
            echo(f"{released} abandoned job(s) marked failed")
        while not stopping.is_set():
            try:
                _clean_if_due(app, echo)
                job = runner.claim_next(name)
                if job is None:
                    if once:
                        break
                    stopping.wait(poll)
                    continue
                ran += 1
                _run_one(job, stopping, echo)
            finally:
                db.session.remove()
    return ran


def _clean_if_due(app: Flask, echo: Echo | None) -> None:
    """Remove old results when due; that is housekeeping, so a failure is logged and the jobs go on."""
    try:
        cleaned = retention.clean_if_due()
    except Exception:                               # noqa: BLE001  the log has the trace
        db.session.rollback()
        app.logger.exception("removing old job results failed")
        return
    if cleaned and (cleaned.folders or cleaned.expired) and echo:
        echo(str(cleaned))


def _run_one(job, stopping: threading.Event, echo: Echo | None) -> None:
    started = time.perf_counter()
    label = f"#{job.id} {job.kind}"
    last = {"tenth": -1}

    def report(_job_id: int, done: int, total: int, message: str) -> None:
        tenth = done * 10 // total if total else 0
        if echo and tenth != last["tenth"]:
            last["tenth"] = tenth
            echo(f"{time.perf_counter() - started:6.1f} s  {label}  {done}/{total}  {message}")

    if echo:
        echo(f"{0:6.1f} s  {label}  started")
    finished = runner.run(job, stopping=stopping, echo=report if echo else None)
    if echo:
        outcome = finished.error or finished.message
        echo(f"{time.perf_counter() - started:6.1f} s  {label}  {finished.status.value}  {outcome}")
