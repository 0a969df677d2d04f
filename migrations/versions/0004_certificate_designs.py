"""certificate designs: the design of each order line and voucher, the owner's switches

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:15:00

"""
from alembic import op
import sqlalchemy as sa
import giftshop.models.base


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

DESIGNS = "('classic', 'birthday', 'holiday', 'thank_you')"


def upgrade():
    op.create_table('design_choice',
    sa.Column('slug', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', giftshop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"slug in {DESIGNS}", name=op.f('ck_design_choice_slug')),
    sa.PrimaryKeyConstraint('slug', name=op.f('pk_design_choice'))
    )
    for table in ('order_item', 'voucher'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('design', sa.String(length=16), nullable=False,
                                          server_default='classic'))
            batch_op.create_check_constraint(op.f(f'ck_{table}_design'), f"design in {DESIGNS}")


def downgrade():
    for table in ('voucher', 'order_item'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_design'), type_='check')
            batch_op.drop_column('design')
    op.drop_table('design_choice')
