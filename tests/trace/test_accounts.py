"""Accounts: password rules and hashing, sign-in limits, sessions, API tokens."""

from datetime import timedelta

import pytest
from factories import PASSWORD, make_coop, make_member, make_packing_house
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from appletrace.trace import accounts
from appletrace.trace.errors import Conflict, InvalidInput
from appletrace.trace.models import SigninFailure
from appletrace.trace.types import utcnow


@pytest.mark.parametrize(
    "password",
    ["short7!", "password", "12345678", "Qwerty123", "woaini1314", "zhang.san"],
)
def test_short_common_and_username_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        accounts.check_password(password, "zhang.san")

    assert caught.value.field == "password"


def test_long_passphrases_are_allowed() -> None:
    accounts.check_password("春天的苹果花开满了洒渔的山坡 " * 20, "zhang.san")
    accounts.check_password("x" * accounts.PASSWORD_MAX)

    with pytest.raises(InvalidInput):
        accounts.check_password("x" * (accounts.PASSWORD_MAX + 1))


def test_the_shipped_list_holds_common_passwords() -> None:
    common = accounts.common_passwords()

    assert {"12345678", "password", "5201314520", "1qaz2wsx"} <= common
    assert all(not line.startswith("#") for line in common)


def test_a_member_keeps_only_a_salted_slow_hash(engine: Engine) -> None:
    with Session(engine) as session:
        coop = make_coop(session)
        one = accounts.add_member(session, coop, "Zhang.San", PASSWORD, "farmer")
        two = accounts.add_member(session, coop, "li.si", PASSWORD, "auditor")
        session.commit()

        assert one.username == "zhang.san"
        assert PASSWORD not in one.password_hash
        assert one.password_hash.startswith("scrypt:32768:8:1$")
        assert one.password_hash != two.password_hash  # salted
        assert accounts.verify_password(one, PASSWORD)
        assert not accounts.verify_password(one, PASSWORD + "x")


def test_roles_depend_on_the_kind_of_organization(engine: Engine) -> None:
    with Session(engine) as session:
        coop = make_coop(session)
        house = make_packing_house(session)
        accounts.add_member(session, house, "packer1", PASSWORD, "packer")

        with pytest.raises(InvalidInput, match="packer"):
            accounts.add_member(session, coop, "packer2", PASSWORD, "packer")

        with pytest.raises(Conflict):
            accounts.add_member(session, house, "PACKER1", PASSWORD, "packer")


def test_an_account_locks_after_five_wrong_passwords(engine: Engine) -> None:
    now = utcnow()
    with Session(engine) as session:
        coop = make_coop(session)
        make_member(session, coop, "zhang", "farmer")
        for _ in range(accounts.ACCOUNT_FAILURES):
            accounts.check_signin_allowed(session, "zhang", "10.0.0.1", now)
            assert (
                accounts.verify_signin(session, "zhang", "wrong", "10.0.0.1", now)
                is None
            )

        session.commit()

        # Even the right password, from another address, waits out the lock.
        with pytest.raises(accounts.SigninLimited, match="locked"):
            accounts.check_signin_allowed(session, "zhang", "10.0.0.2", now)

        later = now + accounts.ACCOUNT_LOCK + timedelta(seconds=1)
        accounts.check_signin_allowed(session, "zhang", "10.0.0.2", later)
        assert accounts.verify_signin(session, "zhang", PASSWORD, "10.0.0.2", later)


def test_an_address_is_limited_across_accounts(engine: Engine) -> None:
    now = utcnow()
    with Session(engine) as session:
        accounts.verify_signin(session, "nobody", "guess", "10.9.9.9", now)
        recorded = session.exec(select(SigninFailure)).one()
        assert (recorded.address, recorded.username) == ("10.9.9.9", "nobody")
        for i in range(accounts.ADDRESS_FAILURES - 1):
            session.add(SigninFailure(address="10.9.9.9", username=f"n{i}", at=now))

        session.commit()

        with pytest.raises(accounts.SigninLimited, match="address"):
            accounts.check_signin_allowed(session, "someone", "10.9.9.9", now)

        accounts.check_signin_allowed(session, "someone", "10.9.9.8", now)
        later = now + accounts.ADDRESS_WINDOW + timedelta(seconds=1)
        accounts.check_signin_allowed(session, "someone", "10.9.9.9", later)


def test_sessions_rotate_and_end_when_idle_or_old(engine: Engine) -> None:
    now = utcnow()
    with Session(engine) as session:
        member = make_member(session, make_coop(session), "zhang", "farmer")
        first, _ = accounts.start_session(session, member, now)
        second, row = accounts.start_session(session, member, now, previous=first)
        session.commit()

        assert first != second
        assert accounts.resolve_session(session, first, now) is None
        assert accounts.resolve_session(session, second, now) is not None
        idle = now + accounts.SESSION_IDLE + timedelta(seconds=1)
        assert accounts.resolve_session(session, second, idle) is None

        third, _ = accounts.start_session(session, member, now)
        step = accounts.SESSION_IDLE - timedelta(minutes=1)
        when = now
        while when - now < accounts.SESSION_MAX - step:
            when += step
            assert accounts.resolve_session(session, third, when) is not None

        assert accounts.resolve_session(session, third, when + step) is None


def test_tokens_resolve_until_revoked_and_are_stored_hashed(engine: Engine) -> None:
    with Session(engine) as session:
        coop = make_coop(session)
        raw, token = accounts.create_token(session, coop.id, "erp", "farmer")

        assert raw.startswith("at_") and raw not in token.token_hash
        principal = accounts.resolve_token(session, raw)
        assert principal is not None
        assert principal.actor == "token:erp"
        assert principal.can("grow") and not principal.can("manage")
        assert accounts.resolve_token(session, raw + "x") is None

        accounts.revoke_token(session, coop.id, token.id, utcnow())

        assert accounts.resolve_token(session, raw) is None


def test_capabilities_follow_role_and_kind() -> None:
    farmer = accounts.Principal(1, "coop", "farmer", "f")
    packer = accounts.Principal(2, "packing_house", "packer", "p")
    auditor = accounts.Principal(1, "coop", "auditor", "a")

    assert farmer.can("grow") and not farmer.can("pack")
    assert packer.can("pack") and not packer.can("grow")
    assert auditor.can("view") and not any(
        auditor.can(c) for c in ("grow", "pack", "ship", "manage")
    )
