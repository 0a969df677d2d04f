"""prepaid gratuity: per order line and per voucher, kept apart from the voucher's value

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-29 06:37:50.299329

"""
from alembic import op
import sqlalchemy as sa
import giftshop.models.base


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gratuity_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('gratuity_percent', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_order_item_gratuity_nonneg'), 'gratuity_cents >= 0')
        batch_op.create_check_constraint(
            op.f('ck_order_item_gratuity_percent'),
            'gratuity_percent IS NULL OR gratuity_percent BETWEEN 1 AND 100')

    with op.batch_alter_table('voucher', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gratuity_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('gratuity_paid_at', giftshop.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('gratuity_refund_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_voucher_gratuity_refund_id_refund'), 'refund', ['gratuity_refund_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_voucher_gratuity_nonneg'), 'gratuity_cents >= 0')


def downgrade():
    with op.batch_alter_table('voucher', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_voucher_gratuity_nonneg'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_voucher_gratuity_refund_id_refund'), type_='foreignkey')
        batch_op.drop_column('gratuity_refund_id')
        batch_op.drop_column('gratuity_paid_at')
        batch_op.drop_column('gratuity_cents')

    with op.batch_alter_table('order_item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_item_gratuity_percent'), type_='check')
        batch_op.drop_constraint(op.f('ck_order_item_gratuity_nonneg'), type_='check')
        batch_op.drop_column('gratuity_percent')
        batch_op.drop_column('gratuity_cents')
