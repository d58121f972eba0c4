"""Circle prompts posted (no repeats) and when members were asked "Did you meet?".

Revision ID: 00418a76ad54
Revises: 0e5949aa8920
Create Date: 2026-11-24 17:01:51.558723
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '00418a76ad54'
down_revision: str | None = '0e5949aa8920'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('circle_prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.String(length=64), nullable=False),
    sa.Column('posted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_circle_prompts_circle_id_circles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_prompts')),
    sa.UniqueConstraint('circle_id', 'prompt_id', name=op.f('uq_circle_prompts_circle_id_prompt_id'))
    )
    op.add_column('circles', sa.Column('asked_met_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('circles') as batch_op:  # SQLite rebuilds the table
        batch_op.drop_column('asked_met_at')
    op.drop_table('circle_prompts')
