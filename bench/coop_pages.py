"""Co-op pages: the cost of a sign-in and of the lot list as a co-op grows.

Prints medians of 5 rounds, side by side with a baseline from the same run:
- signing in (one scrypt check) against the sign-in form alone;
- the lot list with 2,000 lots against the same page with 10.

Run: .venv/bin/python bench/coop_pages.py (SQLite file in a temporary folder).
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from appletrace.trace import accounts, migrate
from appletrace.trace.db import session_scope
from appletrace.trace.models import Lot, Member, Orchard
from appletrace.trace.organizations import add_organization
from appletrace.trace.settings import Settings
from appletrace.web.app import create_app, engine_of

ROUNDS = 5
PASSWORD = "apple blossom in zhaotong"


def median_ms(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    """The median wall time of ``action`` in milliseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)

    return statistics.median(times)


def build(folder: Path, lots: int):
    """An app whose one co-op has ``lots`` lots, and a signed-in client."""
    settings = Settings.from_env(
        {
            "APPLETRACE_INSTANCE_PATH": str(folder),
            "APPLETRACE_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
            "APPLETRACE_SECRET_KEY": "bench",
        }
    )
    app = create_app(settings)
    migrate.upgrade(engine_of(app))
    with session_scope(engine_of(app)) as session:
        coop = add_organization(session, "合作社", "coop")
        orchard = Orchard(
            organization_id=coop.id,
            code="ZY-B-01",
            name="果园",
            county_code="530602",
            latitude=27.3,
            longitude=103.5,
            altitude_m=1935.0,
        )
        session.add(orchard)
        session.flush()
        start = date(2025, 4, 20)
        session.add_all(
            Lot(
                organization_id=coop.id,
                orchard_id=orchard.id,
                code=f"ZY25-{i:05d}",
                variety="富士",
                window_start=start,
                harvested_on=start + timedelta(days=180 + i % 20),
            )
            for i in range(lots)
        )
        session.add(
            Member(
                organization_id=coop.id,
                username="farmer",
                password_hash=accounts.hash_password(PASSWORD),
                role="farmer",
            )
        )

    client = app.test_client()
    sign_in(client)
    return client


def sign_in(client) -> None:
    page = client.get("/coop/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/coop/signin",
        data={"username": "farmer", "password": PASSWORD, "csrf_token": token},
    )
    assert answer.status_code == 302


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as small_dir,
        tempfile.TemporaryDirectory() as big_dir,
    ):
        small = build(Path(small_dir), 10)
        big = build(Path(big_dir), 2000)

        form = median_ms(lambda: small.get("/coop/signin"))
        signin = median_ms(lambda: sign_in(small))
        few = median_ms(lambda: small.get("/coop/lots"))
        many = median_ms(lambda: big.get("/coop/lots"))

    print(f"{'what':<34}{'median ms':>10}{'ratio':>8}")
    print(f"{'sign-in form (baseline)':<34}{form:>10.1f}{1:>8.1f}")
    print(f"{'sign in (form + scrypt check)':<34}{signin:>10.1f}{signin / form:>8.1f}")
    print(f"{'lot list, 10 lots (baseline)':<34}{few:>10.1f}{1:>8.1f}")
    print(f"{'lot list, 2,000 lots':<34}{many:>10.1f}{many / few:>8.1f}")


if __name__ == "__main__":
    main()
