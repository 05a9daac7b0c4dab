#!/usr/bin/env bash
# The compose deployment rehearsed without Docker: the same secrets
# (make-secrets.sh), the same per-service databases and roles
# (postgres/init.sh) on a local PostgreSQL, `hamafza migrate` first, then each
# service as its own process with the environment compose.yaml gives it,
# started in compose's dependency order once the one before is healthy
# (`hamafza healthcheck`). Then one trainee's way through the web gateway's
# API: enrol (its confirmation email reaches the SMTP relay) -> attend and
# pass (the admin over gRPC, ahead of the demo session's schedule) ->
# certificate -> public verification. Finally SIGTERM to every process, which
# must exit 0.
#
# What differs from compose: services listen on free loopback ports, an
# identity provider is stood in for by `hamafza jwks`/`hamafza token` (the
# services read its keys from HAMAFZA_AUTH_JWKS_FILE instead of a URL), and
# the demo catalog is added by `migrate --demo`, and Python's aiosmtpd stands
# in for Mailpit as the mail relay.
#
#   deploy/rehearse.sh              # uses target/debug/hamafza (builds it if missing)
#   HAMAFZA=path/to/hamafza PGHOST=... deploy/rehearse.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
hamafza=${HAMAFZA:-$root/target/debug/hamafza}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}
pg_admin=${PGUSER:-postgres}
prefix="rehearsal_$$_"
work=$(mktemp -d /tmp/hamafza-rehearsal.XXXXXX)
secrets=$work/secrets
declare -A pids=()

