"""TLS: the server side of the three listeners, and the client side towards ClickHouse and PostgreSQL.

One certificate and key (`OTELHOUSE_TLS_CERT_FILE` / `OTELHOUSE_TLS_KEY_FILE`) serve the API and both
OTLP receivers; with `OTELHOUSE_OTLP_CLIENT_CA_FILE` the OTLP receivers also demand a client
certificate signed by that CA (mTLS). Only TLS 1.2 and 1.3 are spoken. The files are read and checked
once at startup, so a missing file, a key that is not the certificate's, or an encrypted key stops the
start with a message naming the setting to fix.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy.engine import URL

from otelhouse.errors import StartupError
from otelhouse.settings import Settings

log = logging.getLogger("otelhouse")
MIN_VERSION = ssl.TLSVersion.TLSv1_2
_FALSE = frozenset({"0", "false", "no", "off", "f", "n"})


class TLSConfigError(StartupError, ValueError):
    """A TLS file or option cannot be used as configured."""


@dataclass(frozen=True)
class ServerTLS:
    """The certificate, key and optional client CA of the listeners, already checked."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None
    cert_pem: bytes
    key_pem: bytes
    client_ca_pem: bytes | None

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerTLS | None:
        """None when TLS is off; a TLSConfigError when the files cannot serve."""
        cert, key, client_ca = settings.tls_cert_file, settings.tls_key_file, settings.otlp_client_ca_file
        if cert is None and key is None:
            if client_ca is not None:
                raise TLSConfigError(
                    "OTELHOUSE_OTLP_CLIENT_CA_FILE needs TLS: "
                    "set OTELHOUSE_TLS_CERT_FILE and OTELHOUSE_TLS_KEY_FILE too"
                )
            return None
        if cert is None or key is None:
            missing = "OTELHOUSE_TLS_KEY_FILE" if key is None else "OTELHOUSE_TLS_CERT_FILE"
            raise TLSConfigError(f"TLS needs both a certificate and its key: {missing} is not set")
        cert_pem = _read(cert, "OTELHOUSE_TLS_CERT_FILE")
        key_pem = _read(key, "OTELHOUSE_TLS_KEY_FILE")
        _check_pair(cert, cert_pem, key, key_pem)
        ca_pem = None
        if client_ca is not None:
            ca_pem = _read(client_ca, "OTELHOUSE_OTLP_CLIENT_CA_FILE")
            _certificates(client_ca, ca_pem, "OTELHOUSE_OTLP_CLIENT_CA_FILE")
        tls = cls(cert, key, client_ca, cert_pem, key_pem, ca_pem)
        tls.context(client_auth=True)  # what OpenSSL itself refuses, it refuses now
        return tls

    @property
    def mutual(self) -> bool:
        return self.client_ca_pem is not None

    def context(self, *, client_auth: bool) -> ssl.SSLContext:
        """A server context, TLS 1.2 or newer; with `client_auth` and a client CA, client certs are required."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = MIN_VERSION
        try:
            context.load_cert_chain(self.cert_file, self.key_file, password=_no_password)
            if client_auth and self.client_ca_file is not None:
                context.load_verify_locations(cafile=self.client_ca_file)
                context.verify_mode = ssl.CERT_REQUIRED
        except (ssl.SSLError, OSError) as exc:
            raise TLSConfigError(f"the TLS files cannot be used: {exc}") from exc
        return context


def _no_password() -> str:
    # Without this callback OpenSSL would prompt on the terminal for the key's password.
    raise TLSConfigError("OTELHOUSE_TLS_KEY_FILE holds an encrypted key: give the key unencrypted (mode 0600)")


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TLSConfigError(f"cannot read {path}, named by {setting}: {exc.strerror or exc}") from exc


def _certificates(path: Path, pem: bytes, setting: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise TLSConfigError(
            f"{path}, named by {setting}, holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ) from None


def _check_pair(cert_path: Path, cert_pem: bytes, key_path: Path, key_pem: bytes) -> None:
    leaf = _certificates(cert_path, cert_pem, "OTELHOUSE_TLS_CERT_FILE")[0]
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        raise TLSConfigError(
            f"{key_path}, named by OTELHOUSE_TLS_KEY_FILE, is encrypted: give the key unencrypted (mode 0600)"
        ) from None
    except ValueError:
        raise TLSConfigError(
            f"{key_path}, named by OTELHOUSE_TLS_KEY_FILE, holds no PEM private key (-----BEGIN … PRIVATE KEY-----)"
        ) from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if leaf.public_key().public_bytes(serialization.Encoding.DER, public) != key.public_key().public_bytes(
        serialization.Encoding.DER, public
    ):
        raise TLSConfigError(
            f"the key in {key_path} (OTELHOUSE_TLS_KEY_FILE) does not belong to the certificate in {cert_path} "
            "(OTELHOUSE_TLS_CERT_FILE); the first certificate in the file must be the server's own"
        )
    if leaf.not_valid_after_utc < datetime.now(UTC):
        log.warning(
            "the TLS certificate in %s expired on %s: clients will refuse it", cert_path, leaf.not_valid_after_utc
        )


# --- ClickHouse --------------------------------------------------------------------------------------


def check_clickhouse_tls(settings: Settings) -> None:
    """Refuse a ClickHouse URL that would skip certificate checks in production, and a CA file without https."""
    url = settings.clickhouse_url
    if settings.clickhouse_ca_file is not None:
        if not url.lower().startswith("https://"):
            raise TLSConfigError("OTELHOUSE_CLICKHOUSE_CA_FILE is set but OTELHOUSE_CLICKHOUSE_URL is not https://…")
        _certificates(
            settings.clickhouse_ca_file,
            _read(settings.clickhouse_ca_file, "OTELHOUSE_CLICKHOUSE_CA_FILE"),
            "OTELHOUSE_CLICKHOUSE_CA_FILE",
        )
    options = {name.lower(): value for name, value in parse_qsl(urlsplit(url).query)}
    if options.get("verify", "").strip().lower() in _FALSE:
        if settings.env == "production":
            raise TLSConfigError(
                "OTELHOUSE_CLICKHOUSE_URL turns certificate verification off (verify=…), which production refuses: "
                "remove it and name the CA that signed the server's certificate in OTELHOUSE_CLICKHOUSE_CA_FILE"
            )
        log.warning("ClickHouse certificate verification is off (verify= in OTELHOUSE_CLICKHOUSE_URL)")


def clickhouse_tls_kwargs(settings: Settings) -> dict[str, Any]:
    """clickhouse-connect `get_client` arguments for the server's own ClickHouse (beside `dsn=`).

    The scheme is passed on explicitly: clickhouse-connect takes host and port from a DSN but not its
    scheme, and guesses TLS from the port (443/8443 only), so `https://host:9443` would go out in plain
    text. For https, verification is on, with `OTELHOUSE_CLICKHOUSE_CA_FILE` when given.
    """
    return url_tls_kwargs(settings.clickhouse_url, settings.clickhouse_ca_file)


def url_tls_kwargs(url: str, ca_file: Path | None = None) -> dict[str, Any]:
    """clickhouse-connect arguments for a ClickHouse URL (also a team's own connection): its scheme
    passed on explicitly and, for https, verification on (against `ca_file`, else the system's CAs)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme != "https":
        return {"interface": "http"} if scheme == "http" else {}
    kwargs: dict[str, Any] = {"interface": "https", "verify": True}
    if ca_file is not None:
        kwargs["ca_cert"] = str(ca_file)
    return kwargs


# --- PostgreSQL --------------------------------------------------------------------------------------

# libpq's TLS parameters; asyncpg takes one `ssl` argument instead, so they are taken out of the URL.
_LIBPQ_TLS = ("sslmode", "sslrootcert", "sslcert", "sslkey")
_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def postgres_tls(url: URL) -> tuple[URL, dict[str, Any]]:
    """The URL without libpq's ssl* parameters, and asyncpg's `ssl` connect argument made from them.

    As libpq: `require` encrypts without checking the certificate, unless `sslrootcert` names a CA (then
    as `verify-ca`); `verify-ca` checks the chain; `verify-full` also checks the host name. Without
    `sslrootcert` (or with `sslrootcert=system`) the system's CAs are trusted.
    """
    if url.get_backend_name() != "postgresql" or not any(name in url.query for name in _LIBPQ_TLS):
        return url, {}
    query = {name: _single(url.query[name]) for name in _LIBPQ_TLS if name in url.query}
    rest = url.difference_update_query(_LIBPQ_TLS)
    mode = query.get("sslmode", "prefer").lower()
    if mode not in _SSLMODES:
        raise TLSConfigError(f"sslmode={mode} in OTELHOUSE_DATABASE_URL is not one of {', '.join(_SSLMODES)}")
    root = query.get("sslrootcert")
    if mode == "disable":
        return rest, {"ssl": False}
    if mode in ("allow", "prefer"):
        return rest, {"ssl": mode}  # asyncpg tries TLS and falls back, as libpq does
    if mode == "require" and root is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context() if root in (None, "system") else _client_context(root)
        context.check_hostname = mode == "verify-full"
    context.minimum_version = MIN_VERSION
    if "sslcert" in query:
        try:
            context.load_cert_chain(query["sslcert"], query.get("sslkey"), password=_no_password)
        except (ssl.SSLError, OSError) as exc:
            raise TLSConfigError(f"sslcert/sslkey in OTELHOUSE_DATABASE_URL cannot be used: {exc}") from exc
    return rest, {"ssl": context}


def _client_context(ca_file: str) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise TLSConfigError(f"sslrootcert={ca_file} in OTELHOUSE_DATABASE_URL cannot be used: {exc}") from exc


def _single(value: str | tuple[str, ...]) -> str:
    return value if isinstance(value, str) else value[-1]
