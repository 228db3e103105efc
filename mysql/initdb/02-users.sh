#!/bin/bash
# Creates the platform's MySQL users with the least privileges each needs. Passwords come from the
# environment (a Kubernetes Secret in the cluster), never from a file. Run by the MySQL image on an
# empty data directory and by the local proof harness; idempotent.
#
# Connection: the mysql client's own environment (MYSQL_HOST, MYSQL_TCP_PORT; root's password from
# MYSQL_ROOT_PASSWORD). Unset, it uses the local socket, as the image's init phase requires.
set -euo pipefail

missing=()
for var in MYSQL_ROOT_PASSWORD \
  MYSQL_CDC_USER MYSQL_CDC_PASSWORD \
  MYSQL_CATALOG_USER MYSQL_CATALOG_PASSWORD \
  MYSQL_APP_USER MYSQL_APP_PASSWORD \
  MYSQL_SUPERSET_USER MYSQL_SUPERSET_PASSWORD; do
  [ -n "${!var:-}" ] || missing+=("$var")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "02-users.sh: missing environment variables: ${missing[*]}" >&2
  exit 1
fi

MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql -uroot <<SQL
-- CDC reads a snapshot then the binlog. Incremental snapshots take no global read lock, so the CDC
-- user needs no RELOAD or LOCK TABLES, and it reads only the application database.
CREATE USER IF NOT EXISTS '${MYSQL_CDC_USER}'@'%' IDENTIFIED BY '${MYSQL_CDC_PASSWORD}';
ALTER USER '${MYSQL_CDC_USER}'@'%' IDENTIFIED BY '${MYSQL_CDC_PASSWORD}';
GRANT SELECT ON appdb.* TO '${MYSQL_CDC_USER}'@'%';
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${MYSQL_CDC_USER}'@'%';

-- Iceberg's JDBC catalog (Flink writes, Trino reads and maintains): its own database only.
CREATE USER IF NOT EXISTS '${MYSQL_CATALOG_USER}'@'%' IDENTIFIED BY '${MYSQL_CATALOG_PASSWORD}';
ALTER USER '${MYSQL_CATALOG_USER}'@'%' IDENTIFIED BY '${MYSQL_CATALOG_PASSWORD}';
GRANT ALL PRIVILEGES ON iceberg_catalog.* TO '${MYSQL_CATALOG_USER}'@'%';

-- The application (the data generator): row changes on the application tables, no DDL.
CREATE USER IF NOT EXISTS '${MYSQL_APP_USER}'@'%' IDENTIFIED BY '${MYSQL_APP_PASSWORD}';
ALTER USER '${MYSQL_APP_USER}'@'%' IDENTIFIED BY '${MYSQL_APP_PASSWORD}';
GRANT SELECT, INSERT, UPDATE, DELETE ON appdb.* TO '${MYSQL_APP_USER}'@'%';

-- Superset's metadata database (it runs its own migrations).
CREATE USER IF NOT EXISTS '${MYSQL_SUPERSET_USER}'@'%' IDENTIFIED BY '${MYSQL_SUPERSET_PASSWORD}';
ALTER USER '${MYSQL_SUPERSET_USER}'@'%' IDENTIFIED BY '${MYSQL_SUPERSET_PASSWORD}';
GRANT ALL PRIVILEGES ON superset.* TO '${MYSQL_SUPERSET_USER}'@'%';

FLUSH PRIVILEGES;
SQL
echo "02-users.sh: users ready"
