"""gunicorn settings for Fair: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (FAIR_BIND, FAIR_WORKERS, ...), so the same file serves a
laptop, one server, or several servers behind nginx. Workers share nothing in memory: the database holds
every rule that must hold across them (one entry per ticket, one signature per party), and Redis
(FAIR_REDIS_URL) holds the rate-limit counters, so any number of workers on any number of servers agree."""
import multiprocessing
import os

bind = os.environ.get("FAIR_BIND", "127.0.0.1:8000")
# Sync workers: a request is short (a scan is a few milliseconds) and the database does the waiting.
workers = int(os.environ.get("FAIR_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Batch PDFs (certificates, signage) take seconds; nothing takes a minute.
timeout = int(os.environ.get("FAIR_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Busy gates send bursts: let the kernel queue them rather than refuse connections.
backlog = 2048
# Restart workers now and then, so a slow leak in any library never grows for the whole fair.
max_requests = int(os.environ.get("FAIR_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
accesslog = os.environ.get("FAIR_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("FAIR_LOG_LEVEL", "info")
# Behind nginx on the same machine: trust its X-Forwarded-* (set FAIR_TRUSTED_PROXIES=1 for the app too).
forwarded_allow_ips = os.environ.get("FAIR_FORWARDED_ALLOW_IPS", "127.0.0.1")
