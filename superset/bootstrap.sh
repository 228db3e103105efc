#!/usr/bin/env bash
# Brings a Superset metadata DB to the state the platform needs: schema
# migrated, admin user present with the current password, roles/permissions
# synced, and the "Trino Iceberg" database registered. Idempotent: the
# Kubernetes init Job may run it on every deploy, the local harness as often
# as it likes.
#
# Needs superset_config.py to be found (image: /app/pythonpath; elsewhere set
# SUPERSET_CONFIG_PATH) and the environment variables checked below.
set -euo pipefail

log() { printf '[bootstrap] %s\n' "$*" >&2; }

missing=0
for var in SUPERSET_SECRET_KEY SUPERSET_DB_HOST SUPERSET_DB_USER SUPERSET_DB_PASSWORD \
           SUPERSET_ADMIN_USERNAME SUPERSET_ADMIN_PASSWORD TRINO_SQLALCHEMY_URI TRINO_DATABASE_NAME; do
  if [[ -z "${!var:-}" ]]; then
    log "missing required environment variable: $var"
    missing=1
  fi
done
(( missing == 0 )) || exit 2

admin_user="$SUPERSET_ADMIN_USERNAME"
admin_email="${SUPERSET_ADMIN_EMAIL:-${admin_user}@superset.invalid}"
# The name people pick in SQL Lab and datasets; the program passes it (components/superset.ts).
db_name="$TRINO_DATABASE_NAME"

log "1/4 migrating the metadata database"
superset db upgrade

log "2/4 ensuring admin user '$admin_user'"
# `fab create-admin` exits 0 even when it creates nothing, so read its output.
out="$(superset fab create-admin \
        --username "$admin_user" --password "$SUPERSET_ADMIN_PASSWORD" \
        --firstname Platform --lastname Admin --email "$admin_email" 2>&1)"
if grep -q "User ${admin_user} created" <<<"$out"; then
  log "admin user created"
elif grep -q "already exists" <<<"$out"; then
  # Keep the Secret the source of truth: re-apply the password.
  out="$(superset fab reset-password --username "$admin_user" \
          --password "$SUPERSET_ADMIN_PASSWORD" 2>&1)"
  if ! grep -q "reseted" <<<"$out"; then
    printf '%s\n' "$out" >&2
    log "user '$admin_user' not found, but its e-mail '$admin_email' is taken by another user"
    exit 1
  fi
  log "admin user exists, password re-applied"
else
  printf '%s\n' "$out" >&2
  log "could not create the admin user"
  exit 1
fi

log "3/4 syncing roles and permissions"
superset init

log "4/4 registering database '$db_name'"
# Looks the database up by name: creates it once, afterwards only updates the URI.
# New databases default to expose_in_sqllab=true, synchronous execution, no DML.
superset set-database-uri --database_name "$db_name" --uri "$TRINO_SQLALCHEMY_URI"

log "done"
