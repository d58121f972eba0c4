"""Outbox rows say what they are for: purpose, subject_id and period, back-filled from their keys.

Until now a row's idempotency key was the only record of what it was for, and queries parsed or
LIKEd it. From here on bot.slack.records writes the three columns with the key; this revision
reads each existing row's key once, with the formats those builders still produce, and fills
them in. A key no builder ever made is `other`. This is the one place that parses a key.

Revision ID: 7241962b0c3f
Revises: 4d56f790e6a1
Create Date: 2026-12-07 23:35:08.520431
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7241962b0c3f'
down_revision: str | None = '4d56f790e6a1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSES = (
    'module', 'reminder', 'update', 'reply', 'ephemeral', 'circle_left_out', 'circle_welcome',
    'circle_scheduled', 'circle_reminder', 'circle_met', 'circle_prompt', 'circle_closing',
    'observation', 'kpi_checkin', 'event', 'digest', 'digest_chart', 'nudge', 'ping_mentor',
    'other',
)
# (purpose, pattern with the named groups `subject` and `period` where the key has them), in the
# order they are tried: the chart before its digest, whose key it extends.
FORMATS = [
    ('module', r'delivery:(?P<subject>\d+)'),
    ('reminder', r'reminder:(?P<subject>\d+)'),
    ('update', r'update:(?P<subject>\d+):.*'),
    ('reply', r'reply:.*'),
    ('ephemeral', r'ephemeral:.*'),
    ('circle_left_out', r'circle-left-out:(?P<subject>\d+):(?P<period>[\d-]+):\d+'),
    ('circle_welcome', r'circle:(?P<subject>\d+):welcome'),
    ('circle_scheduled', r'circle:(?P<subject>\d+):scheduled:(?P<period>\d+)'),
    ('circle_reminder', r'circle:(?P<subject>\d+):reminder:(?P<period>\d+):.*'),
    ('circle_met', r'circle:(?P<subject>\d+):met:(?P<period>\d+):.*'),
    ('circle_prompt', r'circle:(?P<subject>\d+):prompt:.*'),
    ('circle_closing', r'circle:(?P<subject>\d+):closing'),
    ('observation', r'observe:(?P<subject>\d+):\d+'),
    ('kpi_checkin', r'kpi-checkin:(?P<subject>\d+):\d+:(?P<period>[\d-]+)'),
    ('event', r'event:(?P<subject>\d+):\d+:(?P<period>\d+):\d+'),
    ('digest_chart', r'digest:(?P<subject>\d+):(?P<period>[^:]+):.*:chart'),
    ('digest', r'digest:(?P<subject>\d+):(?P<period>[^:]+):.*'),
    ('nudge', r'nudge:(?P<subject>\d+):\d+:(?P<period>[\d-]+)'),
    ('ping_mentor', r'ping-mentor:(?P<subject>\d+):\d+:(?P<period>[\d-]+)'),
]
COMPILED = [(purpose, re.compile(pattern)) for purpose, pattern in FORMATS]
BATCH = 1000


def classify(key: str) -> dict[str, object]:
    """The purpose, subject and period an old key names."""
    for purpose, pattern in COMPILED:
        match = pattern.fullmatch(key)
        if match:
            found = match.groupdict()
            subject = found.get('subject')
            return {
                'purpose': purpose,
                'subject_id': int(subject) if subject is not None else None,
                'period': found.get('period'),
            }
    return {'purpose': 'other', 'subject_id': None, 'period': None}


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('period', sa.String(length=32), nullable=True))

    conn = op.get_bind()
    outbox = sa.table(
        'outbox',
        sa.column('id', sa.Integer()),
        sa.column('idempotency_key', sa.String()),
        sa.column('purpose', sa.String()),
        sa.column('subject_id', sa.Integer()),
        sa.column('period', sa.String()),
    )
    fill = (
        sa.update(outbox)
        .where(outbox.c.id == sa.bindparam('row_id'))
        .values(
            purpose=sa.bindparam('purpose'),
            subject_id=sa.bindparam('subject_id'),
            period=sa.bindparam('period'),
        )
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(outbox.c.id, outbox.c.idempotency_key)
            .where(outbox.c.id > last)
            .order_by(outbox.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        conn.execute(fill, [{'row_id': row_id, **classify(key)} for row_id, key in rows])
        last = rows[-1][0]

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column(
            'purpose',
            existing_type=sa.String(length=24),
            type_=sa.Enum(*PURPOSES, name='purpose', native_enum=False, length=24),
            nullable=False,
        )
        batch_op.create_index(
            batch_op.f('ix_outbox_program_id_purpose_period'),
            ['program_id', 'purpose', 'period'],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f('ix_outbox_purpose_subject_id'), ['purpose', 'subject_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_purpose_subject_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_program_id_purpose_period'))
        batch_op.drop_column('period')
        batch_op.drop_column('subject_id')
        batch_op.drop_column('purpose')
