"""WSGI entry for gunicorn: `gunicorn -c config/gunicorn.conf.py portal.wsgi:app`."""

from portal import create_app

app = create_app()
