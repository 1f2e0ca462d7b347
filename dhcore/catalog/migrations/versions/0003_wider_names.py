"""wider stage, role and metric-name columns

Roles are built from user names (`template_{look.name}` with 64-character look names) and stage names
from backend names: 64 characters overflowed on PostgreSQL (SQLite never checks lengths).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: (table, column, new length); the old length was 64 for all of them
WIDENED = (
    ("step_run", "stage", 128),
    ("asset", "role", 255),
    ("asset_input", "role", 255),
    ("production_output", "role", 255),
    ("metric", "name", 128),
)


def upgrade() -> None:
    for table, column, length in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column, type_=sa.String(length), existing_type=sa.String(64), existing_nullable=False
            )


def downgrade() -> None:
    for table, column, length in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column, type_=sa.String(64), existing_type=sa.String(length), existing_nullable=False
            )
