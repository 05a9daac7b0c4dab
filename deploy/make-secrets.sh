#!/bin/sh
# Creates the compose secrets in deploy/secrets/ (once; existing files are kept):
# database passwords and URLs, the certificate signing key, the mail relay URL,
# the library's object store key,
# and placeholders for
# the service tokens and the OIDC client secret that the identity provider issues.
# SECRETS_DIR, POSTGRES_HOST and DB_PREFIX let deploy/rehearse.sh make the same
# secrets for a PostgreSQL outside compose.
set -eu
cd "$(dirname "$0")"
dir=${SECRETS_DIR:-secrets}
host=${POSTGRES_HOST:-postgres:5432}
# The folder is the operator's alone (0700). Compose (without swarm) mounts
# each file as it is on the host, owner and mode, into containers whose
# processes are not the operator (the services run as uid 65532, PostgreSQL
# as its own user): the files must be readable to them (0644), and only the
# folder keeps other users of the host out.
mkdir -p "$dir"
chmod 700 "$dir"
umask 022
new() { [ -f "$dir/$1" ] || { file=$1; shift; "$@" > "$dir/$file"; }; }
random() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }
new postgres_password random
for service in courses enrolments certification gateway notifications library; do
  name="${DB_PREFIX:-}${service}"
  new "${service}_db_password" random
  [ -f "$dir/${service}_database_url" ] || \
    printf 'postgres://%s:%s@%s/%s\n' "$name" "$(cat "$dir/${service}_db_password")" "$host" "$name" > "$dir/${service}_database_url"
done
[ -f "$dir/signing_key.pem" ] || openssl genpkey -algorithm ed25519 -out "$dir/signing_key.pem"
for name in courses_service_token enrolments_service_token certification_service_token notifications_service_token library_service_token gateway_service_token oidc_client_secret; do
  [ -f "$dir/$name" ] || echo "replace with the value from the identity provider" > "$dir/$name"
done
# Mail goes to the Mailpit of compose until this names a real relay
# (smtps://user:password@relay.example.org or smtp://…?tls=required).
[ -f "$dir/mail_smtp_url" ] || echo "${MAIL_SMTP_URL:-smtp://mailpit:1025}" > "$dir/mail_smtp_url"
# The library's object store key (MinIO's root password in compose; for
# another S3 store, the secret access key it issued).
new library_store_secret_key random
# Files an earlier version made 0600 become readable to the containers too.
chmod 644 "$dir"/*
echo "secrets in $(cd "$dir" && pwd)"
