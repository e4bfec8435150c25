"""CSRF, session cookies, rotation at sign-in, idle timeout and sign-in limits."""

from datetime import timedelta

from coop_world import World, csrf_of, post_form, sign_in
from factories import PASSWORD
from sqlmodel import Session, select

from appletrace.trace import accounts
from appletrace.trace.models import Member, MemberSession, Orchard, SigninFailure
from appletrace.web.app import engine_of
from appletrace.web.coop.auth import CSRF_COOKIE, SESSION_COOKIE

ORCHARD = {
    "code": "ZY-NEW-01",
    "name": "新果园",
    "county_code": "530602",
    "latitude": "27.3",
    "longitude": "103.5",
    "altitude_m": "1900",
}


def cookie(client, name):
    found = client.get_cookie(name)
    return None if found is None else found.value


def test_a_form_without_the_right_csrf_token_changes_nothing(world: World) -> None:
    client = world.client("a_farmer")

    missing = client.post("/coop/orchards/new", data=ORCHARD)
    wrong = client.post("/coop/orchards/new", data={**ORCHARD, "csrf_token": "x" * 43})
    right = post_form(client, "/coop/orchards/new", ORCHARD)

    assert missing.status_code == 400 and wrong.status_code == 400
    assert right.status_code == 302
    with Session(engine_of(world.app)) as session:
        assert (
            len(session.exec(select(Orchard).where(Orchard.code == "ZY-NEW-01")).all())
            == 1
        )


def test_the_signin_form_needs_its_csrf_token_too(world: World) -> None:
    client = world.client()
    client.get("/coop/signin")

    answer = client.post(
        "/coop/signin", data={"username": "a_farmer", "password": PASSWORD}
    )

    assert answer.status_code == 400
    assert cookie(client, SESSION_COOKIE) is None


def test_cookies_are_secure_httponly_and_samesite(world: World) -> None:
    client = world.client()
    first = client.get("/coop/signin")
    signed = sign_in(client, "a_farmer")

    for response in (first, signed):
        for header in response.headers.getlist("Set-Cookie"):
            assert "Secure" in header and "HttpOnly" in header
            assert "SameSite=Lax" in header


def test_signing_in_rotates_the_session(world: World) -> None:
    client = world.client("a_farmer")
    before = cookie(client, SESSION_COOKIE)
    token_before = csrf_of(client.get("/coop/").text)

    sign_in(client, "a_farmer")
    after = cookie(client, SESSION_COOKIE)

    assert before and after and before != after
    assert csrf_of(client.get("/coop/").text) != token_before
    stale = world.client()
    stale.set_cookie(SESSION_COOKIE, before)
    assert stale.get("/coop/").status_code == 302  # the old id signs nobody in
    with Session(engine_of(world.app)) as session:
        assert len(session.exec(select(MemberSession)).all()) == 1


def test_a_planted_session_id_is_not_kept_at_signin(world: World) -> None:
    client = world.client()
    client.set_cookie(SESSION_COOKIE, "chosen-by-an-attacker")

    sign_in(client, "a_farmer")

    assert cookie(client, SESSION_COOKIE) != "chosen-by-an-attacker"
    assert client.get("/coop/").status_code == 200


def test_signing_out_ends_the_session(world: World) -> None:
    client = world.client("a_farmer")
    raw = cookie(client, SESSION_COOKIE)

    post_form(client, "/coop/signout", {})

    again = world.client()
    again.set_cookie(SESSION_COOKIE, raw)
    assert again.get("/coop/").status_code == 302


def test_an_idle_session_times_out(world: World) -> None:
    client = world.client("a_farmer")
    assert client.get("/coop/").status_code == 200
    idle = accounts.SESSION_IDLE + timedelta(minutes=1)
    with Session(engine_of(world.app)) as session:
        for row in session.exec(select(MemberSession)):
            row.last_seen_at -= idle
            row.created_at -= idle
            session.add(row)

        session.commit()

    answer = client.get("/coop/lots")

    assert answer.status_code == 302 and "/coop/signin" in answer.headers["Location"]
    assert cookie(client, SESSION_COOKIE) is None


def test_wrong_passwords_lock_the_account_and_are_answered_429(world: World) -> None:
    client = world.client()
    with Session(engine_of(world.app)) as session:
        member = session.exec(select(Member).where(Member.username == "a_farmer")).one()
        member.failed_signins = accounts.ACCOUNT_FAILURES - 2
        session.add(member)
        session.commit()

    for _ in range(2):
        assert sign_in(client, "a_farmer", "wrong password").status_code == 401

    locked = sign_in(client, "a_farmer")

    assert locked.status_code == 429
    assert cookie(client, SESSION_COOKIE) is None
    with Session(engine_of(world.app)) as session:
        member = session.exec(select(Member).where(Member.username == "a_farmer")).one()
        assert member.locked_until is not None


def test_one_address_is_limited_across_accounts(world: World) -> None:
    client = world.client()
    sign_in(client, "nobody", "wrong password")
    with Session(engine_of(world.app)) as session:
        failures = session.exec(select(SigninFailure)).all()
        assert [(f.address, f.username) for f in failures] == [("127.0.0.1", "nobody")]
        # The other failures from this address, as if made just now by others.
        for i in range(accounts.ADDRESS_FAILURES - 1):
            session.add(SigninFailure(address="127.0.0.1", username=f"nobody{i}"))

        session.commit()

    assert sign_in(client, "b_farmer").status_code == 429
    other = world.app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert sign_in(other, "b_farmer").status_code == 302


def test_there_is_no_default_account(world: World) -> None:
    for username, password in (("admin", "admin"), ("admin", "password"), ("root", "")):
        answer = sign_in(world.client(), username, password)
        assert answer.status_code == 401


def test_the_next_parameter_only_leads_within_the_site(world: World) -> None:
    client = world.client()
    page = client.get("/coop/signin")
    data = {
        "username": "a_farmer",
        "password": PASSWORD,
        "csrf_token": csrf_of(page.text),
    }

    outside = client.post("/coop/signin?next=//evil.example/x", data=data)

    assert outside.headers["Location"] == "/coop/"
    assert cookie(client, CSRF_COOKIE)
