#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster for the store tests and print the URL they read from
# FLOORCAST_TEST_DATABASE_URL. Idempotent; runs as root (CI, after `apt-get install postgresql`).
#   export FLOORCAST_TEST_DATABASE_URL="$(bash .ci/start_postgres.sh)"
set -euo pipefail
# Only the URL goes to stdout, which the caller reads whole: every other command's output goes to
# stderr (pg_ctlcluster says "Removed stale pid file." on a machine imaged with the cluster running).
# Not via `exec 1>&2` and a saved fd: the server would inherit that fd and $(...) would never return.
version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
port=5432
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
  pg_createcluster --locale C.UTF-8 --encoding UTF8 "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online" { up = 1 } END { exit !up }'; then
  pg_ctlcluster "$version" main start >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')"
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$port"
psql_admin() { runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 "$@"; }
psql_admin -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'floorcast') THEN
    CREATE ROLE floorcast LOGIN PASSWORD 'floorcast' CREATEDB;
  END IF; END \$\$;" >&2
# UTF-8 whatever the cluster's default is: the full-text parser classifies letters by the database's ctype.
if [ -z "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = 'floorcast'")" ]; then
  psql_admin -c "CREATE DATABASE floorcast OWNER floorcast TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >&2
fi
echo "postgresql+psycopg://floorcast:floorcast@127.0.0.1:${port}/floorcast"
