#!/usr/bin/env bash
# Make sure the PostgreSQL server the test suite uses is reachable.
# Exit 0: reachable. Exit 3: not reachable and not required (a local run skips the pass).
# Exit 1: not reachable but required (CI=true).
set -u
PY=${PY:-.venv/bin/python}
HOST=${ATM_PG_HOST:-127.0.0.1}
PORT=${ATM_PG_PORT:-5432}
USER_=${ATM_PG_USER:-postgres}

ready() {
  "$PY" - "$HOST" "$PORT" "$USER_" <<'PYEOF' >/dev/null 2>&1
import sys, psycopg
host, port, user = sys.argv[1:4]
psycopg.connect(host=host, port=int(port), user=user, dbname="postgres", connect_timeout=3).close()
PYEOF
}

if ready; then exit 0; fi

# Try to start the local cluster (Debian layout), as the machine's notes describe.
started=0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    if pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1; then
      started=1
    fi
  done
fi
if [ "$started" = 1 ]; then
  for _ in $(seq 1 30); do
    if ready; then exit 0; fi
    sleep 1
  done
fi

if [ "${CI:-}" = "true" ]; then
  echo "ERROR: PostgreSQL is not reachable at $HOST:$PORT (user $USER_); CI=true requires the PostgreSQL pass." >&2
  exit 1
fi
echo "SKIPPED: PostgreSQL pass, no server reachable at $HOST:$PORT (user $USER_)."
exit 3
