"""The party member service club system: project package and organisation."""

from fuwushe.celery import app as celery_app

__all__ = ["celery_app"]
