"""Router, @route(schema=, policy=, status=), the per-service ASGI app, paging and
microversions. Handlers are declarations: they return a dict (or a Response, or None for
204) and raise GureumErrors; everything HTTP happens here, once."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import ClientDisconnect
from starlette.requests import Request as RawRequest
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from starlette.routing import Router as StarletteRouter
from starlette.types import Receive, Scope, Send

from gureum.core import faults
from gureum.core.auth import Authenticator, access_allowed
from gureum.core.context import RequestContext, new_request_id
from gureum.core.errors import (
    BadRequest,
    GureumError,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    Unauthorized,
)
from gureum.core.policy import PolicyEngine
from gureum.core.validation import validate

log = logging.getLogger(__name__)

Endpoint = Callable[..., Awaitable[Any]]
TargetLoader = Callable[..., Awaitable[Mapping[str, Any]]]
Schema = dict[str, Any]
MAX_BODY = 1024 * 1024
# Every route takes every method, so an unsupported one gets the dialect's 405, not
# Starlette's plain-text one.
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


# ---------------------------------------------------------------- microversions

@dataclass(frozen=True, order=True)
class APIVersion:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> APIVersion:
        match = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text)
        if not match:
            raise BadRequest(f"Version string '{text}' is not valid: it must be 'X.Y' or "
                             "'latest'.")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True)
class Microversions:
    """The range a service supports and the header names it answers to."""

    service_type: str
    minimum: str
    maximum: str
    legacy_header: str | None = None

    def negotiate(self, headers: Mapping[str, str]) -> APIVersion:
        low, high = APIVersion.parse(self.minimum), APIVersion.parse(self.maximum)
        asked = self._requested(headers)
        if asked is None:
            return low
        if asked.strip().lower() == "latest":
            return high
        version = APIVersion.parse(asked)
        if not low <= version <= high:
            raise NotAcceptable(version=version, min=low, max=high)
        return version

    def _requested(self, headers: Mapping[str, str]) -> str | None:
        for entry in headers.get("openstack-api-version", "").split(","):
            parts = entry.strip().split(None, 1)
            if len(parts) == 2 and parts[0].lower() == self.service_type:
                return parts[1]
        if self.legacy_header:
            return headers.get(self.legacy_header.lower())
        return None

    def response_headers(self, version: APIVersion) -> dict[str, str]:
        headers = {"OpenStack-API-Version": f"{self.service_type} {version}",
                   "Vary": "OpenStack-API-Version"}
        if self.legacy_header:
            headers[self.legacy_header] = str(version)
            headers["Vary"] += f", {self.legacy_header}"
        return headers


def pick_schema(schema: Schema | Mapping[str, Schema] | None,
                version: APIVersion | None) -> Schema | None:
    """A schema, or a {min_version: schema} map: the highest entry not above the version."""
    if schema is None or "type" in schema or version is None:
        return schema  # type: ignore[return-value]
    chosen = None
    for minimum, candidate in sorted(schema.items(), key=lambda kv: APIVersion.parse(kv[0])):
        if APIVersion.parse(minimum) <= version:
            chosen = candidate
    return chosen


# ---------------------------------------------------------------- paging

@dataclass(frozen=True)
class Page:
    limit: int | None
    marker: str | None

    @classmethod
    def from_query(cls, query: Mapping[str, str], max_limit: int = 1000) -> Page:
        limit = None
        if "limit" in query:
            try:
                limit = int(query["limit"])
            except ValueError as exc:
                raise BadRequest(f"limit must be an integer, got '{query['limit']}'.") from exc
            if limit < 0:
                raise BadRequest("limit must be a non-negative integer.")
            limit = min(limit, max_limit)
        return cls(limit, query.get("marker") or None)

    def next_link(self, url: str, query: Mapping[str, str], items: list[Any],
                  key: str = "id") -> str | None:
        """A `next` link when this page is full: the same query, the last item as marker."""
        if self.limit is None or not items or len(items) < self.limit:
            return None
        params = {k: v for k, v in query.items() if k != "marker"}
        params["marker"] = str(items[-1][key] if isinstance(items[-1], Mapping)
                               else getattr(items[-1], key))
        return f"{url}?{urlencode(params)}"


# ---------------------------------------------------------------- routes

@dataclass(frozen=True)
class Route:
    method: str
    path: str
    endpoint: Endpoint
    status: int = 200
    schema: Schema | Mapping[str, Schema] | None = None
    policy: str | None = None
    target: TargetLoader | None = None
    public: bool = False
    stream: bool = False  # the handler reads the body itself (req.raw.stream()): uploads


@dataclass
class Router:
    prefix: str = ""
    routes: list[Route] = field(default_factory=list)

    def route(self, method: str, path: str, *, status: int = 200,
              schema: Schema | Mapping[str, Schema] | None = None, policy: str | None = None,
              target: TargetLoader | None = None, public: bool = False,
              stream: bool = False) -> Callable[[Endpoint], Endpoint]:
        def register(endpoint: Endpoint) -> Endpoint:
            self.routes.append(Route(method, self.prefix + path, endpoint, status, schema,
                                     policy, target, public, stream))
            return endpoint
        return register

    def get(self, path: str, **kw: Any) -> Callable[[Endpoint], Endpoint]:
        return self.route("GET", path, **kw)

    def head(self, path: str, **kw: Any) -> Callable[[Endpoint], Endpoint]:
        return self.route("HEAD", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Endpoint], Endpoint]:
        return self.route("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Endpoint], Endpoint]:
        return self.route("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Endpoint], Endpoint]:
        return self.route("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Endpoint], Endpoint]:
        return self.route("DELETE", path, **kw)

    def include(self, *others: Router) -> Router:
        for other in others:
            self.routes.extend(other.routes)
        return self


class Request:
    """What a handler sees: the context, the validated body, path params and query."""

    __slots__ = ("raw", "context", "body", "params", "query", "version", "service")

    def __init__(self, raw: RawRequest, service: ServiceApp, context: RequestContext) -> None:
        self.raw = raw
        self.service = service
        self.context = context
        self.body: Any = None
        self.params: dict[str, str] = raw.path_params
        self.query: Mapping[str, str] = raw.query_params
        self.version: APIVersion | None = None

    @property
    def base_url(self) -> str:
        """The service root as the client reached it, without a trailing slash."""
        url = self.raw.url
        return f"{url.scheme}://{url.netloc}{self.raw.scope.get('root_path', '')}".rstrip("/")

    @property
    def url(self) -> str:
        """This request's URL without its query."""
        url = self.raw.url
        return f"{url.scheme}://{url.netloc}{url.path}"

    def header(self, name: str) -> str | None:
        return self.raw.headers.get(name)

    def enforce(self, rule: str, target: Mapping[str, Any]) -> None:
        self.service.policy.enforce(rule, self.context, target)

    def allowed(self, rule: str, target: Mapping[str, Any]) -> bool:
        return self.service.policy.check(rule, self.context, target)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None,
                  ) -> Response:
    # orjson: a list of 10,000 ports serialises in a fifth of json's time
    content = b"" if body is None else orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    return Response(content, status, headers=dict(headers or {}),
                    media_type="application/json" if body is not None else None)


