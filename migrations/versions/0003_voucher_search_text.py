"""Voucher.search_text: names and emails folded for the desk search.

Revision ID: 0003
Revises: 0002
"""
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _fold(text):
    # A frozen copy of giftshop.vouchers.search.fold: a migration must not change
    # meaning when the application code later does.
    bare = "".join(c for c in unicodedata.normalize("NFKD", text or "")
                   if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", bare.casefold()).strip()


def upgrade():
    with op.batch_alter_table('voucher') as batch:
        batch.add_column(sa.Column('search_text', sa.Text(), server_default='',
                                   nullable=False))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        'SELECT v.id, v.recipient_name, v.recipient_email, v.purchaser_name, '
        'o.purchaser_email FROM voucher v LEFT JOIN "order" o ON o.id = v.order_id'))
    for voucher_id, *parts in rows.fetchall():
        text = " | ".join(_fold(p) for p in parts if p)
        bind.execute(sa.text('UPDATE voucher SET search_text = :t WHERE id = :id'),
                     {"t": text, "id": voucher_id})


def downgrade():
    with op.batch_alter_table('voucher') as batch:
        batch.drop_column('search_text')
