#!/usr/bin/env bash
# A/B through HTTP: the same authenticated read (GET /api/v1/regions/14.01, 16 connections, three
# 15 s rounds with wrk) served by two release binaries, e.g. before and after a change to what
# every request does. Needs a PostgreSQL server on localhost:5432 (trust) and wrk.
#   benches/http/account_check.sh BEFORE_BINARY AFTER_BINARY
# docs/benchmarks.md ("Per-request account check") has the run and how its binaries were built.
set -euo pipefail
run() {
  local name=$1 bin=$2 port=$3
  psql -h localhost -U postgres -qc "DROP DATABASE IF EXISTS ab_$name" 2>/dev/null -c "CREATE DATABASE ab_$name" >/dev/null
  export DATABASE_URL="postgres://postgres@localhost:5432/ab_$name" APP_ENV=development LISTEN_ADDR=127.0.0.1:$port \
    ADMIN_PASSWORD="ab admin password" ACCESS_TOKEN_TTL_SECS=3600 RUST_LOG=error RATE_LIMIT_PER_ADDRESS=0 RATE_LIMIT_PER_ACCOUNT=0 \
    JWT_SECRET=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
  $bin > /tmp/ab-$name.log 2>&1 &
  local pid=$!
  for _ in $(seq 300); do curl -sf http://127.0.0.1:$port/health/ready >/dev/null && break; sleep 0.2; done
  local token=$(curl -s -X POST http://127.0.0.1:$port/api/v1/auth/token -H 'content-type: application/json' \
    -d '{"grant_type":"password","username":"admin","password":"ab admin password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  wrk -t2 -c16 -d5s -H "Authorization: Bearer $token" http://127.0.0.1:$port/api/v1/regions/14.01 >/dev/null
  for round in 1 2 3; do
    echo "$name round $round: $(wrk -t2 -c16 -d15s --latency -H "Authorization: Bearer $token" http://127.0.0.1:$port/api/v1/regions/14.01 | grep -E 'Requests/sec|50%|99%' | tr -s ' ' | tr '\n' ' ')"
  done
  kill $pid; wait $pid 2>/dev/null || true
  psql -h localhost -U postgres -qc "DROP DATABASE ab_$name" >/dev/null
}
run before "$1" 18091
run after "$2" 18092
