"""The co-op world for page, API and browser tests: two co-ops and a packing house."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from factories import (
    PASSWORD,
    make_coop,
    make_lot,
    make_member,
    make_orchard,
    make_packing_house,
)
from flask import Flask
from flask.testing import FlaskClient

from appletrace.trace import accounts, lots
from appletrace.trace.db import session_scope
from appletrace.trace.settings import Settings
from appletrace.web.app import create_app, engine_of
from appletrace.web.resolver import close_resolver

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    """Two co-ops (A, B) and a packing house (P), each with members and data.

    A shares lot ZY25-FJ-001 with P; B's lot BB25-FJ-001 is shared with nobody.
    """

    app: Flask
    tokens: dict[str, str]

    def client(self, username: str | None = None) -> FlaskClient:
        """A test client, signed in as the username when one is given."""
        client = self.app.test_client()
        if username is not None:
            sign_in(client, username)

        return client

    def api(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API with the token of 'a_admin', 'b_farmer', … ."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        client = self.app.test_client()
        return client.open(path, method=method, headers=headers, **kwargs)


def csrf_of(html: str) -> str:
    """The CSRF token in a page's form."""
    match = CSRF.search(html)
    assert match, "no form with a CSRF token on the page"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the form, as a browser would."""
    page = client.get("/coop/signin")
    return client.post(
        "/coop/signin",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
        },
    )


def post_form(
    client: FlaskClient, path: str, data: dict[str, Any], **kwargs: Any
) -> Any:
    """Post a form with the session's CSRF token, taken from the dashboard."""
    token = csrf_of(client.get("/coop/").text)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def app(app_env: dict[str, str]) -> Iterator[Flask]:
    """The app on the test's database."""
    app = create_app(Settings.from_env())
    yield app
    close_resolver(app)


@pytest.fixture
def world(app: Flask) -> World:
    """Co-op A (admin, farmer, auditor), co-op B (farmer), packing house P (packer)."""
    tokens = {}
    with session_scope(engine_of(app)) as session:
        coop_a = make_coop(session, "洒渔苹果合作社")
        coop_b = make_coop(session, "鲁甸苹果合作社")
        house = make_packing_house(session, "昭阳包装厂")
        orchard_a = make_orchard(session, coop_a, "ZY-SAYU-01")
        orchard_b = make_orchard(session, coop_b, "LD-LONGS-01", name="龙树果园")
        lot_a = make_lot(session, coop_a, orchard_a, "ZY25-FJ-001")
        make_lot(session, coop_b, orchard_b, "BB25-FJ-001")
        lots.share_lot(session, lot_a, house, "test")
        for org, username, role in (
            (coop_a, "a_admin", "admin"),
            (coop_a, "a_farmer", "farmer"),
            (coop_a, "a_auditor", "auditor"),
            (coop_b, "b_admin", "admin"),
            (coop_b, "b_farmer", "farmer"),
            (house, "p_packer", "packer"),
            (house, "p_admin", "admin"),
        ):
            make_member(session, org, username, role)
            tokens[username], _ = accounts.create_token(session, org.id, username, role)

    return World(app, tokens)
