#!/bin/sh
# Creates the compose secrets in deploy/secrets/ (once; existing files are kept):
# database passwords and URLs, the certificate signing key, and placeholders for
# the service tokens and the OIDC client secret that the identity provider issues.
set -eu
cd "$(dirname "$0")"
mkdir -p secrets
umask 077
new() { [ -f "secrets/$1" ] || { shift_name=$1; shift; "$@" > "secrets/$shift_name"; }; }
random() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }
new postgres_password random
for service in courses enrolments certification; do
  new "${service}_db_password" random
  [ -f "secrets/${service}_database_url" ] || \
    printf 'postgres://%s:%s@postgres:5432/%s\n' "$service" "$(cat "secrets/${service}_db_password")" "$service" > "secrets/${service}_database_url"
done
[ -f secrets/signing_key.pem ] || openssl genpkey -algorithm ed25519 -out secrets/signing_key.pem
for name in courses_service_token enrolments_service_token certification_service_token gateway_service_token oidc_client_secret; do
  [ -f "secrets/$name" ] || echo "replace with the value from the identity provider" > "secrets/$name"
done
echo "secrets in $(pwd)/secrets"
