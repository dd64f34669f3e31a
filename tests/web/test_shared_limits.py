"""Rate limits shared through Redis (FAIR_REDIS_URL): two app instances, as on two servers, count one
visitor's attempts together, so adding a server does not multiply what an attacker may try.

Needs Redis on 127.0.0.1:6379 (CI has it and sets FAIR_REQUIRE_REDIS=1; elsewhere it is skipped without)."""
import os
import socket
import uuid

import pytest

from fair import create_app
from tests.conftest import RequestInItsOwnContext, test_config

REDIS = "redis://127.0.0.1:6379/15"


def redis_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_running() and not os.environ.get("FAIR_REQUIRE_REDIS"),
                                reason="no Redis on 127.0.0.1:6379")


def server(database_url: str, instance_path: str, prefix: str):
    app = create_app(test_config(database_url, instance_path, RATELIMIT_STORAGE_URI=REDIS,
                                 RATELIMIT_KEY_PREFIX=prefix, FAIR_LOGIN_ACCOUNT_LIMIT="3 per minute"))
    app.test_client_class = RequestInItsOwnContext
    return app.test_client()


def test_two_servers_count_failed_log_ins_together(database_url, instance_path, organizer):
    prefix = f"fair-test-{uuid.uuid4().hex}"          # this run's counters only
    first, second = server(database_url, instance_path, prefix), server(database_url, instance_path, prefix)
    attempt = {"email": organizer.email, "password": "wrong"}
    statuses = [client.post("/login", data=attempt).status_code for client in (first, second, first, second)]
    assert statuses == [401, 401, 401, 429]
