"""Only the daemon's wake latency (``python bench/latency_only.py --db postgres``)."""

import argparse

import daemon_bench
from common import setup_django
from run import IDLE_SIZES, make_idle_waiters

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
parser.add_argument("--waiters", type=int, default=IDLE_SIZES[-1])
args = parser.parse_args()
env = setup_django(args.db, "atm_bench_latency")
make_idle_waiters(args.waiters)
print(daemon_bench.wake_latency(env))
