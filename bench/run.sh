#!/usr/bin/env bash
# Every figure of BENCHMARKS.md, measured in one run on this machine:
#
#   bench/run.sh            # the full run (~15 minutes plus the release build)
#   bench/run.sh --quick    # the same steps, short and small (a smoke test)
#
# BENCH_GROWTH="10000 1000000" chooses the sizes of step 4 (e.g. to read the
# report's growth in a quick run).
#
# 1. the ceiling: pgbench running the enrol transaction's own SQL (captured from
#    the enrolments service by PostgreSQL's statement log, bench/ceiling.py),
#    8 clients, spread over 200 sessions and on one hot session; and beside it
#    the minimal enrol transaction (bench/enrol-minimal.sql);
# 2. Enrol over gRPC against the enrolments service (release build, on
#    PostgreSQL): closed loop at 8/32/64 callers, open loop at 500 and 1000/s;
# 3. reads: catalog, my enrolments, verification over gRPC (the load
#    generator) and through the gateway's HTTP API (wrk), and the cost of one
#    call: a bare tonic server and a service's health beside the catalog;
# 4. growth: list, benchmarking report and verification at 10k, 100k and 1M
#    enrolments (100k trainees at 1M), seeded in bulk with SQL;
# 5. memory: each service's resident set idle and at its peak under load;
# and completion to certificate: completions at 10 and 50/s, each one's delay
# to its certificate's issue time, certificates per second.
# It writes BENCHMARKS.md (bench/report.py) and keeps the raw figures in
# target/bench/results.jsonl. Needs the local PostgreSQL (PGHOST, PGPORT,
# PGUSER as for psql; defaults 127.0.0.1, 5432, postgres), pgbench and wrk
# (installed with apt when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quick=""
[ "${1:-}" = "--quick" ] && quick=1
if [ -n "$quick" ]; then
  duration=2s; growth=${BENCH_GROWTH:-10000}; profile=debug
else
  duration=${BENCH_DURATION:-15s}; growth=${BENCH_GROWTH:-10000 100000 1000000}; profile=release
fi
# Plain connections, as to the compose deployment's PostgreSQL: a server with
# ssl on (Debian's default) would otherwise have the services (sqlx) and
# pgbench (libpq) both encrypt every round trip on loopback.
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres} PGSSLMODE=${PGSSLMODE:-disable}
pg="postgres://$PGUSER@$PGHOST:$PGPORT"
db() { echo "$pg/$1?sslmode=$PGSSLMODE"; } # a database's URL for the services

step() { printf '\n==> %s\n' "$*" >&2; }
need() { # COMMAND PACKAGE: install the Debian package when the command is missing
  command -v "$1" >/dev/null 2>&1 && return
  step "installing $2 (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null; }
}
need pgbench postgresql-contrib
need wrk wrk
need psql postgresql-client
need bc bc

step "building ($profile)"
if [ "$profile" = release ]; then
  cargo build --release --locked -q -p hamafza -p hamafza-bench
else
  cargo build --locked -q -p hamafza -p hamafza-bench
