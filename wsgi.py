"""WSGI entry point: ``gunicorn wsgi:app``; Celery: ``celery -A wsgi.celery worker``."""

from app import create_app

app = create_app()
celery = app.extensions["celery"]
