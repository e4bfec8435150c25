"""scan index by serial, run and time

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-03 17:45:31.440556
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_scan_serial_run_time",
        "scan",
        ["serial", "label_run_id", "scanned_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_scan_serial_run_time", table_name="scan")