fi
bin=$root/target/$profile
out=$root/target/bench
mkdir -p "$out"
results=$out/results.jsonl
: > "$results"
work=$(mktemp -d /tmp/hamafza-bench.XXXXXX)
declare -A pids=()
cleanup() {
  for name in "${!pids[@]}"; do kill -KILL "${pids[$name]}" 2>/dev/null || true; done
  for db in courses enrolments certification notifications ceiling; do
    psql -q -d postgres -c "DROP DATABASE IF EXISTS hamafza_bench_$db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# --- the environment of every process -----------------------------------------
for db in courses enrolments certification notifications ceiling; do
  psql -q -d postgres -c "DROP DATABASE IF EXISTS hamafza_bench_$db WITH (FORCE)" -c "CREATE DATABASE hamafza_bench_$db" 2>/dev/null
done
export HAMAFZA_DATA_DIR=$work/data HAMAFZA_AUTH_ALLOW_DEV_ISSUER=true HAMAFZA_LOG_FORMAT=json
# Every listener's port is chosen once, free, and below Linux's ephemeral
# range (32768 and up): a port in that range can be held by any outgoing
# connection on the machine (a CI run once found one of its fixed ports
# taken), and services here stop and start again on the same port between
# phases, while the load runs open thousands of client connections.
free_ports() {
  python3 -c 'import random, socket, sys
held = []
for port in random.sample(range(20000, 32000), 400):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    held.append(s)
    if len(held) == int(sys.argv[1]):
        break
else:
    sys.exit("no free ports below 32000")
print(*(s.getsockname()[1] for s in held))' "$1"
}
# (On its own line: a here-string would hide the chooser's failure.)
ports=$(free_ports 6)
read -r courses_port enrolments_port certification_port notifications_port gateway_port echo_port <<<"$ports"
for service in courses enrolments certification notifications; do
  upper=${service^^} port_of=${service}_port
  export "HAMAFZA_${upper}_DATABASE_URL=$(db "hamafza_bench_$service")"
  export "HAMAFZA_${upper}_ADDR=127.0.0.1:${!port_of}" "HAMAFZA_${upper}_URL=http://127.0.0.1:${!port_of}"
done
gateway=http://127.0.0.1:$gateway_port
export HAMAFZA_GATEWAY_ADDR=127.0.0.1:$gateway_port HAMAFZA_CREDENTIALS_PUBLIC_BASE_URL=$gateway
courses=$HAMAFZA_COURSES_URL enrolments=$HAMAFZA_ENROLMENTS_URL certification=$HAMAFZA_CERTIFICATION_URL
"$bin/hamafza" migrate --demo >/dev/null

start() { # NAME: hamafza serve NAME, waiting for its health check
  local name=$1 check=(--addr "$(eval echo "\$HAMAFZA_${1^^}_ADDR")")
  [ "$name" = gateway ] && check+=(--http)
  "$bin/hamafza" serve "$name" > "$work/$name.log" 2>&1 &
  pids[$name]=$!
  healthy "$name" "${check[@]}"
}
healthy() { # NAME CHECK-ARGS...: waits (20 s at most) for NAME's health check, or ends the run
  local name=$1; shift
  for _ in $(seq 1 100); do
    "$bin/hamafza" healthcheck "$@" >/dev/null 2>&1 && return
    kill -0 "${pids[$name]}" 2>/dev/null || break
    sleep 0.2
  done
  echo "$name did not start:" >&2; tail -n 20 "$work/$name.log" >&2; exit 1
}
stop() { kill -TERM "${pids[$1]}"; wait "${pids[$1]}" || true; unset "pids[$1]"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/${pids[$1]}/status"; } # KiB
record() { # one result line (JSON) from stdin, tagged with the phase (and the CPU use of the last load)
  if [ -f "$work/cpu.json" ]; then
    jq -c --arg phase "$1" --slurpfile cpu "$work/cpu.json" '. + {phase: $phase, cpu: $cpu[0]}' >> "$results"
    rm -f "$work/cpu.json"
  else
    jq -c --arg phase "$1" '. + {phase: $phase}' >> "$results"
  fi
}
# A process gone since (stopped, or died) has used nothing more.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
bench() { "$bin/hamafza-bench" "$@"; }
# Peak resident memory of every service while a command runs.
declare -A peak=()
under_load() {
  local sampler_out=$work/peaks
  ( while :; do for name in "${!pids[@]}"; do echo "$name $(rss "$name" 2>/dev/null || echo 0)"; done; sleep 0.25; done ) > "$sampler_out" &
  local sampler=$!
  declare -A before=()
  for name in "${!pids[@]}"; do before[$name]=$(ticks "${pids[$name]}"); done
  local machine_before
  machine_before=$(busy)
  local t0; t0=$(date +%s.%N)
  "$@"
  local seconds; seconds=$(echo "$(date +%s.%N) - $t0" | bc -l)
  # CPU used while it ran, in cores (1.0 = one core busy all along).
  {
    printf '{"seconds": %.2f, "machine": %.2f' "$seconds" "$(echo "($(busy) - $machine_before) / 100 / $seconds" | bc -l)"
    for name in "${!pids[@]}"; do
      printf ', "%s": %.2f' "$name" "$(echo "($(ticks "${pids[$name]}") - ${before[$name]}) / 100 / $seconds" | bc -l)"
    done
    echo '}'
  } > "$work/cpu.json"
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  while read -r name kib; do
    if [ -n "$kib" ] && [ "$kib" -gt "${peak[$name]:-0}" ]; then peak[$name]=$kib; fi
  done < "$sampler_out"
}

# --- 1. the ceiling -------------------------------------------------------------
step "capturing the enrol transaction's SQL"
psql -q -d postgres -c "ALTER DATABASE hamafza_bench_enrolments SET log_statement = 'all'"
start courses
start enrolments
# Notifications runs all along, as deployed: enrolments hands it a notice for
# every enrolment (its outbox would otherwise retry them in the background).
start notifications
capture_session=$(bench sessions --courses "$courses" --count 1)
bench enrol --enrolments "$enrolments" --sessions "$capture_session" --concurrency 1 --duration 200ms --label warm --prefix warm >/dev/null
log=${PG_LOG:-$(ls /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -n 1)}
[ -r "$log" ] || { echo "bench: cannot read PostgreSQL's log (set PG_LOG to its file) to capture the enrol SQL" >&2; exit 1; }
before=$(wc -l < "$log")
bench enrol --enrolments "$enrolments" --sessions "$capture_session" --rate 1 --duration 1s --label capture --prefix x >/dev/null
sleep 0.5
tail -n +"$((before + 1))" "$log" > "$work/capture.log"
cp "$work/capture.log" "$out/enrol-capture.log" # kept beside the scripts made from it
stop enrolments
psql -q -d postgres -c "ALTER DATABASE hamafza_bench_enrolments RESET log_statement"
python3 bench/ceiling.py "$work/capture.log" 200 > "$out/enrol-spread.sql"
python3 bench/ceiling.py "$work/capture.log" 1 > "$out/enrol-hot.sql"
HAMAFZA_ENROLMENTS_DATABASE_URL=$(db hamafza_bench_ceiling) "$bin/hamafza" migrate >/dev/null

step "pgbench: the ceiling of that SQL (8 clients)"
for shape in spread hot; do
  pgbench -n -M prepared -c 8 -j 2 -T "${duration%s}" -f "$out/enrol-$shape.sql" hamafza_bench_ceiling > "$work/pgbench-$shape.txt" 2>&1
  tps=$(awk '/^tps = / {print $3}' "$work/pgbench-$shape.txt")
  latency=$(awk '/^latency average/ {print $4}' "$work/pgbench-$shape.txt")
  failed=$(awk '/failed transactions/ {print $5}' "$work/pgbench-$shape.txt")
  jq -nc --arg name "ceiling-$shape" --argjson tps "$tps" --argjson latency "$latency" --argjson failed "${failed:-0}" \
    '{"label": $name, mode: "pgbench x8", throughput: $tps, avg_ms: $latency, errors: $failed}' | record ceiling
  echo "    $shape: $tps tps" >&2
done

# The minimal enrol transaction (seat guard + enrolment + outbox row, issue
# 17) beside the captured one, 8 clients, on a fresh ceiling schema: spread
# over 200 sessions' seat rows and on one.
psql -q -d postgres -c "DROP DATABASE IF EXISTS hamafza_bench_ceiling WITH (FORCE)" -c "CREATE DATABASE hamafza_bench_ceiling"
HAMAFZA_ENROLMENTS_DATABASE_URL=$(db hamafza_bench_ceiling) "$bin/hamafza" migrate >/dev/null
psql -q -d hamafza_bench_ceiling -c "INSERT INTO session_seats (session_id, course_id, capacity, taken, meeting_count,
    instructor_subject, course_title_fa, course_title_en, hours, passing_score, min_attendance_percent, updated_at)
  SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(s::bigint), 12, '0'))::uuid,
    '00000000-0000-4000-b000-000000000001', 1000000000, 0, 2, 'i', 't', 't', 8, 60, 75, now()
  FROM generate_series(1, 200) AS s"
