"""Superset settings for the lakehouse platform.

Everything comes from the environment so the same file serves the Kubernetes
pods (values from a Secret/ConfigMap) and the local harness. No secrets here.

Required: SUPERSET_SECRET_KEY, SUPERSET_DB_HOST, SUPERSET_DB_USER,
          SUPERSET_DB_PASSWORD
Optional: SUPERSET_DB_PORT (3306), SUPERSET_DB_NAME (superset)
"""

import os
from urllib.parse import quote


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, "").strip() or default
    if not value:
        # SystemExit stops the CLI and gunicorn workers alike with this one line,
        # instead of Superset silently running on its built-in defaults.
        raise SystemExit(f"superset_config: environment variable {name} is required")
    return value


# Signs sessions and encrypts the database passwords stored in the metadata DB:
# it must be the same for every pod and must never change once data exists.
SECRET_KEY = _env("SUPERSET_SECRET_KEY")

# Metadata DB: the platform's MySQL server, database `superset`, own user.
# User and password are URL-quoted so any character is safe in the URI.
SQLALCHEMY_DATABASE_URI = "mysql+pymysql://{user}:{password}@{host}:{port}/{name}?charset=utf8mb4".format(
    user=quote(_env("SUPERSET_DB_USER"), safe=""),
    password=quote(_env("SUPERSET_DB_PASSWORD"), safe=""),
    host=_env("SUPERSET_DB_HOST"),
    port=_env("SUPERSET_DB_PORT", "3306"),
    name=_env("SUPERSET_DB_NAME", "superset"),
)
# MySQL drops idle connections after wait_timeout; recycle well before that.
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 1800}


# MariaDB stands in for MySQL where no MySQL server is at hand (the local
# harness). SQLAlchemy 1.4 switches sequences on for MariaDB >= 10.3; Flask-
# AppBuilder's Sequence(cycle=False) then renders "NO CYCLE", which MariaDB
# rejects, so the first start fails (apache/superset#37578, not fixed in 6.1.0).
# Treat MariaDB like MySQL: AUTO_INCREMENT ids, no sequences. No-op on MySQL.
def _no_sequences_on_mariadb() -> None:
    from sqlalchemy.dialects.mysql.base import MySQLDialect

    original = MySQLDialect.initialize
    if getattr(original, "_lakehouse_patched", False):
        return

    def initialize(self, connection):
        original(self, connection)
        if self.is_mariadb:
            self.supports_sequences = False

    initialize._lakehouse_patched = True
    MySQLDialect.initialize = initialize


_no_sequences_on_mariadb()

# Superset's MySQL engine spec imports `MySQLdb` (mysqlclient, a C build) to
# name result column types, so SQL Lab queries on a MySQL database fail with
# "No module named 'MySQLdb'". Let PyMySQL answer to that name instead.
import pymysql  # noqa: E402

pymysql.install_as_MySQLdb()

# No Redis in this platform. Object metadata may be cached per process; chart
# data is not cached at all, because the Iceberg tables change at every Flink
# checkpoint and a cached chart would show stale numbers. (Filter and explore
# state keep Superset's default: stored in the metadata DB, shared by all pods.)
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
# Rate limits (on when SUPERSET_ENV=production, as in the image) count per process.
RATELIMIT_STORAGE_URI = "memory://"

# CSRF stays on. API clients fetch a token from /api/v1/security/csrf_token/
# and send it back as X-CSRFToken together with the session cookie; login and
# the chart-data endpoints are exempt (Superset's default exempt list).
WTF_CSRF_ENABLED = True

# SQL Lab runs queries synchronously in the web process (no Celery workers
# here): keep the timeout below gunicorn's so errors come back as JSON.
SQLLAB_TIMEOUT = 55
SUPERSET_WEBSERVER_TIMEOUT = 60

# Production-ish defaults: no stack traces to users, no example data
# (bootstrap.sh never runs `superset load-examples`), and no SQLite databases.
SHOW_STACKTRACE = False
PREVENT_UNSAFE_DB_CONNECTIONS = True

# Behind the Kubernetes Service/Ingress: honour X-Forwarded-* when asked to.
ENABLE_PROXY_FIX = os.environ.get("SUPERSET_ENABLE_PROXY_FIX", "false").lower() == "true"
