"""Indexes for the weekly digest's aggregate queries (by program and time, KPI values by period).

Revision ID: 7ca676eed1aa
Revises: 00418a76ad54
Create Date: 2026-11-24 19:08:01.519544
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7ca676eed1aa'
down_revision: str | None = '00418a76ad54'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_answered_at'), ['answered_at'], unique=False)

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_program_id_completed_at'), ['program_id', 'completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_program_id_sent_at'), ['program_id', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_program_id_kind'), ['program_id', 'kind'], unique=False)

    with op.batch_alter_table('kpi_observations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_observations_kpi_id_source_period_start'), ['kpi_id', 'source', 'period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_observations_recorded_at'), ['recorded_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_program_id'))
        batch_op.create_index(batch_op.f('ix_outbox_program_id_created_at'), ['program_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_program_id_status'), ['program_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_program_id_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_program_id_created_at'))
        batch_op.create_index(batch_op.f('ix_outbox_program_id'), ['program_id'], unique=False)

    with op.batch_alter_table('kpi_observations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_observations_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_kpi_observations_kpi_id_source_period_start'))

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_program_id_kind'))
        batch_op.drop_index(batch_op.f('ix_deliveries_program_id_sent_at'))
        batch_op.drop_index(batch_op.f('ix_deliveries_program_id_completed_at'))

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_answered_at'))