for shape in spread hot; do
  sessions=$([ "$shape" = hot ] && echo 1 || echo 200)
  pgbench -n -M prepared -c 8 -j 2 -T "${duration%s}" -D sessions="$sessions" -f bench/enrol-minimal.sql hamafza_bench_ceiling > "$work/pgbench-minimal-$shape.txt" 2>&1
  tps=$(awk '/^tps = / {print $3}' "$work/pgbench-minimal-$shape.txt")
  latency=$(awk '/^latency average/ {print $4}' "$work/pgbench-minimal-$shape.txt")
  failed=$(awk '/failed transactions/ {print $5}' "$work/pgbench-minimal-$shape.txt")
  jq -nc --arg name "minimal-$shape" --argjson tps "$tps" --argjson latency "$latency" --argjson failed "${failed:-0}" \
    '{"label": $name, mode: "pgbench x8", throughput: $tps, avg_ms: $latency, errors: $failed}' | record ceiling
  echo "    minimal $shape: $tps tps" >&2
done

# --- 2. Enrol over gRPC -----------------------------------------------------------
step "the services, idle"
start enrolments
start certification
start gateway
sleep 3
for name in courses enrolments certification notifications gateway; do
  jq -nc --arg service "$name" --argjson kib "$(rss "$name")" '{"label": ("idle-" + $service), service: $service, rss_kib: $kib}' | record memory
