"""product slug history: earlier /p/<slug> addresses redirect to the current one

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import giftshop.models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('product_slug',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('retired_at', giftshop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_slug_product_id_product')),
    sa.PrimaryKeyConstraint('slug', name=op.f('pk_product_slug'))
    )
    with op.batch_alter_table('product_slug', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_slug_product_id'), ['product_id'], unique=False)


def downgrade():
    with op.batch_alter_table('product_slug', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_slug_product_id'))
    op.drop_table('product_slug')
