#!/usr/bin/env bash
# Schemathesis (PyPI, pinned below) over the gateway's JSON API: `hamafza up`
# on a fresh data directory and free ports, then every operation of
# /api/openapi.json with every check, once with a trainee's token and once
# with a platform admin's, bounded (examples per operation, a fixed seed, a
# time limit; SCHEMATHESIS_SEED picks another seed to explore with). Any
# failure of any check fails the run. What the server may
# refuse for the state a valid request meets (422) is declared in the
# document and expected in .ci/schemathesis.toml.
#
# Usage: .ci/schemathesis.sh [path/to/hamafza]   (default target/debug/hamafza)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hamafza=$(realpath "${1:-$root/target/debug/hamafza}")
version=4.32.5
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-25}
max_time=${SCHEMATHESIS_MAX_TIME:-120}
seed=${SCHEMATHESIS_SEED:-20261129}

if [ "$(python3 -c 'import schemathesis; print(schemathesis.__version__)' 2>/dev/null || true)" != "$version" ]; then
  echo "installing schemathesis $version (pip)"
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$version"
fi
[ -x "$hamafza" ] || (cd "$root" && cargo build --locked --quiet --bin hamafza)

# Schemathesis writes .schemathesis/ into its working directory: a temporary
# one, removed with the data.
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export HAMAFZA_DATA_DIR="$work/data"
export HAMAFZA_GATEWAY_ADDR=127.0.0.1:$(free_port)
export HAMAFZA_COURSES_ADDR=127.0.0.1:$(free_port)
export HAMAFZA_ENROLMENTS_ADDR=127.0.0.1:$(free_port)
export HAMAFZA_CERTIFICATION_ADDR=127.0.0.1:$(free_port)
export HAMAFZA_NOTIFICATIONS_ADDR=127.0.0.1:$(free_port)
export HAMAFZA_LIBRARY_ADDR=127.0.0.1:$(free_port)
gateway="http://$HAMAFZA_GATEWAY_ADDR"

"$hamafza" up > "$work/up.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  kill -0 "$pid" 2>/dev/null || { cat "$work/up.log"; echo "hamafza up exited" >&2; exit 1; }
  curl -sf -o /dev/null "$gateway/readyz" && break
  sleep 0.2
done
curl -sf -o /dev/null "$gateway/readyz" || { cat "$work/up.log"; echo "not ready after 30 s" >&2; exit 1; }

trainee=$("$hamafza" token --sub trainee-msc-1 --org msc --role trainee --name "سارا احمدی")
admin=$("$hamafza" token --sub admin --org imidro --role platform_admin)

failed=0
for who in trainee admin; do
  token=${!who}
  echo "--- schemathesis as the $who"
  if ! (cd "$work" && timeout --signal=INT $((max_time + 60)) \
      st --config-file "$root/.ci/schemathesis.toml" run "$gateway/api/openapi.json" \
        --checks all --max-examples "$max_examples" --seed "$seed" \
        --max-time "$max_time" --request-timeout 10 --workers 1 --no-color \
        -H "Authorization: Bearer $token"); then
    failed=1
  fi
done
if [ "$failed" != 0 ]; then
  echo "schemathesis found failures (the server's log: below)" >&2
  tail -n 50 "$work/up.log" >&2
  exit 1
fi
echo "schemathesis: 0 failures as the trainee and as the admin"
