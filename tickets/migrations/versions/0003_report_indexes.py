"""report indexes: the night report reads a clinic's tickets, contacts, pages, ER texts and
first callbacks by time, over indexes rather than whole tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 21:00:00
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_ticket_clinic_created', 'ticket', ['clinic_id', 'created_at']),
    ('ix_contact_created', 'contact', ['created_at']),
    ('ix_page_clinic_sent', 'page', ['clinic_id', 'sent_at']),
    ('ix_ticket_event_done', 'ticket_event', ['ticket_id', 'kind', 'at']),
    ('ix_outbound_clinic_purpose', 'outbound_message', ['clinic_id', 'purpose', 'created_at']),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
