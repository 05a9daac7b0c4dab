#!/bin/sh
# One database and one role per service, passwords from compose secrets.
set -eu
for service in courses enrolments certification; do
  password=$(cat "/run/secrets/${service}_db_password")
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE ${service} LOGIN PASSWORD '${password}';
CREATE DATABASE ${service} OWNER ${service};
REVOKE ALL ON DATABASE ${service} FROM PUBLIC;
SQL
done
