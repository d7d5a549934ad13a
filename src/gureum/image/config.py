"""Image settings."""

from pydantic import BaseModel, Field, model_validator


class ImageSettings(BaseModel):
    stores: dict[str, str] = Field(
        {"file": "images"},
        description="Filesystem stores: id → directory (relative to the state dir). With "
        "more than one, images can be copied between them (import method copy-image).")
    default_store: str = Field("file", description="Where uploads and imports go.")
    web_download_hosts: list[str] = Field(
        [], description="Hosts the web-download import may fetch from; empty turns the "
        "method off (glance's import filtering).")
    web_download_ports: list[int] = Field([80, 443], description="Ports it may fetch from.")
    default_guest: bool = Field(
        True, description="Build the small default guest (a Debian cloud kernel and a "
        "busybox initramfs, from apt, cached in ~/.cache/gureum) and register it at "
        "bootstrap as the public image gureum-guest.")
    default_limits: dict[str, int] = Field(
        {"image_count_total": 100, "image_count_uploading": 10,
         "image_size_total": 102400, "image_stage_total": 102400},
        description="Registered limits created at bootstrap (sizes in MiB, -1 = unlimited); "
        "change them, or set per-project limits, with `openstack registered limit` and "
        "`openstack limit`.")

    @model_validator(mode="after")
    def _default_store_exists(self) -> "ImageSettings":
        if self.default_store not in self.stores:
            raise ValueError(f"image.default_store {self.default_store!r} is not one of "
                             f"image.stores ({', '.join(self.stores)})")
        return self
