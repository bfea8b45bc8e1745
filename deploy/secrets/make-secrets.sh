#!/bin/sh
# Makes the secret files that deploy/docker-compose.yml mounts, in this folder, once. Existing files are
# kept (a new session secret would log everyone out; new passwords must also reach ClickHouse and
# PostgreSQL). Every value comes from `otelhouse secret`: 64 hex characters, 256 random bits.
#
#   sh deploy/secrets/make-secrets.sh              # with otelhouse installed (pip install . / make install)
#   OTELHOUSE="docker run --rm otelhouse:local" sh deploy/secrets/make-secrets.sh   # with the image only
set -eu

cd "$(dirname "$0")"
otelhouse="${OTELHOUSE:-otelhouse}"
umask 077

make_secret() {
    if [ -s "$1" ]; then
        echo "kept    $1"
    else
        $otelhouse secret >"$1"
        echo "created $1"
    fi
}

for name in session_secret clickhouse_admin_password clickhouse_ingest_password clickhouse_query_password postgres_password; do
    make_secret "$name"
done

# otelhouse reaches PostgreSQL with a URL that carries the password: written from postgres_password.
# Add ?sslmode=verify-full&sslrootcert=… when PostgreSQL is elsewhere and speaks TLS.
if [ -s database_url ]; then
    echo "kept    database_url"
else
    printf 'postgresql://otelhouse:%s@postgres:5432/otelhouse\n' "$(tr -d '\r\n' <postgres_password)" >database_url
    echo "created database_url"
fi

# otelhouse runs as uid 10001 and reads the files mounted from here; ClickHouse's and PostgreSQL's
# entrypoints read theirs as root.
if [ "$(id -u)" = 0 ]; then
    chown 10001:10001 session_secret clickhouse_admin_password clickhouse_ingest_password clickhouse_query_password postgres_password database_url
    chmod 0400 session_secret clickhouse_admin_password clickhouse_ingest_password clickhouse_query_password postgres_password database_url
else
    echo "as root (sudo), make the files readable by otelhouse's uid 10001:"
    echo "  sudo chown 10001:10001 $(pwd)/*_password $(pwd)/session_secret $(pwd)/database_url"
fi
