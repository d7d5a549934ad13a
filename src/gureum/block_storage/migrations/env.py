from alembic import context

from gureum.block_storage.models import Base
from gureum.core.db import run_migrations

run_migrations(context, Base.metadata)
