"""Gunicorn settings for the portal; values come from the hotspot settings."""

from hotspot.settings import load_settings

_settings = load_settings()

bind = f"{_settings.portal_host}:{_settings.portal_port}"
workers = _settings.portal_workers
threads = 4
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = _settings.log_level.lower()
forwarded_allow_ips = "127.0.0.1"
