"""queue order index: the whole-queue sort (every status) reads an index, not a sort of all rows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(
            'ix_ticket_order', [sa.text('disposition_rank DESC'), 'due_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_order')
