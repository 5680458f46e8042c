"""accounts: revocable login sessions, per-source login throttling, activation codes, expiring tokens

Revision ID: 0012_account_sessions
Revises: 0011_hours_trust
Create Date: 2026-12-02 10:00:00

Existing sessions and remember-me cookies stop working (they named the bare user id): everyone
logs in once more. Existing API tokens get 90 days from the upgrade. Imported members who never
set a password have no activation code yet: their coordinator issues one from the member's page.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import app.core.types

# revision identifiers, used by Alembic.
revision = "0012_account_sessions"
down_revision = "0011_hours_trust"
branch_labels = None
depends_on = None

UTC_DATETIME = app.core.types.UTCDateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_nonce", sa.String(length=32), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("activation_code_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("activation_expires_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("activation_used_at", UTC_DATETIME, nullable=True))

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(
            sa.Column("is_read_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    api_token = sa.table("api_token", sa.column("expires_at", UTC_DATETIME))
    op.execute(api_token.update().values(expires_at=datetime.now(UTC) + timedelta(days=90)))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=UTC_DATETIME, nullable=False)

    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_user_ids", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("slip_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("slip_shown_at", UTC_DATETIME, nullable=True))

    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("auth_nonce", sa.String(length=32), nullable=False),
        sa.Column("is_remembered", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_login_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_session_token_hash")),
    )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("delays", sa.Integer(), nullable=False),
        sa.Column("wait_until", UTC_DATETIME, nullable=True),
        sa.Column("last_failure_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", "ip", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_throttle_last_failure_at"), ["last_failure_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_last_failure_at"))
    op.drop_table("login_throttle")
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_user_id"))
    op.drop_table("login_session")

    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.drop_column("slip_shown_at")
        batch_op.drop_column("slip_secret")
        batch_op.drop_column("created_user_ids")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("is_read_only")
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("activation_used_at")
        batch_op.drop_column("activation_expires_at")
        batch_op.drop_column("activation_code_hash")
        batch_op.drop_column("auth_nonce")