# ---------------------------------------------------------------- the service app

class ServiceApp:
    """One OpenStack API: routes, a fault dialect, a policy engine, token checking."""

    def __init__(self, *, name: str, dialect: str, router: Router, policy: PolicyEngine,
                 authenticator: Authenticator, manager: Any,
                 microversions: Microversions | None = None,
                 auth_hint: str | None = None, project_in_url: str | None = None) -> None:
        self.name = name
        # `/v3/{project_id}/volumes` is `/v3/volumes`: the version prefix (`/v3`) after
        # which an optional project id (32 hex digits, or a uuid) is dropped
        self.project_in_url = project_in_url
        self._project_pattern = None if project_in_url is None else re.compile(
            rf"^{re.escape(project_in_url)}/(?:[0-9a-f]{{32}}|[0-9a-f-]{{36}})(?=/|$)")
        self.dialect = dialect
        # nova names the request id twice (2.46 signals the second name)
        self._request_id_headers = ("x-openstack-request-id", "x-compute-request-id") \
            if dialect == "nova" else ("x-openstack-request-id",)
        self.policy = policy
        self.authenticator = authenticator
        self.manager = manager
        self.microversions = microversions
        self.auth_hint = auth_hint
        self.routes = list(router.routes)
        self.routes.append(Route("GET", "/healthcheck", _healthcheck, public=True))
        by_path: dict[str, dict[str, Route]] = {}
        for route in self.routes:
            by_path.setdefault(route.path, {})[route.method] = route
        self._router = StarletteRouter(
            routes=[StarletteRoute(path, self._endpoint(methods), methods=ALL_METHODS)
                    for path, methods in by_path.items()],
            default=self._not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        if scope["type"] == "http" and self._project_pattern is not None:
            scope = self._without_project(scope, self._project_pattern)
        await self._router(scope, receive, send)

    def _without_project(self, scope: Scope, pattern: re.Pattern[str]) -> Scope:
        root = scope.get("root_path", "")
        path: str = scope["path"]
        route = path[len(root):] if path.startswith(root) else path
        stripped = pattern.sub(self.project_in_url or "", route, count=1)
        if stripped == route:
            return scope
        return {**scope, "path": root + stripped, "raw_path": (root + stripped).encode()}

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.error_response(NotFound(), new_request_id())(scope, receive, send)

    def error_response(self, error: GureumError, request_id: str) -> Response:
        headers = {**dict.fromkeys(self._request_id_headers, request_id), **error.headers}
        if error.status == 401 and self.auth_hint:
            headers["WWW-Authenticate"] = f'Keystone uri="{self.auth_hint}"'
        return Response(faults.render(self.dialect, error), error.status, headers=headers,
                        media_type="application/json")

    def _endpoint(self, methods: dict[str, Route]) -> Callable[[RawRequest], Awaitable[Response]]:
        async def endpoint(raw: RawRequest) -> Response:
            route = methods.get(raw.method)
            head_only = False
            if route is None and raw.method == "HEAD" and "GET" in methods:
                route, head_only = methods["GET"], True
            request_id = new_request_id()
            if route is None:
                error = MethodNotAllowed()
                error.headers["Allow"] = ", ".join(sorted(methods))
                return self.error_response(error, request_id)
            try:
                response = await self._handle(route, raw, request_id)
            except GureumError as error:
                return self.error_response(error, request_id)
            except ClientDisconnect:  # the client hung up mid-body; handlers already undid
                return self.error_response(BadRequest("The request body was cut off."),
                                           request_id)
            except Exception:
                log.exception("%s %s failed", raw.method, raw.url.path)
                return self.error_response(GureumError(), request_id)
            for header in self._request_id_headers:
                response.headers[header] = request_id
            if head_only:
                response.body = b""
            return response
        return endpoint

    async def _handle(self, route: Route, raw: RawRequest, request_id: str) -> Response:
        token = raw.headers.get("x-auth-token")
        if token and route.public:
            try:  # discovery and token issue answer whatever token came along, as keystone
                context = await self.authenticator.authenticate(token, request_id)
            except Unauthorized:
                context = RequestContext(request_id=request_id)
        elif token:
            context = await self.authenticator.authenticate(token, request_id)
            if context.access_rules is not None and not route.public and not access_allowed(
                    context.access_rules, self.name, raw.method,
                    raw.url.path.removeprefix(raw.scope.get("root_path", ""))):
                raise Unauthorized("The application credential's access rules do not allow "
                                   "this request.")
        elif route.public:
            context = RequestContext(request_id=request_id)
        else:
            raise Unauthorized()
        req = Request(raw, self, context)
        extra: dict[str, str] = {}
        if self.microversions is not None:
            req.version = self.microversions.negotiate(raw.headers)
            extra = self.microversions.response_headers(req.version)
        schema = pick_schema(route.schema, req.version)
        if route.method in ("POST", "PUT", "PATCH") and not route.stream:
            req.body = await _read_json(raw)
            if schema is not None:
                validate(schema, req.body)
        if route.policy is not None:
            target = (await route.target(req, self.manager) if route.target
                      else {**req.params, "project_id": context.project_id,
                            "user_id": context.user_id})
            req.enforce(route.policy, target)
        result = await route.endpoint(req, self.manager)
        if isinstance(result, Response):
            response = result
        else:
            response = json_response(result, route.status if result is not None else 204)
        response.headers.update(extra)
        return response


async def _read_json(raw: RawRequest) -> Any:
    body = await raw.body()
    if len(body) > MAX_BODY:
        raise BadRequest("Request body is too large.")
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest(f"Malformed request body: {str(exc)[:200]}") from exc


async def _healthcheck(req: Request, manager: Any) -> Response:
    return Response(b"OK", 200, media_type="text/plain")


def version_link(href: str) -> list[dict[str, str]]:
    return [{"rel": "self", "href": href}]
