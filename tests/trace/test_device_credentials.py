"""Device passwords in Mosquitto's own format, checked by a real broker."""

import socket
import subprocess
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from appletrace.trace.devices import (
    acl_lines,
    check_mosquitto_hash,
    mosquitto_hash,
)

MOSQUITTO = Path("/usr/sbin/mosquitto")


def test_hash_matches_mosquitto_passwd_for_a_known_salt() -> None:
    # Made with: mosquitto_passwd -c -b pw dev1 secretpass (salt read back).
    line = (
        "$7$101$SansJIeH6a6qzHUr$+A3x6iLA5MxmjMuhe5AJl882LTOfirk2KX/Gvvq5c2mhddUKHhWEV+"
        "4mEPS17bZm5o0pfGG5bhU6fmKQgQjRSw=="
    )
    import base64

    salt = base64.b64decode(line.split("$")[3])

    assert mosquitto_hash("secretpass", salt) == line
    assert check_mosquitto_hash(line, "secretpass")
    assert not check_mosquitto_hash(line, "secretpasS")
    assert not check_mosquitto_hash("garbage", "secretpass")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def connects(port: int, username: str, password: str) -> int:
    """The CONNACK reason code the broker gives (0 = accepted)."""
    result: list[int] = []
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{password[:4]}"
    )
    client.username_pw_set(username, password)
    client.on_connect = lambda c, u, f, reason, p: result.append(reason.value)
    client.connect("127.0.0.1", port)
    client.loop_start()
    deadline = time.monotonic() + 5
    while not result and time.monotonic() < deadline:
        time.sleep(0.02)

    client.loop_stop()
    client.disconnect()
    return result[0] if result else -1


@pytest.mark.broker
@pytest.mark.skipif(not MOSQUITTO.exists(), reason="needs Debian's mosquitto")
def test_the_broker_accepts_the_password_only_from_our_hash(tmp_path: Path) -> None:
    password = "kJ8s-0Qp_xZ3vB9nLw2rT6yU"
    (tmp_path / "passwd").write_text(f"zy-ws1:{mosquitto_hash(password)}\n")
    (tmp_path / "acl").write_text(acl_lines("zy-ws1", "orchard") + "\n")
    port = free_port()
    (tmp_path / "mosquitto.conf").write_text(
        # As root, mosquitto would drop to its own user and fail to read tmp_path.
        f"user root\nlistener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {tmp_path / 'passwd'}\nacl_file {tmp_path / 'acl'}\n"
    )
    broker = subprocess.Popen(
        [str(MOSQUITTO), "-c", str(tmp_path / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)

        assert connects(port, "zy-ws1", password) == 0
        assert connects(port, "zy-ws1", password + "x") != 0
    finally:
        broker.terminate()
        broker.wait(5)
