"""daily summary: hour masks and a sunshine count

The sunshine estimate becomes the share of a day's irradiance readings above
120 W/m² (counts add up exactly however late a reading comes), and the hour masks
say whether a day has enough readings to know its max and min.

Revision ID: 0002
Revises: 0003
Create Date: 2026-12-03 17:10:29.111802
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("daily_summary", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "temperature_hours", sa.Integer(), nullable=False, server_default="0"
            )
        )
        batch_op.add_column(
            sa.Column(
                "irradiance_hours", sa.Integer(), nullable=False, server_default="0"
            )
        )
        batch_op.add_column(
            sa.Column(
                "sunshine_count", sa.Integer(), nullable=False, server_default="0"
            )
        )
        batch_op.drop_column("sunshine_s")


def downgrade() -> None:
    with op.batch_alter_table("daily_summary", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sunshine_s", sa.FLOAT(), nullable=False, server_default="0")
        )
        batch_op.drop_column("sunshine_count")
        batch_op.drop_column("irradiance_hours")
        batch_op.drop_column("temperature_hours")
