import hmac
import pickle
import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appletrace.trace import serials
from appletrace.trace.serials import (
    ALPHABET,
    IndexCipher,
    Mac,
    make_serial,
    make_serials,
    run_id_of,
    run_key,
    verify,
)

KEY = run_key("test-secret-key", 7, "0f" * 16)


def test_serials_are_reproducible_and_depend_on_key_salt_and_run() -> None:
    again = run_key("test-secret-key", 7, "0f" * 16)
    others = [
        run_key("another-key", 7, "0f" * 16),
        run_key("test-secret-key", 7, "1f" * 16),
        run_key("test-secret-key", 8, "0f" * 16),
    ]

    assert make_serial(again, 42) == make_serial(KEY, 42)
    for other in others:
        assert make_serial(other, 42)[-13:] != make_serial(KEY, 42)[-13:]


def test_a_range_gives_the_same_serials_as_one_by_one() -> None:
    batch = make_serials(KEY, 990, 1010)
    tabled = make_serials(KEY, 900, 1100)[90:110]

    assert batch == tabled == [make_serial(KEY, i) for i in range(990, 1010)]


def test_serials_are_short_upper_case_and_lead_to_their_run() -> None:
    for run_id in (1, 31, 32, 32767, 32768, serials.MAX_RUN_ID):
        key = run_key("k", run_id, "s")
        serial = make_serial(key, serials.INDEX_LIMIT - 1)

        assert (
            set(serial) <= set(ALPHABET) <= set(string.ascii_uppercase + "0123456789")
        )
        assert len(serial) <= 20
        assert run_id_of(serial) == run_id
        if run_id < 32768:
            assert len(serial) <= 16  # keeps a 69-character address at QR 4-M


def test_serials_of_a_run_are_unique_and_each_verifies() -> None:
    made = make_serials(KEY, 0, 20_000)

    assert len(set(made)) == len(made)
    assert [verify(KEY, s) for s in made[::997]] == list(range(0, 20_000, 997))


PLAIN = IndexCipher(KEY.index_key)
TABLED = IndexCipher(KEY.index_key, tables=True)


@given(st.integers(0, serials.INDEX_LIMIT - 1))
def test_the_index_cipher_is_a_permutation(index: int) -> None:
    assert PLAIN.decrypt(TABLED.encrypt(index)) == index
    assert PLAIN.encrypt(index) == TABLED.encrypt(index)
    assert 0 <= PLAIN.encrypt(index) < serials.INDEX_LIMIT


def test_one_changed_character_never_verifies() -> None:
    serial = make_serial(KEY, 12345)
    changed = [
        serial[:i] + c + serial[i + 1 :]
        for i in range(len(serial))
        for c in ALPHABET
        if c != serial[i]
    ]

    assert len(changed) == 31 * len(serial)
    assert [s for s in changed if verify(KEY, s) is not None] == []


def test_serials_made_up_at_random_do_not_verify() -> None:
    rng = random.Random(4)
    guesses = [KEY.prefix + "".join(rng.choices(ALPHABET, k=13)) for _ in range(20_000)]

    assert [g for g in guesses if verify(KEY, g) is not None] == []


def test_the_tag_leaves_a_random_serial_below_two_to_the_minus_forty() -> None:
    # A guess must match the tag whatever index it deciphers to: 2^-TAG_BITS.
    assert serials.TAG_BITS > 40
    assert serials.TAG_CHARS * 5 == serials.TAG_BITS


@pytest.mark.parametrize(
    "serial",
    ["", "1", "0" + "A" * 13, "1" + "A" * 12, "1" + "I" * 13, "1" * 21, "1a" * 7],
)
def test_malformed_serials_name_no_run(serial: str) -> None:
    assert run_id_of(serial) is None
    assert verify(KEY, serial) is None


def test_a_serial_of_another_run_does_not_verify_here() -> None:
    other = run_key("test-secret-key", 8, "0f" * 16)

    assert verify(KEY, make_serial(other, 3)) is None


@pytest.mark.parametrize("length", [0, 1, 32, 64, 65, 200])
def test_mac_is_hmac_sha256(length: int) -> None:
    key = bytes(range(length % 256)) * (length // 256 + 1)
    key = key[:length]
    mac = Mac(key)
    for message in (b"", b"\x00\x01\x02", b"x" * 100):
        assert mac.digest(message) == hmac.digest(key, message, "sha256")


def test_serials_match_those_already_printed() -> None:
    # Made by the first release; a change of algorithm would orphan every label.
    printed = ["7R6MNF62NJZKCY", "7241XGHE16WBJ1", "73XQ7RY4X3MSWE"]

    assert [make_serial(KEY, i) for i in (0, 42, 1048575)] == printed
    assert [verify(KEY, s) for s in printed] == [0, 42, 1048575]


def test_a_used_run_key_travels_to_another_process() -> None:
    # Label printing sends run keys to worker processes after they were used.
    key = run_key("test-secret-key", 7, "0f" * 16)
    serial = make_serial(key, 42)

    copy = pickle.loads(pickle.dumps(key))

    assert make_serial(copy, 42) == serial and verify(copy, serial) == 42
