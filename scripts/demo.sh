#!/usr/bin/env bash
# make demo: the example project's web server and automations-daemon side by side;
# run_demo starts the example automations and watches the daemon run them on time.
set -u
cd "$(dirname "$0")/../example"
PY=../.venv/bin/python
DAEMON=../.venv/bin/automations-daemon
PORT=${DEMO_PORT:-8765}

"$PY" manage.py migrate --no-input -v 0 || exit 1

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
}
trap cleanup EXIT

"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload >/dev/null 2>&1 &
pids+=($!)
echo "== web server: http://127.0.0.1:$PORT/admin/ (log in with manage.py createsuperuser)"

"$DAEMON" run --settings example_project.settings --pythonpath . --log-format console \
  > >(sed -u 's/^/   daemon | /') 2>&1 &
daemon_pid=$!
pids+=($daemon_pid)
# Let the daemon come up (it catches up with anything due from earlier runs).
for _ in $(seq 1 50); do
  "$DAEMON" status --settings example_project.settings --pythonpath . 2>/dev/null \
    | grep -q "daemons alive:       [1-9]" && break
  sleep 0.2
done

echo "== run_demo: starts the automations; the daemon runs every wait when it is due"
"$PY" manage.py run_demo --daemon --timeout 60
status=$?
kill -TERM "$daemon_pid" 2>/dev/null
wait "$daemon_pid"
daemon_status=$?
echo "== automations-daemon stopped with exit status $daemon_status"
[ "$status" -eq 0 ] && [ "$daemon_status" -eq 0 ]
