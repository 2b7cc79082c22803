# Production image: gunicorn serving fuwushe.wsgi, static files through WhiteNoise.
# The same image runs the web server, the migrations, the Celery worker and beat
# (docker-compose.yml gives each its command). No secret is baked in: SECRET_KEY,
# DATABASE_URL, REDIS_URL and ALLOWED_HOSTS come from the environment at run time.
FROM python:3.11-slim

# gunicorn reads its worker count from WEB_CONCURRENCY (the CMD below sets no
# --workers, so this is the one place to change it): 3 suits a small intranet
# server; 2 x cores + 1 is the usual ceiling. Override it per deployment.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=fuwushe.settings \
    FUWUSHE_ENV=production \
    MEDIA_ROOT=/data/media \
    WEB_CONCURRENCY=3

# A fixed uid/gid so that volumes keep one owner across rebuilds.
RUN groupadd --system --gid 10001 fuwushe \
    && useradd --system --uid 10001 --gid fuwushe --no-create-home \
        --home-dir /app --shell /usr/sbin/nologin fuwushe

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
# Only requirements.txt: the test and lint tools stay out of the image.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root: the app user can read it but not change it.
COPY . .

# Collect static files at build time. Settings refuse to import in production
# without these variables, so the RUN line alone gets dummy values; nothing here
# connects to a database or Redis, and none of the values is kept in the image.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    python manage.py collectstatic --noinput

# Uploaded private files (ID cards, photos, import files). A named volume mounted
# here starts with this directory's owner, so the app user can write to it.
RUN mkdir -p /data/media && chown -R fuwushe:fuwushe /data

USER fuwushe

EXPOSE 8000

# /healthz answers 200 only when the database, Redis and a Celery worker answer.
# It is sent with a Host header from ALLOWED_HOSTS so Django does not refuse it
# with a 400 (DisallowedHost); it is exempt from the HTTPS redirect.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; hosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',')]; host = next((h for h in hosts if h and h != '*'), 'localhost'); u.build_opener(u.ProxyHandler({})).open(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=8)"]

CMD ["gunicorn", "fuwushe.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", \
     "--error-logfile", "-", \
     "--timeout", "60", \
     "--graceful-timeout", "30"]
