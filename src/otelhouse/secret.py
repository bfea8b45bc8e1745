"""The session secret: where it comes from, and whether it is strong enough.

It signs session cookies and derives the key that encrypts stored secrets. In development an unset
secret is generated once and kept in `<data dir>/session-secret` (mode 0600). In production it must
be given (`OTELHOUSE_SESSION_SECRET` or `OTELHOUSE_SESSION_SECRET_FILE`) and must be strong.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from collections import Counter
from pathlib import Path

from otelhouse.errors import StartupError
from otelhouse.settings import Settings

log = logging.getLogger("otelhouse")
SECRET_FILE = "session-secret"  # noqa: S105 (a file name)
MIN_BYTES = 32
# Shannon entropy of the characters, in bits per character: random hex has 4, base64 about 6; a
# repeated word or a keyboard walk has far less.
MIN_BITS_PER_CHAR = 3.0
MIN_DISTINCT = 10
# Values copied from documentation and examples, ours and others'.
KNOWN_EXAMPLES = frozenset(
    {
        "super-secure-random-string",
        "changeme",
        "change-me",
        "changeit",
        "secret",
        "mysecret",
        "hyperdx",
        "hyperdx-secret",
        "my-super-secret-key",
        "your-secret-key",
        "replace-me",
        "example",
        "password",
    }
)
HOW_TO_MAKE_ONE = "make one with `otelhouse secret` (or `openssl rand -hex 32`)"


def new_secret() -> str:
    """64 hex characters: 256 random bits."""
    return secrets.token_hex(32)


def weaknesses(secret: str) -> list[str]:
    """Why this secret is not fit for production; empty when it is."""
    value = secret.strip()
    if value.lower() in KNOWN_EXAMPLES or any(example in value.lower() for example in _LONG_EXAMPLES):
        return ["it is a published example value"]
    found = []
    size = len(value.encode("utf-8"))
    if size < MIN_BYTES:
        found.append(f"it is {size} bytes long; at least {MIN_BYTES} are needed")
    if value and (_bits_per_char(value) < MIN_BITS_PER_CHAR or len(set(value)) < MIN_DISTINCT):
        found.append("it has too little randomness (repeated or predictable characters)")
    return found


_LONG_EXAMPLES = tuple(example for example in KNOWN_EXAMPLES if len(example) >= 12)


def _bits_per_char(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def resolve(settings: Settings) -> bytes:
    """The secret to use, checked; generates and stores one in development when none is given."""
    given = settings.session_secret.strip()
    if given:
        problems = weaknesses(given)
        if problems and settings.env == "production":
            raise StartupError(
                "OTELHOUSE_SESSION_SECRET is not fit for production: " + "; ".join(problems) + f". {HOW_TO_MAKE_ONE}"
            )
        if problems:
            log.warning("the session secret is weak (%s); production mode would refuse it", "; ".join(problems))
        return given.encode("utf-8")
    if settings.env == "production":
        raise StartupError(
            "OTELHOUSE_ENV=production needs OTELHOUSE_SESSION_SECRET or OTELHOUSE_SESSION_SECRET_FILE: "
            + HOW_TO_MAKE_ONE
        )
    return _development_secret(settings.data_dir.resolve() / SECRET_FILE).encode("utf-8")


def _development_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = new_secret()
    # Written aside, then linked into place: another process never reads a half-written file, and
    # when two start together the first link wins and both use its value.
    temporary = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        temporary.unlink()
    log.warning(
        "no OTELHOUSE_SESSION_SECRET: generated one and saved it in %s (mode 0600). Fine for development; "
        "in production set OTELHOUSE_SESSION_SECRET (%s)",
        path,
        HOW_TO_MAKE_ONE,
    )
    return value
