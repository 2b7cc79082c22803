import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuwushe.settings")

app = Celery("fuwushe")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat schedule lives here, in code; each entry carries a comment saying when
# it runs and why. The reminders issue adds the first entries.
app.conf.beat_schedule = {}
