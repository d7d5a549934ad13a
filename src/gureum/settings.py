"""Typed settings from `gureum.toml` (or `--config FILE`) and GUREUM_… environment
variables (nested with `__`, e.g. GUREUM_IDENTITY__PASSWORD_HASH_ROUNDS=4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from gureum.block_storage.config import BlockStorageSettings
from gureum.compute.config import ComputeSettings
from gureum.identity.config import IdentitySettings
from gureum.image.config import ImageSettings
from gureum.network.config import NetworkSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUREUM_", env_nested_delimiter="__",
                                      extra="forbid")

    state_dir: Path = Field(Path("state"), description="Where every piece of state lives.")
    host: str = Field("127.0.0.1", description="Address the APIs listen on.")
    port: int = Field(8880, ge=1, le=65535, description="Port the APIs listen on.")
    public_url: str | None = Field(
        None, description="Base URL clients use (the catalog's); default http://host:port.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default a SQLite file in the state dir.")
    bus_url: str | None = Field(
        None, description="memory:// (in-process, the default) or amqp://user:pw@host/vhost.")
    admin_password: SecretStr | None = Field(None, description="Else generated, kept in DIR.")
    demo_password: SecretStr | None = Field(None, description="Else generated, kept in DIR.")
    service_password: SecretStr | None = Field(None, description="Else generated, kept in DIR.")
    identity: IdentitySettings = IdentitySettings()
    image: ImageSettings = ImageSettings()
    network: NetworkSettings = NetworkSettings()
    block_storage: BlockStorageSettings = BlockStorageSettings()
    compute: ComputeSettings = ComputeSettings()

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @classmethod
    def load(cls, config_file: Path | None = None, **overrides: Any) -> Settings:
        """Flags (overrides) beat the environment, which beats the file."""
        path = config_file or (Path("gureum.toml") if Path("gureum.toml").exists() else None)
        if path is not None and not path.exists():
            raise FileNotFoundError(f"config file {path} does not exist")
        reading = type("Settings", (cls,), {"model_config": {**cls.model_config,
                                                              "toml_file": path}})
        return cast(Settings, reading(**{k: v for k, v in overrides.items() if v is not None}))

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir.resolve()}/gureum.db"

