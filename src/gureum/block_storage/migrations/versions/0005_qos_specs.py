"""qos specs

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qos_specs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('consumer', sa.String(length=16), nullable=False),
    sa.Column('specs', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('volume_type', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qos_specs_id', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_volume_type_qos_specs_id', ['qos_specs_id'], unique=False)
        batch_op.create_foreign_key('fk_volume_type_qos_specs_id', 'qos_specs',
                                    ['qos_specs_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('volume_type', schema=None) as batch_op:
        batch_op.drop_constraint('fk_volume_type_qos_specs_id', type_='foreignkey')
        batch_op.drop_index('ix_volume_type_qos_specs_id')
        batch_op.drop_column('qos_specs_id')
    op.drop_table('qos_specs')
