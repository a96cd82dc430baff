"""WSGI entry point for gunicorn: `gunicorn ivr.wsgi:app` (settings from the environment)."""

from ivr import create_app

app = create_app()
