"""reminder emails: addresses that unsubscribed

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-29 07:00:00

"""
from alembic import op
import sqlalchemy as sa
import giftshop.models.base


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_opt_out',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', giftshop.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_opt_out')),
    sa.UniqueConstraint('email', name=op.f('uq_email_opt_out_email'))
    )


def downgrade():
    op.drop_table('email_opt_out')
