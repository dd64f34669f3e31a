"""Past one machine: two gunicorn servers (deploy/gunicorn.conf.py, two workers each) on two ports share
the test database (PostgreSQL when FAIR_TEST_DATABASE_URL is set, else one SQLite file) and take scans of
the same tickets at the same time. Every ticket gets exactly one entry, the other scan is refused with
already_redeemed, and both servers then report the same figures."""
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from fair.extensions import db
from fair.times import from_local
from fair.visitors import services
from fair.visitors.models import Checkin, PointKind, Policy, Ticket
from tests.visitor_factories import inside, make_area, make_device, make_point, make_tickets, visiting_fair

ROOT = Path(__file__).resolve().parents[2]
TICKETS = 60
NOON = from_local(datetime(2027, 5, 20, 12), "Asia/Shanghai").isoformat()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database_url: str, instance_path: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "FAIR_DATABASE_URL": database_url, "FAIR_SECRET_KEY": "tests-only-secret",
           "FAIR_INSTANCE_PATH": instance_path, "FAIR_BIND": f"127.0.0.1:{port}", "FAIR_WORKERS": "2",
           "FAIR_ACCESS_LOG": "/dev/null", "FAIR_LOG_LEVEL": "warning"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen([str(gunicorn), "-c", "deploy/gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return process, base
        except requests.RequestException:
            time.sleep(0.2)
    process.terminate()
    raise AssertionError(f"gunicorn did not answer on {base}")


@pytest.fixture
def two_servers(database_url, instance_path):
    started = [start_server(database_url, instance_path) for _ in range(2)]
    yield [base for _process, base in started]
    for process, _base in started:
        process.terminate()
        process.wait(timeout=30)


def test_two_servers_admit_each_ticket_once(app, fair, organizer, two_servers):
    fair = visiting_fair(fair, actor=organizer)
    hall = make_area(fair, "展馆")
    gate = make_point(fair, "gate", kind=PointKind.entry, policy=Policy.daily, area_id=hall.id)
    _device, token = make_device(fair, [gate])
    make_tickets(fair, TICKETS)
    texts = services.qr_texts(fair, db.session.scalars(sa.select(Ticket).where(Ticket.fair_id == fair.id)).all())
    start = threading.Barrier(2 * len(texts))

    def scan(base: str, text: str) -> str:
        start.wait(timeout=60)
        answer = requests.post(f"{base}/api/v1/checkin/redeem", timeout=30,
                               headers={"Authorization": f"Bearer {token}"},
                               json={"code": text, "point": "gate", "nonce": str(uuid.uuid4()), "scanned_at": NOON})
        return answer.json()["reason"]

    with ThreadPoolExecutor(max_workers=2 * len(texts)) as pool:
        futures = [pool.submit(scan, base, text) for text in texts for base in two_servers]
        reasons = [future.result() for future in futures]

    pairs = [sorted(reasons[i:i + 2]) for i in range(0, len(reasons), 2)]
    assert all(pair == ["already_redeemed", "ok"] for pair in pairs), pairs
    db.session.rollback()
    admitted = db.session.scalar(sa.select(sa.func.count(Checkin.id)).where(Checkin.reason == "ok"))
    assert admitted == TICKETS and inside(hall) == TICKETS
