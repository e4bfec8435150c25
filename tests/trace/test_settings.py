import re
from pathlib import Path

import pytest

from appletrace.trace.errors import SettingsError
from appletrace.trace.settings import SETTINGS, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_put_sqlite_and_the_secret_in_the_instance(tmp_path: Path) -> None:
    settings = Settings.from_env({"APPLETRACE_INSTANCE_PATH": str(tmp_path)})

    assert settings.database_url == f"sqlite:///{tmp_path / 'appletrace.db'}"
    key_file = tmp_path / "secret_key"
    assert settings.secret_key == key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = Settings.from_env({"APPLETRACE_INSTANCE_PATH": str(tmp_path)})
    assert again.secret_key == settings.secret_key


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APPLETRACE_DATABASE_URL", "mysql://x/y"),
        ("APPLETRACE_MQTT_URL", "http://broker"),
        ("APPLETRACE_MQTT_URL", "mqtt://broker:99999"),
        ("APPLETRACE_BASE_URL", "https://Trace.Example.cn"),
        ("APPLETRACE_BASE_URL", "https://trace.example.cn/app"),
        ("APPLETRACE_TIMEZONE", "Mars/Olympus"),
        ("APPLETRACE_LOG_LEVEL", "LOUD"),
        ("APPLETRACE_DATABSE_URL", "sqlite:///x.db"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str, tmp_path: Path) -> None:
    env = {"APPLETRACE_INSTANCE_PATH": str(tmp_path), name: value}

    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "settings.md").read_text()
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"`(APPLETRACE_[A-Z_]+)`", docs))

    assert documented == {s.name for s in SETTINGS}
    for setting in SETTINGS:
        assert setting.name in readme
