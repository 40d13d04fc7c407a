"""WSGI entry for gunicorn: `gunicorn -c config/gunicorn.conf.py portal.wsgi:app`.

This is the portal's `main`: logging is set up here, so the app's messages (the
console SMS sender's codes among them) reach gunicorn's error log.
"""

import logging

from hotspot.settings import load_settings
from portal import create_app

settings = load_settings()
logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app(settings)
