"""Backup and restore round trip, on SQLite and PostgreSQL, through the CLI."""

import json

ORCHARD = (
    "orchards add {code} --name 果园 --county 530602 --latitude 27.3 "
    "--longitude 103.6 --altitude 1950"
)


def orchard_codes(cli) -> list[str]:
    return [o["code"] for o in json.loads(cli("orchards", "list", "--json").out)]


def test_backup_then_restore_gives_back_the_data(cli, tmp_path, db_url) -> None:
    assert cli("orgs", "add", "合作社").code == 0
    assert cli(*ORCHARD.format(code="ZY-1").split()).code == 0
    out = tmp_path / "backups" / "appletrace.backup"

    made = cli("backup", str(out))
    assert made.code == 0, made.err
    assert out.stat().st_size > 0
    assert cli(*ORCHARD.format(code="ZY-2").split()).code == 0
    assert orchard_codes(cli) == ["ZY-1", "ZY-2"]

    restored = cli("restore", str(out), "--force")

    assert restored.code == 0, restored.err
    assert orchard_codes(cli) == ["ZY-1"]
    assert cli("audit", "verify").code == 0


def test_backup_refuses_to_overwrite(cli, tmp_path) -> None:
    out = tmp_path / "exists.backup"
    out.write_text("keep me")

    result = cli("backup", str(out))

    assert result.code == 1
    assert "exists already" in result.err
    assert out.read_text() == "keep me"


def test_restore_refuses_a_file_that_is_not_a_backup(cli, tmp_path, db_url) -> None:
    bogus = tmp_path / "bogus.backup"
    bogus.write_bytes(b"not a backup at all" * 100)

    result = cli("restore", str(bogus), "--force")

    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert cli("orchards", "list", "--json").code == 0
