"""warnings on productions and step runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("production", "step_run"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    for table in ("production", "step_run"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("warnings")