step() { printf '==> %s\n' "$*"; }
fail() {
  echo "rehearsal FAILED: $*" >&2
  for log in "$work"/*.log; do
    [ -f "$log" ] || continue
    echo "--- last lines of $(basename "$log")" >&2
    tail -n 15 "$log" >&2
  done
  exit 1
}

cleanup() {
  for name in "${!pids[@]}"; do kill -KILL "${pids[$name]}" 2>/dev/null || true; done
  for service in courses enrolments certification gateway notifications library; do
    psql -q -U "$pg_admin" -d postgres -c "DROP DATABASE IF EXISTS ${prefix}${service} WITH (FORCE)" \
      -c "DROP ROLE IF EXISTS ${prefix}${service}" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

[ -x "$hamafza" ] || (cd "$root" && cargo build --locked --quiet)
command -v jq >/dev/null || fail "jq is needed"
command -v buf >/dev/null || fail "buf is needed (npm install --global @bufbuild/buf)"
# N distinct free loopback ports: every socket stays bound until all are
# chosen (ports asked for one at a time can come back twice).
free_ports() {
  python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in held))' "$1"
}
python3 -c 'import aiosmtpd' 2>/dev/null || fail "aiosmtpd is needed (pip install aiosmtpd)"
read -r smtp_port courses_port enrolments_port certification_port gateway_port notifications_port <<<"$(free_ports 6)"

step "secrets (make-secrets.sh) and a database and role per service (postgres/init.sh)"
SECRETS_DIR=$secrets POSTGRES_HOST=$PGHOST:$PGPORT DB_PREFIX=$prefix \
  MAIL_SMTP_URL=smtp://127.0.0.1:$smtp_port sh "$root/deploy/make-secrets.sh" >/dev/null
# Compose mounts each file with its owner and mode into containers that run
# as other users (65532, postgres): they must be able to read them, and
# only the folder keeps the host's other users out.
[ "$(stat -c %a "$secrets")" = 700 ] || fail "make-secrets.sh left $secrets $(stat -c %a "$secrets"), not 700"
for file in "$secrets"/*; do
  [ "$(stat -c %a "$file")" = 644 ] || fail "make-secrets.sh left $file $(stat -c %a "$file"), not 644"
done
SECRETS_DIR=$secrets POSTGRES_USER=$pg_admin DB_PREFIX=$prefix sh "$root/deploy/postgres/init.sh" >/dev/null

step "identity provider stand-in: its keys, and a token for each service"
idp=$work/idp
HAMAFZA_DATA_DIR=$idp "$hamafza" jwks > "$work/jwks.json"
token() { HAMAFZA_DATA_DIR=$idp "$hamafza" token --ttl 1h "$@"; }
for service in courses enrolments certification notifications library gateway; do
  token --sub "$service" --org imidro --role service > "$secrets/${service}_service_token"
done

gateway=http://127.0.0.1:$gateway_port
# x-service's environment in compose.yaml.
common=(
  HAMAFZA_LOG_FORMAT=json
  HAMAFZA_AUTH_JWKS_FILE="$work/jwks.json"
  HAMAFZA_COURSES_URL=http://127.0.0.1:$courses_port
  HAMAFZA_ENROLMENTS_URL=http://127.0.0.1:$enrolments_port
  HAMAFZA_CERTIFICATION_URL=http://127.0.0.1:$certification_port
  HAMAFZA_NOTIFICATIONS_URL=http://127.0.0.1:$notifications_port
  HAMAFZA_CREDENTIALS_PUBLIC_BASE_URL=$gateway
)

step "migrate (one-shot, before any service)"
env -i PATH="$PATH" HAMAFZA_LOG_FORMAT=json \
  HAMAFZA_COURSES_DATABASE_URL_FILE="$secrets/courses_database_url" \
  HAMAFZA_ENROLMENTS_DATABASE_URL_FILE="$secrets/enrolments_database_url" \
  HAMAFZA_CERTIFICATION_DATABASE_URL_FILE="$secrets/certification_database_url" \
  HAMAFZA_GATEWAY_DATABASE_URL_FILE="$secrets/gateway_database_url" \
  HAMAFZA_NOTIFICATIONS_DATABASE_URL_FILE="$secrets/notifications_database_url" \
  HAMAFZA_LIBRARY_DATABASE_URL_FILE="$secrets/library_database_url" \
  "$hamafza" migrate --demo > "$work/migrate.log" 2>&1 || fail "migrate"
grep -q "demo catalog added" "$work/migrate.log" || fail "migrate did not add the demo catalog"

# start NAME ARGS... -- ENV...: one compose service as a process.
start() {
  local name=$1 service=$2; shift 2
  env -i PATH="$PATH" HAMAFZA_DATA_DIR="$work/$name" "${common[@]}" "$@" \
    "$hamafza" serve "$service" > "$work/$name.log" 2>&1 &
  pids[$name]=$!
}
healthy() {
  local name=$1; shift
  for _ in $(seq 1 100); do
    kill -0 "${pids[$name]}" 2>/dev/null || fail "$name exited while starting"
    if "$hamafza" healthcheck "$@" >/dev/null 2>&1; then echo "    $name healthy"; return; fi
    sleep 0.2
  done
  fail "$name not healthy after 20 s"
}

step "services, each once the ones it depends on are healthy"
start courses courses HAMAFZA_COURSES_ADDR=127.0.0.1:$courses_port \
  HAMAFZA_COURSES_DATABASE_URL_FILE="$secrets/courses_database_url" \
  HAMAFZA_AUTH_SERVICE_TOKEN_FILE="$secrets/courses_service_token"
healthy courses --addr "127.0.0.1:$courses_port"
start enrolments enrolments HAMAFZA_ENROLMENTS_ADDR=127.0.0.1:$enrolments_port \
  HAMAFZA_ENROLMENTS_DATABASE_URL_FILE="$secrets/enrolments_database_url" \
  HAMAFZA_AUTH_SERVICE_TOKEN_FILE="$secrets/enrolments_service_token"
start certification certification HAMAFZA_CERTIFICATION_ADDR=127.0.0.1:$certification_port \
  HAMAFZA_CERTIFICATION_DATABASE_URL_FILE="$secrets/certification_database_url" \
  HAMAFZA_AUTH_SERVICE_TOKEN_FILE="$secrets/certification_service_token" \
  HAMAFZA_CREDENTIALS_SIGNING_KEY_FILE="$secrets/signing_key.pem"
step "mail relay (Mailpit in compose): aiosmtpd keeping messages in a Maildir"
python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$work/mail" \
  > "$work/smtp.log" 2>&1 &
pids[smtp]=$!
start notifications notifications HAMAFZA_NOTIFICATIONS_ADDR=127.0.0.1:$notifications_port \
  HAMAFZA_NOTIFICATIONS_DATABASE_URL_FILE="$secrets/notifications_database_url" \
  HAMAFZA_AUTH_SERVICE_TOKEN_FILE="$secrets/notifications_service_token" \
  HAMAFZA_MAIL_SMTP_URL_FILE="$secrets/mail_smtp_url" \
  HAMAFZA_MAIL_FROM="هم‌افزا <training@imidro.example>"
healthy enrolments --addr "127.0.0.1:$enrolments_port"
healthy certification --addr "127.0.0.1:$certification_port"
healthy notifications --addr "127.0.0.1:$notifications_port"
start gateway gateway HAMAFZA_GATEWAY_ADDR=127.0.0.1:$gateway_port \
  HAMAFZA_GATEWAY_DATABASE_URL_FILE="$secrets/gateway_database_url" \
  HAMAFZA_AUTH_SERVICE_TOKEN_FILE="$secrets/gateway_service_token"
healthy gateway --http --addr "127.0.0.1:$gateway_port"

step "a trainee's way through the gateway"
trainee=$(token --sub trainee-msc-1 --org msc --role trainee --name "سارا احمدی")
admin=$(token --sub admin --org imidro --role platform_admin)
api() { # METHOD PATH [BODY] with the trainee's token; fails on HTTP errors
  curl -sS --fail-with-body -X "$1" -H "authorization: Bearer $trainee" \
    -H 'content-type: application/json' ${3:+--data "$3"} "$gateway$2"
}
grpc() { # URL/METHOD BODY with the admin's token
  buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer $admin" -d "$2" "$1"
}
enrolment=""
for session in $(api GET /api/v1/sessions | jq -r '.[].id'); do
  # A session may refuse her (a prerequisite, a manager's approval): its
  # reason is said, and the next one tried.
  if ! answer=$(api POST "/api/v1/sessions/$session/enrolments" "{\"request_id\":\"rehearsal-$session\"}" 2>"$work/curl.err"); then
    refusal=$(jq -r '"\(.reason // "?"): \(.message // "")"' <<<"$answer" 2>/dev/null || true)
    echo "    session $session refused the trainee: ${refusal:-$(cat "$work/curl.err")}"
    continue
  fi
  if [ "$(jq -r .status <<<"$answer")" = confirmed ]; then
    enrolment=$(jq -r .id <<<"$answer"); break
  fi
done
[ -n "$enrolment" ] || fail "no open session confirmed the trainee"
echo "    enrolled: session $session, enrolment $enrolment (confirmed)"
mailed=""
for _ in $(seq 1 100); do
  mailed=$(grep -l "trainee-msc-1@msc.example" "$work"/mail/new/* 2>/dev/null | head -n 1) || true
  [ -n "$mailed" ] && break
  sleep 0.2
done
[ -n "$mailed" ] || fail "no confirmation email reached the relay within 20 s"
grep -q "method=REQUEST" "$mailed" || fail "the confirmation email carries no invitation"
echo "    confirmation email with its calendar invitation reached the relay"

meetings=$(grpc "http://127.0.0.1:$courses_port/hamafza.courses.v1.SessionService/GetSession" \
  "{\"sessionId\":\"$session\"}" | jq '.session.details.meetings | length')
# The demo session's meetings are days away: the admin records them ahead of
# the schedule, saying why (an instructor could not before they start).
ahead="deployment rehearsal: recorded ahead of the schedule"
for ((meeting = 0; meeting < meetings; meeting++)); do
  grpc "http://127.0.0.1:$enrolments_port/hamafza.enrolments.v1.EnrolmentService/RecordAttendance" \
    "{\"requestId\":\"att-$meeting\",\"sessionId\":\"$session\",\"meetingIndex\":$meeting,
      \"marks\":[{\"enrolmentId\":\"$enrolment\",\"status\":\"ATTENDANCE_STATUS_PRESENT\"}],
      \"overrideReason\":\"$ahead\"}" >/dev/null
done
status=$(grpc "http://127.0.0.1:$enrolments_port/hamafza.enrolments.v1.EnrolmentService/CompleteEnrolment" \
  "{\"requestId\":\"done-1\",\"enrolmentId\":\"$enrolment\",\"score\":92,\"overrideReason\":\"$ahead\"}" | jq -r .enrolment.status)
[ "$status" = ENROLMENT_STATUS_COMPLETED ] || fail "completion answered $status"
echo "    attended $meetings meetings, completed with 92"

serial=""
for _ in $(seq 1 50); do
  serial=$(api GET /api/v1/me/certificates | jq -r '[.[] | select(.status == "active")][0].serial // empty')
  [ -n "$serial" ] && break
  sleep 0.2
done
[ -n "$serial" ] || fail "no certificate 10 s after the completion"
echo "    certificate $serial"
verdict=$(curl -sS --fail-with-body "$gateway/api/v1/verify/$serial" | jq -r .verdict)
[ "$verdict" = valid ] || fail "verification said $verdict"
page=$(curl -sS -o /dev/null -w '%{http_code}' "$gateway/verify/$serial")
[ "$page" = 200 ] || fail "the public verification page answered $page"
echo "    verified without a token: $verdict (page $page)"

step "SIGTERM every service; each must exit 0"
for name in gateway notifications certification enrolments courses; do
  kill -TERM "${pids[$name]}"
  code=0; wait "${pids[$name]}" || code=$?
  unset "pids[$name]"
  [ "$code" = 0 ] || fail "$name exited $code after SIGTERM"
  echo "    $name exited 0"
done
kill -TERM "${pids[smtp]}" 2>/dev/null || true
wait "${pids[smtp]}" 2>/dev/null || true
unset "pids[smtp]"
step "rehearsal passed"
