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
from itertools import pairwise
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
# Share of distinct 3-character pieces: about 1 in a random string, low when a part repeats
# ("0123456789abcdef" four times has 16 distinct pieces out of 62).
MIN_DISTINCT_TRIGRAMS = 0.75
# Share of steps to the next character that a person would take (same, next in the alphabet or
# on the keyboard): about 1 in 5 in random hex, nearly all in "abcdef…" or "qwerty…".
MAX_PREDICTABLE_STEPS = 0.5
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "azertyuiop", "yxcvbnm")
# Values copied from documentation and examples, ours and others'. HyperDX documents
# `hyperdx is cool 👋` as the default of its EXPRESS_SESSION_SECRET.
KNOWN_EXAMPLES = frozenset(
    {
        "super-secure-random-string",
        "hyperdx is cool 👋",
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
        "keyboard cat",
    }
)
HOW_TO_MAKE_ONE = (
    "Make a strong one with `otelhouse secret` (or `openssl rand -hex 32`) and put it in "
    "OTELHOUSE_SESSION_SECRET, or in a file named by OTELHOUSE_SESSION_SECRET_FILE"
)


def new_secret() -> str:
    """64 hex characters: 256 random bits."""
    return secrets.token_hex(32)


def weaknesses(secret: str) -> list[str]:
    """Why this secret is not fit for production; empty when it is. Never quotes the secret."""
    value = secret.strip()
    if _published(value):
        return ["it is a published example value"]
    found = []
    size = len(value.encode("utf-8"))
    if size < MIN_BYTES:
        found.append(f"it is {size} byte{'' if size == 1 else 's'} long; at least {MIN_BYTES} are needed")
    if value and _predictable(value):
        found.append("it has too little randomness (repeated, sequential or too few different characters)")
    return found


def _canonical(text: str) -> str:
    # Case, spaces and punctuation do not make an example value secret: "Change_Me" is "changeme".
    return "".join(char for char in text.lower() if char.isalnum())


_EXAMPLES = frozenset(_canonical(example) for example in KNOWN_EXAMPLES)
# Long examples are refused also inside a longer value ("super-secure-random-string-2024").
_LONG_EXAMPLES = tuple(example for example in _EXAMPLES if len(example) >= 12)


def _published(value: str) -> bool:
    canonical = _canonical(value)
    return canonical in _EXAMPLES or any(example in canonical for example in _LONG_EXAMPLES)


def _predictable(value: str) -> bool:
    return (
        _bits_per_char(value) < MIN_BITS_PER_CHAR
        or len(set(value)) < MIN_DISTINCT
        or _distinct_trigrams(value) < MIN_DISTINCT_TRIGRAMS
        or _predictable_steps(value) > MAX_PREDICTABLE_STEPS
    )


def _bits_per_char(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _distinct_trigrams(value: str) -> float:
    pieces = [value[i : i + 3] for i in range(len(value) - 2)]
    return len(set(pieces)) / len(pieces) if pieces else 0.0


def _predictable_steps(value: str) -> float:
    lowered = value.lower()
    steps = list(pairwise(lowered))
    if not steps:
        return 1.0
    return sum(_next_to(a, b) for a, b in steps) / len(steps)


def _next_to(a: str, b: str) -> bool:
    if abs(ord(a) - ord(b)) <= 1:
        return True
    return any(a in row and b in row and abs(row.index(a) - row.index(b)) == 1 for row in _KEYBOARD_ROWS)


def resolve(settings: Settings) -> bytes:
    """The secret to use, checked; generates and stores one in development when none is given.

    Writes nothing and opens no port: `serve` calls it first, so a refused secret stops the start
    before anything happens."""
    source = _source(settings)
    given = settings.session_secret.strip()
    if not given and settings.session_secret_file is not None:
        raise StartupError(f"{source} is empty: it must hold the session secret. {HOW_TO_MAKE_ONE}.")
    if given:
        problems = weaknesses(given)
        if problems and settings.env == "production":
            raise StartupError(
                f"OTELHOUSE_ENV=production refuses the session secret in {source}: {'; '.join(problems)}. "
                f"{HOW_TO_MAKE_ONE}."
            )
        if problems:
            log.warning("the session secret is weak (%s); production mode would refuse it", "; ".join(problems))
        return given.encode("utf-8")
    path = settings.data_dir.resolve() / SECRET_FILE
    if settings.env == "production":
        kept = (
            f" To keep the sessions and stored passwords of this data directory, use the secret made in development: "
            f"OTELHOUSE_SESSION_SECRET_FILE={path}."
            if path.is_file()
            else ""
        )
        raise StartupError(f"OTELHOUSE_ENV=production needs a session secret. {HOW_TO_MAKE_ONE}.{kept}")
    return _development_secret(path).encode("utf-8")


def _source(settings: Settings) -> str:
    """Where the secret came from, for messages (the variable wins over the file when both are set)."""
    path = settings.session_secret_file
    if path is None:
        return "OTELHOUSE_SESSION_SECRET"
    try:
        from_file = Path(path).read_text().strip() == settings.session_secret.strip()
    except OSError:
        from_file = False
    return f"OTELHOUSE_SESSION_SECRET_FILE ({path})" if from_file else "OTELHOUSE_SESSION_SECRET"


def _development_secret(path: Path) -> str:
    if path.exists():
        return _read_kept(path)
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
        return _read_kept(path)
    finally:
        temporary.unlink()
    log.warning(
        "no OTELHOUSE_SESSION_SECRET: generated one and saved it in %s (mode 0600). Fine for development; "
        "in production set OTELHOUSE_SESSION_SECRET or OTELHOUSE_SESSION_SECRET_FILE (`otelhouse secret` makes one)",
        path,
    )
    return value


def _read_kept(path: Path) -> str:
    value = path.read_text().strip()
    if not value:
        raise StartupError(
            f"{path} is empty: delete it and a new session secret is made at the next start "
            "(everyone logs in again, and stored connection passwords must be entered again)"
        )
    if path.stat().st_mode & 0o077:
        log.warning("%s can be read by other users of this machine: `chmod 600 %s`", path, path)
    return value
