"""A real Mosquitto process on a free port, for the sensor and deployment tests.

By default the broker gets a configuration written for the test: anonymous
clients, no queue limit (the ingester's session must hold every message while it
is away) and, when asked, persistence so a restart keeps the session. A test
may pass its own configuration body instead, e.g. one derived from the shipped
deploy/mosquitto/appletrace.conf; ``{port}`` and ``{folder}`` are filled in.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
SHIPPED = Path(__file__).parent.parent / "deploy" / "mosquitto" / "appletrace.conf"
# Lines of the shipped file that only make sense on a real server.
SERVER_ONLY = ("listener 8883", "certfile ", "keyfile ")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def default_configuration(persistence: bool) -> str:
    """The tests' usual broker: anonymous, unbounded queues, autosave every second."""
    return (
        "listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "max_queued_messages 0\n"
        f"persistence {'true' if persistence else 'false'}\n"
        "persistence_location {folder}/\n"
        "autosave_interval 1\n"
    )


class Broker:
    """A Mosquitto process on a free port; ``restart`` keeps its sessions."""

    def __init__(
        self, folder: Path, persistence: bool = False, body: str | None = None
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.config = folder / "mosquitto.conf"
        template = body if body is not None else default_configuration(persistence)
        self.config.write_text(
            template.format(port=self.port, folder=folder)
            # Started as root, Mosquitto drops to user 'mosquitto', which cannot
            # write its persistence file into the test's private folder.
            + f"user {getpass.getuser()}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        """The broker's standard output and error, appended across restarts."""
        return self.folder / "mosquitto.log"

    def start(self) -> None:
        """Start the broker and wait until it accepts connections."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.config)], stdout=log, stderr=log
            )

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.02)

        raise RuntimeError(f"mosquitto did not start on port {self.port}")

    def stop(self) -> None:
        """Stop gracefully: Mosquitto writes its persistence file on SIGTERM."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()


def shipped_configuration(passwd: Path | None = None, acl: Path | None = None) -> str:
    """deploy/mosquitto/appletrace.conf with only the test's differences.

    The loopback listener moves to the test's port, persistence to the test's
    folder, logs to the log file; the TLS listener goes. Without ``passwd`` and
    ``acl`` clients are anonymous; with them, the given files are used. Queue,
    autosave and expiry settings stay exactly as shipped.
    """
    wanted = {
        "listener 1883 ": "listener {port} 127.0.0.1",
        "persistence_location ": "persistence_location {folder}/",
        "log_dest ": "log_dest stderr",
        "allow_anonymous ": "allow_anonymous " + ("false" if passwd else "true"),
        "password_file ": f"password_file {passwd}" if passwd else "",
        "acl_file ": f"acl_file {acl}" if acl else "",
    }
    found: set[str] = set()
    lines = []
    for line in SHIPPED.read_text().splitlines():
        key = next((k for k in wanted if line.startswith(k)), None)
        if key is not None:
            found.add(key)
            lines.append(wanted[key])
        elif not line.startswith(SERVER_ONLY):
            lines.append(line.replace("{", "{{").replace("}", "}}"))

    missing = set(wanted) - found
    assert not missing, f"{SHIPPED} has no line starting with {sorted(missing)}"
    return "\n".join(lines) + "\n"
