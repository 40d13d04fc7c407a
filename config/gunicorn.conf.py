"""Gunicorn settings for the portal; values come from the hotspot settings."""

from hotspot.settings import load_settings

_settings = load_settings()

bind = f"{_settings.portal_bind_host}:{_settings.portal_port}"
workers = _settings.portal_workers
# Two threads, not four: with more, a login that holds SQLite's write lock waits for the GIL between its
# statements while the others render pages, and writers in the other worker sleep in SQLite's busy
# handler (docs/portal.md has the figures). Two still leave a worker able to answer while one thread
# waits on an SMS gateway or a router's CoA reply.
threads = 2
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
# No client address and no query string: the splash URL carries the phone's MAC and IP (mac=, ip=), and a
# log shipped elsewhere is out of reach of `hotspot purge`. Time, method, path, status, size, duration.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = _settings.log_level.lower()
forwarded_allow_ips = _settings.trusted_proxies


def post_worker_init(worker):
    """One line once a worker has loaded the app and answers: until then a slow start is not a hang."""
    worker.log.info("portal_worker_ready pid=%s", worker.pid)
