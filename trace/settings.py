"""Settings: the one reader of the environment (``APPLETRACE_*``).

Every setting is listed in ``SETTINGS`` with its help text; ``docs/settings.md`` and
the README's table are checked against this list by a test.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from appletrace.trace.errors import SettingsError


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default as shown to users, and meaning."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "APPLETRACE_INSTANCE_PATH",
        "./instance",
        "Folder for the SQLite file, the generated secret key and label output.",
    ),
    Setting(
        "APPLETRACE_DATABASE_URL",
        "sqlite:///{instance}/appletrace.db",
        "SQLAlchemy URL of the database: sqlite:///PATH or "
        "postgresql+psycopg://USER@HOST/NAME.",
    ),
    Setting(
        "APPLETRACE_MQTT_URL",
        "mqtt://127.0.0.1:1883",
        "Broker the ingester subscribes to: mqtt://[USER:PASSWORD@]HOST[:PORT] "
        "or mqtts:// for TLS.",
    ),
    Setting(
        "APPLETRACE_MQTT_TOPIC_PREFIX",
        "orchard",
        "First level of the sensor topic: {prefix}/{device_id}/readings.",
    ),
    Setting(
        "APPLETRACE_BASE_URL",
        "https://trace.example.cn",
        "Scheme and host printed in every QR code; lower case, no path.",
    ),
    Setting(
        "APPLETRACE_SECRET_KEY",
        "generated into {instance}/secret_key",
        "Key that signs sessions and label serials; keep it secret and backed up.",
    ),
    Setting(
        "APPLETRACE_TIMEZONE",
        "Asia/Shanghai",
        "Time zone of an orchard's local day, for daily summaries.",
    ),
    Setting(
        "APPLETRACE_LOG_LEVEL",
        "INFO",
        "Level of the entry points' logs: DEBUG, INFO, WARNING or ERROR.",
    ),
)

_KNOWN = {s.name for s in SETTINGS}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    """The resolved configuration; build it with ``Settings.from_env``."""

    instance_path: Path
    database_url: str
    mqtt_url: str
    mqtt_topic_prefix: str
    base_url: str
    secret_key: str
    timezone: str
    log_level: str
    # Names of the variables the environment set, so a caller can tell a default
    # from a choice (the demo embeds a broker unless APPLETRACE_MQTT_URL is set).
    given: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check every APPLETRACE_* variable; raise SettingsError if bad."""
        env = dict(os.environ if environ is None else environ)
        _reject_unknown(env)

        instance = Path(env.get("APPLETRACE_INSTANCE_PATH", "instance")).absolute()
        database_url = env.get("APPLETRACE_DATABASE_URL") or (
            f"sqlite:///{instance / 'appletrace.db'}"
        )

        return cls(
            instance_path=instance,
            database_url=_check(
                "APPLETRACE_DATABASE_URL", database_url, _check_database_url
            ),
            mqtt_url=_check(
                "APPLETRACE_MQTT_URL",
                env.get("APPLETRACE_MQTT_URL", "mqtt://127.0.0.1:1883"),
                _check_mqtt_url,
            ),
            mqtt_topic_prefix=_check(
                "APPLETRACE_MQTT_TOPIC_PREFIX",
                env.get("APPLETRACE_MQTT_TOPIC_PREFIX", "orchard"),
                _check_topic_prefix,
            ),
            base_url=_check(
                "APPLETRACE_BASE_URL",
                env.get("APPLETRACE_BASE_URL", "https://trace.example.cn"),
                _check_base_url,
            ),
            secret_key=env.get("APPLETRACE_SECRET_KEY") or _instance_secret(instance),
            timezone=_check(
                "APPLETRACE_TIMEZONE",
                env.get("APPLETRACE_TIMEZONE", "Asia/Shanghai"),
                _check_timezone,
            ),
            log_level=_check(
                "APPLETRACE_LOG_LEVEL",
                env.get("APPLETRACE_LOG_LEVEL", "INFO").upper(),
                _check_log_level,
            ),
            given=frozenset(n for n in env if n.startswith("APPLETRACE_")),
        )

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, for tests and the demo."""
        return dataclasses.replace(self, **changes)


def _reject_unknown(env: Mapping[str, str]) -> None:
    for name in env:
        if name.startswith("APPLETRACE_") and name not in _KNOWN:
            known = ", ".join(sorted(_KNOWN))
            raise SettingsError(f"{name} is not a setting; known ones: {known}")


def _check(name: str, value: str, checker: Callable[[str], str | None]) -> str:
    problem = checker(value)
    if problem:
        raise SettingsError(f"{name}={value!r}: {problem}")

    return value


def _check_database_url(value: str) -> str | None:
    scheme = value.split(":", 1)[0]
    if scheme not in ("sqlite", "postgresql", "postgresql+psycopg"):
        return "use sqlite:///PATH or postgresql+psycopg://USER@HOST/NAME"

    return None


def _check_mqtt_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        return "use mqtt://HOST[:PORT] or mqtts://HOST[:PORT]"

    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "the port must be a number from 1 to 65535"

    return None


def _check_topic_prefix(value: str) -> str | None:
    if not value or any(c in value for c in "+#/") or value.startswith("$"):
        return "use one topic level without '/', '+', '#' or a leading '$'"

    return None


def _check_base_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "use https://HOST (scheme and host only)"

    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "give scheme and host only, with no path or query"

    if value.rstrip("/") != value.rstrip("/").lower():
        return "write the host in lower case: some phones fail on upper-case hosts"

    return None


def _check_timezone(value: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "not an IANA time zone name such as Asia/Shanghai"

    return None


def _check_log_level(value: str) -> str | None:
    if value not in _LOG_LEVELS:
        return "use one of " + ", ".join(_LOG_LEVELS)

    return None


def _instance_secret(instance: Path) -> str:
    """Read the instance's secret key, making it on first run (mode 0600)."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()

    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")

    return key
