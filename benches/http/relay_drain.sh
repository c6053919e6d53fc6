#!/usr/bin/env bash
# The change relay draining a feed into NATS JetStream: N changes (in transactions of 10,000,
# over four districts) written straight into the outbox of a fresh database, then the release
# binary started with NATS_URL; timed from its first published change to its last, read off
# its own /metrics. Needs a PostgreSQL server (BENCH_DATABASE_URL, a server where it may create
# databases; default postgres://postgres@127.0.0.1:5432/postgres), psql, curl, bc and Debian's
# nats-server. Settings: N (1,000,000), BATCH (NATS_RELAY_BATCH, 500).
#   benches/http/relay_drain.sh
# docs/benchmarks.md ("The change relay") has the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-1000000}
BATCH=${BATCH:-500}
BASE=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
URL="${BASE%/*}/relay_drain"
cargo build --release --quiet
BIN=target/release/stunting-api
NATS_SERVER=$(command -v nats-server || echo /usr/sbin/nats-server)
psql -q "$BASE" -c "DROP DATABASE IF EXISTS relay_drain WITH (FORCE)" -c "CREATE DATABASE relay_drain"
$BIN --database-url "$URL" --log-format pretty migrate >/dev/null
echo "durability: fsync=$(psql -At "$URL" -c 'show fsync'), synchronous_commit=$(psql -At "$URL" -c 'show synchronous_commit')"
for _ in $(seq 1 $((N / 10000))); do
  echo "INSERT INTO changes (entity, record_id, region_code, removed)
        SELECT 'measurement', gen_random_uuid(),
               (ARRAY['14.01.01.2009','14.03.01.1001','32.04.05.2001','32.04.05.2002'])[1 + g % 4], false
        FROM generate_series(1, 10000) g;"
done | psql -q "$URL"
store=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
"$NATS_SERVER" -js -a 127.0.0.1 -p $port -sd "$store" >/dev/null 2>&1 &
nats=$!
secret=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
RUST_LOG=warn $BIN --database-url "$URL" --listen-addr 127.0.0.1:18099 --jwt-secret $secret --nik-hash-key $secret \
  --admin-password 'relay drain admin' --nats-url nats://127.0.0.1:$port --nats-relay-batch "$BATCH" >/dev/null 2>&1 &
service=$!
trap 'kill $service $nats 2>/dev/null; rm -rf "$store"; psql -q "$BASE" -c "DROP DATABASE IF EXISTS relay_drain WITH (FORCE)"' EXIT
metric() { curl -s http://127.0.0.1:18099/metrics | awk -v name="$1" '$1==name {print $2}'; }
until [ "$(metric change_relay_published_total 2>/dev/null || echo 0)" -gt 0 ] 2>/dev/null; do sleep 0.05; done
first=$(metric change_relay_published_total)
start=$(date +%s.%N)
until [ "$(metric change_relay_published_total)" -ge "$N" ]; do sleep 0.2; done
seconds=$(echo "$(date +%s.%N) - $start" | bc)
echo "| $N | $BATCH | $(printf %.1f "$seconds") | $(echo "($N - $first) / $seconds" | bc) | $(( $(ps -o rss= -p $service) / 1024 )) |"
