"""Label runs: replacement labels, short addresses, who created a run

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-03 17:08:42.889175
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("label_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "replacement_count", sa.Integer(), server_default="0", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "short_uri", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "created_by",
                sqlmodel.sql.sqltypes.AutoString(length=120),
                server_default="",
                nullable=False,
            )
        )

    with op.batch_alter_table("voided_label", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_by", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("voided_label", schema=None) as batch_op:
        batch_op.drop_column("replaced_by")

    with op.batch_alter_table("label_run", schema=None) as batch_op:
        batch_op.drop_column("created_by")
        batch_op.drop_column("short_uri")
        batch_op.drop_column("replacement_count")
