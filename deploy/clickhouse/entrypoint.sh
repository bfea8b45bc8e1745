#!/bin/bash
# ClickHouse's `default` user gets the password from the Docker secret clickhouse_admin_password, stored
# as its SHA-256 in users.d (the password itself is written nowhere and is not in the environment), and
# may manage users and grants, which `otelhouse clickhouse setup` needs. Then the image's entrypoint runs.
set -euo pipefail

secret=/run/secrets/clickhouse_admin_password
if [ ! -s "$secret" ]; then
    echo "no ClickHouse admin password in $secret: run deploy/secrets/make-secrets.sh (see deploy/secrets/README.md)" >&2
    exit 1
fi
hash="$(tr -d '\r\n' <"$secret" | sha256sum | cut -d' ' -f1)"
cat >/etc/clickhouse-server/users.d/default-password.xml <<XML
<clickhouse>
  <users>
    <default>
      <password remove="remove"/>
      <password_sha256_hex>${hash}</password_sha256_hex>
      <access_management>1</access_management>
      <named_collection_control>1</named_collection_control>
    </default>
  </users>
</clickhouse>
XML
chmod 0644 /etc/clickhouse-server/users.d/default-password.xml
exec /entrypoint.sh "$@"
