"""Label serials: derived from the secret key and a run's salt, never stored.

A serial (GS1 AI 21) is three fields in Crockford's base 32, upper case:

- the label run's id, without leading zeros (1 to 7 characters), so the server
  finds the run from the serial alone;
- the label index enciphered under the run's key (4 characters, 20 bits), so a
  serial tells nothing about its position or the run's size;
- a tag: HMAC-SHA256 of the index under the run's key, cut to 45 bits
  (9 characters), so a serial made up at random verifies with probability 2^-45.

docs/labels.md gives the security argument.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import cached_property, lru_cache

# Crockford's base 32 leaves out I, L, O and U, which readers confuse with 1, 0
# and V; every character is in QR alphanumeric mode and allowed by GS1 AI 21 and
# GB/T 33993.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
INDEX_BITS = 20
TAG_BITS = 45
INDEX_CHARS = INDEX_BITS // 5
TAG_CHARS = TAG_BITS // 5
BODY_CHARS = INDEX_CHARS + TAG_CHARS
MAX_SERIAL_CHARS = 20
MAX_RUN_ID = 32 ** (MAX_SERIAL_CHARS - BODY_CHARS) - 1
INDEX_LIMIT = 1 << INDEX_BITS
# NIST SP 800-38G's FF1 uses ten Feistel rounds on small domains; so do we.
ROUNDS = 10
_HALF_BITS = INDEX_BITS // 2
_HALF_MASK = (1 << _HALF_BITS) - 1
_TAG_MASK = (1 << TAG_BITS) - 1
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_CONTEXT = b"appletrace label run v1\x00"


_INNER = bytes(b ^ 0x36 for b in range(256))
_OUTER = bytes(b ^ 0x5C for b in range(256))


class Mac:
    """HMAC-SHA256 under one key, with the key's two padded blocks hashed once.

    The same bytes as ``hmac.digest(key, message, "sha256")`` (RFC 2104) for
    about a third of its CPU; and unlike ``hmac.digest`` it keeps the GIL, so a
    page's eleven MACs do not each hand the interpreter to another thread.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key
        if len(key) > hashlib.sha256().block_size:
            key = hashlib.sha256(key).digest()

        block = key.ljust(hashlib.sha256().block_size, b"\x00")
        self._inner = hashlib.sha256(block.translate(_INNER))
        self._outer = hashlib.sha256(block.translate(_OUTER))

    def digest(self, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message``."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())

        return outer.digest()

    def __reduce__(self) -> tuple[type[Mac], tuple[bytes]]:
        # Hash objects do not pickle: a run key sent to a label-printing
        # process carries the key and builds its blocks there.
        return (Mac, (self._key,))


@dataclass(frozen=True)
class RunKey:
    """The keys of one label run; derive it with ``run_key``."""

    run_id: int
    prefix: str
    tag_key: bytes
    index_key: bytes

    @cached_property
    def tag_mac(self) -> Mac:
        """The tag key, ready to use."""
        return Mac(self.tag_key)

    @cached_property
    def index_cipher(self) -> IndexCipher:
        """The index cipher under the index key (no tables), ready to use."""
        return IndexCipher(self.index_key)


def run_key(secret_key: str, run_id: int, salt: str) -> RunKey:
    """Derive a run's keys from the secret key, its id and its salt (HMAC-SHA256)."""
    if not 1 <= run_id <= MAX_RUN_ID:
        raise ValueError(f"run id {run_id} is outside 1 to {MAX_RUN_ID}")

    message = _CONTEXT + str(run_id).encode() + b"\x00" + salt.encode()
    master = hmac.digest(secret_key.encode(), message, "sha256")

    return RunKey(
        run_id=run_id,
        prefix=encode(run_id),
        tag_key=hmac.digest(master, b"tag", "sha256"),
        index_key=hmac.digest(master, b"index", "sha256"),
    )


def encode(value: int, width: int = 0) -> str:
    """Base 32 digits of ``value``, left-padded with zeros to ``width``."""
    digits = []
    while value:
        value, digit = divmod(value, 32)
        digits.append(ALPHABET[digit])

    return "".join(reversed(digits)).rjust(width, "0")


def decode(text: str) -> int | None:
    """The value of base 32 digits, or None if a character is not in ALPHABET."""
    value = 0
    for char in text:
        digit = _VALUES.get(char)
        if digit is None:
            return None

        value = value * 32 + digit

    return value


def _round(mac: Mac, number: int, half: int) -> int:
    message = bytes((number, half >> 8, half & 0xFF))

    return int.from_bytes(mac.digest(message)[:2]) & _HALF_MASK


class IndexCipher:
    """A 20-bit Feistel permutation of label indexes under a run's index key.

    ``tables`` precomputes the round functions (10 × 1,024 HMACs) for printing a
    whole run; verifying one serial computes only the ten rounds it needs.
    """

    def __init__(self, key: bytes, tables: bool = False) -> None:
        self._mac = Mac(key)
        self._tables: list[list[int]] | None = None
        if tables:
            self._tables = [
                [_round(self._mac, n, x) for x in range(1 << _HALF_BITS)]
                for n in range(ROUNDS)
            ]

    def _f(self, number: int, half: int) -> int:
        if self._tables is not None:
            return self._tables[number][half]

        return _round(self._mac, number, half)

    def encrypt(self, index: int) -> int:
        """The enciphered index (0 ≤ index < 2^20)."""
        left, right = index >> _HALF_BITS, index & _HALF_MASK
        for number in range(ROUNDS):
            left, right = right, left ^ self._f(number, right)

        return (left << _HALF_BITS) | right

    def decrypt(self, value: int) -> int:
        """The index that ``encrypt`` turned into ``value``."""
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for number in reversed(range(ROUNDS)):
            left, right = right ^ self._f(number, left), left

        return (left << _HALF_BITS) | right


def tag(key: RunKey, index: int) -> int:
    """The 45-bit tag of a label index under the run's tag key."""
    digest = key.tag_mac.digest(index.to_bytes(4))

    return int.from_bytes(digest[:8]) >> (64 - TAG_BITS)


def make_serial(key: RunKey, index: int, cipher: IndexCipher | None = None) -> str:
    """The serial of label ``index`` of the run; the same every time."""
    if not 0 <= index < INDEX_LIMIT:
        raise ValueError(f"label index {index} is outside 0 to {INDEX_LIMIT - 1}")

    cipher = cipher or key.index_cipher
    body = (cipher.encrypt(index) << TAG_BITS) | tag(key, index)

    return key.prefix + encode(body, BODY_CHARS)


@lru_cache(maxsize=8)
def _tabled(index_key: bytes) -> IndexCipher:
    return IndexCipher(index_key, tables=True)


def make_serials(
    key: RunKey, start: int, stop: int, tables: bool | None = None
) -> list[str]:
    """Serials of labels ``start`` to ``stop - 1``, for printing a range.

    ``tables`` precomputes the index cipher once per process (default: for more
    than 64 labels).
    """
    if stop - start > 64 if tables is None else tables:
        cipher = _tabled(key.index_key)
    else:
        cipher = IndexCipher(key.index_key)

    return [make_serial(key, index, cipher) for index in range(start, stop)]


def run_id_of(serial: str) -> int | None:
    """The run id a well-formed serial names, or None if it is not one of ours."""
    if not BODY_CHARS < len(serial) <= MAX_SERIAL_CHARS or serial[0] == "0":
        return None

    if decode(serial[-BODY_CHARS:]) is None:
        return None

    return decode(serial[:-BODY_CHARS])


def verify(key: RunKey, serial: str) -> int | None:
    """The label index of a genuine serial of this run, or None.

    The index may still be beyond what the run issued; the caller checks that.
    """
    if run_id_of(serial) != key.run_id:
        return None

    body = decode(serial[-BODY_CHARS:])
    assert body is not None
    index = key.index_cipher.decrypt(body >> TAG_BITS)
    if not hmac.compare_digest(
        (body & _TAG_MASK).to_bytes(6), tag(key, index).to_bytes(6)
    ):
        return None

    return index


def fingerprint(serial: str) -> str:
    """A short SHA-256 of a serial, for logs that must not carry serials."""
    return hashlib.sha256(serial.encode()).hexdigest()[:12]
