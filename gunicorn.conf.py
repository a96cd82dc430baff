"""gunicorn settings for the web process (the Procfile's `web`, and `nightdesk bench voice`).

Preloaded: the app (with the triage engine, `create_app(warm=True)`) is built once in the
master and shared copy-on-write by the forked workers, instead of each worker loading spaCy on
its first call. Threads overlap a webhook's Redis round trips: on 2 cores, 2 x 4 measured
555 webhooks/s against 190 for 2 x 2 and 175 for 2 x 1 (`nightdesk bench voice --threads N`).

It binds 0.0.0.0:$PORT (the Procfile). Which X-Forwarded-* hops count is the app's setting,
NIGHTDESK_PROXY_HOPS: 0 (the default) when clients reach this port directly, 1 behind the load
balancer; gunicorn's own `forwarded_allow_ips` stays at its default (loopback only).
"""

import gc
import os

wsgi_app = "ivr.app:create_app(warm=True)"
preload_app = True
worker_class = "gthread"  # keep-alive connections from Twilio's edge, one poller per process
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # about one per core
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 20
keepalive = 30


def post_fork(server: object, worker: object) -> None:
    """The preloaded heap is never freed: keep it out of the workers' GC passes (and pages)."""
    gc.freeze()
