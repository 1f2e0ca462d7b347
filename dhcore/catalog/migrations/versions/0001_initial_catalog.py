"""initial catalog

Revision ID: 0001
Revises:
Create Date: 2026-11-23 20:52:53.419401
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spec",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("raw_yaml", sa.Text(), nullable=False),
        sa.Column("normalized", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    op.create_table(
        "production",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("spec_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["spec_id"],
            ["spec.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "step_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("production_id", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("weights_sha256", sa.String(length=64), nullable=True),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("source_step_run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("task_run_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["production_id"],
            ["production.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source_step_run_id"],
            ["step_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("step_run", schema=None) as batch_op:
        batch_op.create_index("ix_step_run_cache", ["stage", "cache_key", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_run_production_id"), ["production_id"], unique=False)

    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("produced_by", sa.Integer(), nullable=True),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["produced_by"],
            ["step_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_produced_by"), ["produced_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_sha256"), ["sha256"], unique=False)

    op.create_table(
        "metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("production_id", sa.String(length=32), nullable=False),
        sa.Column("step_run_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("frame", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["production_id"],
            ["production.id"],
        ),
        sa.ForeignKeyConstraint(
            ["step_run_id"],
            ["step_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("metric", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metric_production_id"), ["production_id"], unique=False)

    op.create_table(
        "asset_input",
        sa.Column("step_run_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["step_run_id"],
            ["step_run.id"],
        ),
        sa.PrimaryKeyConstraint("step_run_id", "role"),
    )
    with op.batch_alter_table("asset_input", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_input_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "production_output",
        sa.Column("production_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
        ),
        sa.ForeignKeyConstraint(
            ["production_id"],
            ["production.id"],
        ),
        sa.PrimaryKeyConstraint("production_id", "role"),
    )


def downgrade() -> None:
    op.drop_table("production_output")
    with op.batch_alter_table("asset_input", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_input_asset_id"))

    op.drop_table("asset_input")
    with op.batch_alter_table("metric", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_production_id"))

    op.drop_table("metric")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_sha256"))
        batch_op.drop_index(batch_op.f("ix_asset_produced_by"))

    op.drop_table("asset")
    with op.batch_alter_table("step_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_run_production_id"))
        batch_op.drop_index("ix_step_run_cache")

    op.drop_table("step_run")
    op.drop_table("production")
    op.drop_table("spec")
