#!/bin/sh
# One database and one role per service (the gateway's holds web sessions), passwords from compose secrets.
# SECRETS_DIR and DB_PREFIX let deploy/rehearse.sh run the same script
# against a PostgreSQL outside compose.
set -eu
secrets=${SECRETS_DIR:-/run/secrets}
for service in courses enrolments certification gateway notifications library; do
  name="${DB_PREFIX:-}${service}"
  password=$(cat "${secrets}/${service}_db_password")
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE ${name} LOGIN PASSWORD '${password}';
CREATE DATABASE ${name} OWNER ${name};
REVOKE ALL ON DATABASE ${name} FROM PUBLIC;
SQL
done