done

step "Enrol over gRPC (each run on fresh sessions)"
run=0
enrol() { # SHAPE LABEL LOAD-ARGS...
  local shape=$1 label=$2; shift 2
  run=$((run + 1))
  local sessions
  sessions=$(bench sessions --courses "$courses" --count "$([ "$shape" = hot ] && echo 1 || echo 200)")
  under_load bench enrol --enrolments "$enrolments" --sessions "$sessions" --label "$label" --prefix "run$run" "$@" \
    --duration "$duration" > "$work/enrol.json"
  # Each enrolment leaves a notice in enrolments' outbox, delivered to
  # notifications (which asks courses for the session and the trainee):
  # work the run caused. Waiting for it here keeps it out of the next
  # measurement; the wait is recorded beside the run.
  local drain; drain=$(notices_drained)
  jq -c --argjson drain "$drain" '. + {notices_drain_s: $drain}' "$work/enrol.json" > "$work/enrol.drained.json"
  record enrol < "$work/enrol.drained.json"
  jq -r '"    \(.label): \(.throughput)/s p50 \(.p50_ms) ms p99 \(.p99_ms) ms errors \(.errors), notices delivered \(.notices_drain_s) s after"' "$work/enrol.drained.json" >&2
}
# Seconds until enrolments' outbox holds no notice left to deliver (at most
# 300, 60 in a quick run; -1 when some were still waiting then).
notices_drained() {
  local t0 pending polls=1500; t0=$(date +%s.%N)
  [ -n "$quick" ] && polls=300
  for _ in $(seq 1 "$polls"); do
    pending=$(psql -At -d hamafza_bench_enrolments -c \
      "SELECT count(*) FROM notify_outbox WHERE delivered_at IS NULL AND parked_at IS NULL")
    if [ "$pending" = 0 ]; then
      printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc -l)"
      return
    fi
    sleep 0.2
  done
  echo -1
}
for callers in 8 32 64; do enrol spread "enrol-spread-c$callers" --concurrency "$callers"; done
for callers in 8 32; do enrol hot "enrol-hot-c$callers" --concurrency "$callers"; done
# Open loop at half the best spread closed-loop rate (issue 17: p99 within a
# few transaction times there), then at 1,000/s.
half=$(jq -s '[.[] | select(.label | startswith("enrol-spread-c")) | .throughput] | max / 2 | floor' "$results")
enrol spread enrol-open-half --rate "$half"
enrol spread enrol-open-1000 --rate 1000

