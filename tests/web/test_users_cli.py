"""``appletrace users``: the first admin is made on the command line."""

import io
import sys

import pytest
from sqlmodel import Session, select

from appletrace.trace.db import make_engine
from appletrace.trace.models import Member


@pytest.fixture
def org(cli):
    assert cli("db", "upgrade").code == 0
    assert cli("orgs", "add", "洒渔苹果合作社").code == 0
    return cli


def with_stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_the_first_admin_is_added_with_a_password_from_stdin(
    org, monkeypatch, db_url: str
) -> None:
    with_stdin(monkeypatch, "苹果花开的时候\n")  # seven characters: too short
    short = org(
        "users",
        "add",
        "zhang",
        "--org",
        "洒渔苹果合作社",
        "--role",
        "admin",
        "--password-stdin",
    )
    with_stdin(monkeypatch, "苹果花开在洒渔镇的山坡上\n")
    added = org(
        "users",
        "add",
        "Zhang",
        "--org",
        "洒渔苹果合作社",
        "--role",
        "admin",
        "--password-stdin",
    )

    assert short.code == 1 and "at least 8" in short.err
    assert added.code == 0, added.err
    engine = make_engine(db_url)
    with Session(engine) as session:
        member = session.exec(select(Member)).one()
    engine.dispose()
    assert member.username == "zhang" and member.role == "admin"
    assert "苹果" not in member.password_hash
    listed = org("users", "list", "--org", "洒渔苹果合作社", "--json")
    assert '"username": "zhang"' in listed.out


def test_a_packer_role_is_refused_in_a_coop_and_an_unknown_org_is_named(
    org, monkeypatch
) -> None:
    with_stdin(monkeypatch, "a long enough passphrase\n")
    wrong_role = org(
        "users",
        "add",
        "li.si",
        "--org",
        "洒渔苹果合作社",
        "--role",
        "packer",
        "--password-stdin",
    )
    with_stdin(monkeypatch, "a long enough passphrase\n")
    no_org = org(
        "users",
        "add",
        "li.si",
        "--org",
        "没有这个社",
        "--role",
        "admin",
        "--password-stdin",
    )

    assert wrong_role.code == 1 and "packer" in wrong_role.err
    assert no_org.code == 1 and "没有这个社" in no_org.err
