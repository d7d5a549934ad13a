from alembic import context

from gureum.compute.models import Base
from gureum.core.db import run_migrations

run_migrations(context, Base.metadata)
