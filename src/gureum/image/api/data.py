"""/v2/images/{id}/file: the bytes, streamed both ways."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response, StreamingResponse

from gureum.core.api import Request, Router
from gureum.core.errors import Forbidden, RangeNotSatisfiable
from gureum.image.api import targets
from gureum.image.manager import ImageManager, is_admin

router = Router("/v2/images")


@router.put("/{image_id}/file", status=204, policy="upload_image", target=targets.image,
            stream=True)
async def upload_image(req: Request, manager: ImageManager) -> None:
    await manager.upload(req.params["image_id"], req.raw.stream(), content_length(req))


@router.get("/{image_id}/file", policy="download_image", target=targets.image)
async def download_image(req: Request, manager: ImageManager) -> Any:
    image = await manager.show_image(req.context, req.params["image_id"])
    if image.status == "deactivated" and not is_admin(req.context):
        raise Forbidden("The requested image has been deactivated. Image data download is "
                        "prohibited.")
    if image.status not in ("active", "deactivated") or image.size is None:
        return Response(status_code=204)
    size = image.size
    headers = {"Content-Type": "application/octet-stream"}
    span = _range(req.header("range"), size)
    if span is None:
        headers["Content-Length"] = str(size)
        if image.checksum:
            headers["Content-MD5"] = image.checksum
        return StreamingResponse(manager.download(image), 200, headers=headers)
    start, end = span
    headers["Content-Length"] = str(end - start + 1)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(manager.download(image, start, end), 206,
                             headers=headers)


def content_length(req: Request) -> int | None:
    """The size the client announced, if it did: quotas can refuse at once."""
    value = req.header("content-length")
    return int(value) if value and value.isdigit() else None


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """One `bytes=` range → (first, last), inclusive; None for the whole image."""
    if not header:
        return None
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if not match or match.group(1) == match.group(2) == "":
        raise RangeNotSatisfiable()
    first, last = match.groups()
    if first == "":  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        error = RangeNotSatisfiable()
        error.headers["Content-Range"] = f"bytes */{size}"
        raise error
    return start, end
