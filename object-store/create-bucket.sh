#!/bin/sh
# Creates the warehouse bucket if it does not exist and keeps it private. Idempotent: run by the
# ObjectStore's bucket Job on every deploy and by the local proof harness, with the MinIO client.
# The endpoint and credentials reach mc through MC_HOST_<alias>, so no config file is written.
set -eu

: "${S3_ENDPOINT:?set S3_ENDPOINT, e.g. http://minio:9000}"
: "${S3_ACCESS_KEY:?set S3_ACCESS_KEY}"
: "${S3_SECRET_KEY:?set S3_SECRET_KEY}"
: "${S3_BUCKET:?set S3_BUCKET}"

scheme="${S3_ENDPOINT%%://*}"
hostport="${S3_ENDPOINT#*://}"
export MC_HOST_store="${scheme}://${S3_ACCESS_KEY}:${S3_SECRET_KEY}@${hostport}"

# The server may still be starting when the Job (or harness) begins.
tries=0
until mc ready store >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge "${S3_READY_TRIES:-60}" ]; then
    echo "create-bucket: ${S3_ENDPOINT} not ready after ${tries} tries" >&2
    exit 1
  fi
  sleep 2
done

mc mb --ignore-existing "store/${S3_BUCKET}"
mc anonymous set private "store/${S3_BUCKET}"
echo "create-bucket: bucket ${S3_BUCKET} ready"
