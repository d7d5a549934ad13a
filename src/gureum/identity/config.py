"""Identity settings."""

from pydantic import BaseModel, Field


class IdentitySettings(BaseModel):
    token_expiration: int = Field(3600, ge=60, description="Seconds a token stays valid.")
    password_hash_rounds: int = Field(
        12, ge=4, le=31, description="bcrypt cost factor (log2 rounds), keystone's default.")
    max_active_keys: int = Field(
        3, ge=3, description="Fernet keys kept after a rotation (staged + primary + old).")
    cache_seconds: float = Field(
        30.0, gt=0, description="Longest a computed token document (roles, catalog) is reused "
        "when no change notification arrives.")