# --- 3. Reads ---------------------------------------------------------------------
step "reads over gRPC and HTTP"
certified_session=$(bench sessions --courses "$courses" --count 1 | jq -r '.[0]')
serials=$(bench certify --enrolments "$enrolments" --certification "$certification" --session "$certified_session" --count 50)
# The trainees bench-0..999 get enrolments to list.
bench enrol --enrolments "$enrolments" --sessions "$(bench sessions --courses "$courses" --count 5)" \
  --rate 500 --duration 2s --label seed --prefix bench > /dev/null
read_grpc() { # WHAT URL LABEL CALLERS [ARGS]
  local what=$1 url=$2 label=$3 callers=$4; shift 4
  under_load bench read --what "$what" --url "$url" --label "$label" --concurrency "$callers" --duration "$duration" "$@" > "$work/read.json"
  record "${READ_PHASE:-read}" < "$work/read.json"
  jq -r '"    \(.label): \(.throughput)/s p50 \(.p50_ms) ms p99 \(.p99_ms) ms errors \(.errors)"' "$work/read.json" >&2
}
# The cost of one call (issue 17, item 6), back to back: the bare transport
# (a tonic server with health only), a service's server stack without a token
# or a handler (health on courses), and the cheapest authenticated call (the
# catalog from the public listing, as 1,000 trainees in turn: each token is
# verified once, then found in the cache).
# The echo server must answer before it is measured.
"$bin/hamafza-bench" echo-server --addr "127.0.0.1:$echo_port" > "$work/echo.log" 2>&1 &
pids[echo]=$!
healthy echo --addr "127.0.0.1:$echo_port"
read_grpc health "http://127.0.0.1:$echo_port" grpc-echo 16
read_grpc health "$courses" grpc-health-courses 16
read_grpc catalog "$courses" grpc-catalog 16
stop echo
read_grpc my-enrolments "$enrolments" grpc-my-enrolments 16 --trainees 1000
read_grpc verify "$certification" grpc-verify 16 --serials "$serials"
wrk_lua=$work/wrk.lua
cat > "$wrk_lua" <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('{"requests":%d,"errors":%d,"seconds":%.2f,"throughput":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, errors, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000))
end
LUA
read_http() { # LABEL PATH [HEADER]
  local label=$1 path=$2; shift 2
  under_load wrk -t2 -c16 -d "$duration" -s "$wrk_lua" "$@" "$gateway$path" > "$work/wrk.txt"
  tail -n 1 "$work/wrk.txt" | jq -c --arg name "$label" '. + {"label": $name, mode: "wrk 2 threads x16"}' | record read
  tail -n 1 "$work/wrk.txt" | jq -r --arg name "$label" '"    \($name): \(.throughput)/s p50 \(.p50_ms) ms p99 \(.p99_ms) ms errors \(.errors)"' >&2
}
trainee_token=$(bench token --sub bench-7)
read_http http-catalog /api/v1/courses
read_http http-my-enrolments /api/v1/me/enrolments -H "authorization: Bearer $trainee_token"
read_http http-verify "/api/v1/verify/$(jq -r '.[0]' <<<"$serials")"
# The ratios that travel between machines (same run, same conditions).
ratio() { # A B: A's throughput as a share of B's
  jq -rs --arg a "$1" --arg b "$2" \
    'map({(.label): .throughput}) | add | "    \($a) / \($b): \(.[$a] / .[$b] * 100 | round) %"' "$results" >&2
}
ratio grpc-catalog grpc-echo
ratio grpc-health-courses grpc-echo
ratio http-catalog grpc-catalog

# --- Completion to certificate ------------------------------------------------------
step "completion to certificate (completions at a steady rate)"
for rate in 10 50; do
  count=$((rate * ${duration%s}))
  [ "$count" -gt 600 ] && count=600
  session=$(bench sessions --courses "$courses" --count 1 | jq -r '.[0]')
  bench certify-delay --enrolments "$enrolments" --certification "$certification" --session "$session" \
    --count "$count" --rate "$rate" --label "certify-$rate" > "$work/certify.json"
  record certify < "$work/certify.json"
  jq -r '"    \(.label): \(.throughput) certificates/s, delay p50 \(.p50_ms) ms p99 \(.p99_ms) ms, errors \(.errors)"' "$work/certify.json" >&2
done

# --- 4. Growth ----------------------------------------------------------------------
step "growth: the same calls over more data"
course_id=$(psql -qAt -d hamafza_bench_enrolments -c "SELECT course_id FROM session_seats LIMIT 1")
for size in $growth; do
  trainees=$((size / 10))
  psql -q -d hamafza_bench_enrolments -v size="$size" -v trainees="$trainees" -v course="$course_id" -f bench/seed-enrolments.sql
  psql -q -d hamafza_bench_certification -v size="$size" -v trainees="$trainees" -f bench/seed-certificates.sql
  # The seeding's pages written now, not by a checkpoint during the reads.
  psql -q -d postgres -c CHECKPOINT
  echo "    seeded $size enrolments ($trainees trainees) and $size certificates" >&2
  READ_PHASE=growth-$size read_grpc my-enrolments "$enrolments" "growth-$size-my-enrolments" 4 --trainees 1000
  READ_PHASE=growth-$size read_grpc org-enrolments "$enrolments" "growth-$size-org-enrolments" 4
  READ_PHASE=growth-$size read_grpc report "$enrolments" "growth-$size-report" 1
  READ_PHASE=growth-$size read_grpc verify "$certification" "growth-$size-verify" 4 --serials "$serials"
done

# --- 5. Memory ------------------------------------------------------------------------
for name in courses enrolments certification notifications gateway; do
  jq -nc --arg service "$name" --argjson kib "${peak[$name]:-0}" '{"label": ("peak-" + $service), service: $service, rss_kib: $kib}' | record memory
done
step "stopping"
for name in gateway certification enrolments notifications courses; do stop "$name"; done

jq -nc --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" --argjson cores "$(nproc)" \
  --arg memory "$(free -g | awk '/^Mem:/ {print $2 " GiB"}')" --arg postgres "$(psql -qAt -d postgres -c 'SHOW server_version')" \
  --arg rustc "$(rustc --version)" --arg date "$(date -u +%FT%TZ)" --arg commit "$(git rev-parse --short HEAD)" \
  --arg duration "$duration" --arg profile "$profile" --arg quick "$quick" \
  '{cpu: $cpu, cores: $cores, memory: $memory, postgres: $postgres, rustc: $rustc, date: $date, commit: $commit, duration: $duration, profile: $profile, quick: ($quick != "")}' \
  > "$out/machine.json"
if [ -n "$quick" ]; then
  python3 bench/report.py "$results" "$out/machine.json" > "$out/BENCHMARKS.quick.md"
  step "quick run done: target/bench/BENCHMARKS.quick.md (BENCHMARKS.md untouched)"
else
  python3 bench/report.py "$results" "$out/machine.json" > BENCHMARKS.md
  step "done: BENCHMARKS.md"
fi
