"""Mosquitto's password and ACL formats, checked against mosquitto_passwd."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from appletrace.trace.mosquitto import (
    acl_file,
    check_password,
    hash_password,
    is_mosquitto_hash,
    password_file,
)

MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


@pytest.mark.broker
def test_hash_is_the_one_mosquitto_passwd_writes(tmp_path: Path) -> None:
    written = tmp_path / "passwd"
    subprocess.run(
        [MOSQUITTO_PASSWD, "-c", "-b", str(written), "dev-01", "青苹果 s3cret"],
        check=True,
    )
    user, theirs = written.read_text().strip().split(":", 1)
    _, _, iterations, salt, _ = theirs.split("$")

    ours = hash_password("青苹果 s3cret", base64.b64decode(salt), int(iterations))

    assert user == "dev-01"
    assert ours == theirs
    assert check_password("青苹果 s3cret", theirs)
    assert not check_password("青苹果 s3creT", theirs)


def test_hash_has_a_fresh_salt_and_the_form_mosquitto_reads() -> None:
    first, second = hash_password("pw"), hash_password("pw")

    assert first != second
    assert is_mosquitto_hash(first) and check_password("pw", second)
    assert not is_mosquitto_hash("$6$rounds=5000$abc$def")
    assert not is_mosquitto_hash(None)


def test_acl_lets_each_device_write_only_its_own_topic() -> None:
    acl = acl_file("orchard", ["dev-01", "dev-02"], "ingest")

    assert acl == (
        "user ingest\ntopic read orchard/+/readings\n\n"
        "user dev-01\ntopic write orchard/dev-01/readings\n\n"
        "user dev-02\ntopic write orchard/dev-02/readings\n"
    )
    assert password_file([("a", "$7$x"), ("b", "$7$y")]) == "a:$7$x\nb:$7$y\n"
