from alembic import context

from gureum.core.db import run_migrations
from gureum.network.models import Base

run_migrations(context, Base.metadata)
