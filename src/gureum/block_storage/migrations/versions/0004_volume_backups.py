"""volume backups

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('volume_backup',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('container', sa.String(length=255), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('fail_reason', sa.String(length=255), nullable=True),
    sa.Column('object_count', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('restore_volume_id', sa.String(length=36), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('data_timestamp', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('volume_backup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_backup_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_backup_volume_id'), ['volume_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_backup_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_backup_parent_id'), ['parent_id'], unique=False)
    with op.batch_alter_table('volume', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backup_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('volume', schema=None) as batch_op:
        batch_op.drop_column('backup_id')
    op.drop_table('volume_backup')
