from __future__ import annotations

import json

import pytest

from gureum.core import faults
from gureum.core.api import APIVersion, Microversions, Page, pick_schema
from gureum.core.errors import BadRequest, Conflict, GureumError, NotAcceptable, NotFound

COMPUTE = Microversions("compute", "2.1", "2.90", legacy_header="X-OpenStack-Nova-API-Version")


def test_microversion_negotiation() -> None:
    assert COMPUTE.negotiate({}) == APIVersion(2, 1)
    assert COMPUTE.negotiate({"openstack-api-version": "compute 2.47"}) == APIVersion(2, 47)
    assert COMPUTE.negotiate({"openstack-api-version": "volume 3.0, compute latest"}) == \
        APIVersion(2, 90)
    assert COMPUTE.negotiate({"x-openstack-nova-api-version": "2.10"}) == APIVersion(2, 10)
    with pytest.raises(NotAcceptable):
        COMPUTE.negotiate({"openstack-api-version": "compute 2.91"})
    with pytest.raises(NotAcceptable):
        COMPUTE.negotiate({"openstack-api-version": "compute 1.9"})
    with pytest.raises(BadRequest):
        COMPUTE.negotiate({"openstack-api-version": "compute two"})
    headers = COMPUTE.response_headers(APIVersion(2, 5))
    assert headers["OpenStack-API-Version"] == "compute 2.5"
    assert headers["X-OpenStack-Nova-API-Version"] == "2.5"
    assert "OpenStack-API-Version" in headers["Vary"]


def test_versions_order_numerically() -> None:
    assert APIVersion.parse("2.10") > APIVersion.parse("2.9")


def test_schema_by_microversion() -> None:
    old, new = {"type": "object"}, {"type": "object", "required": ["x"]}
    chosen = {"2.1": old, "2.19": new}
    assert pick_schema(chosen, APIVersion(2, 18)) is old
    assert pick_schema(chosen, APIVersion(2, 19)) is new
    assert pick_schema(old, APIVersion(2, 50)) is old


def test_paging() -> None:
    page = Page.from_query({"limit": "2", "marker": "abc"})
    assert page == Page(2, "abc")
    assert Page.from_query({"limit": "5000"}, max_limit=100).limit == 100
    for bad in ("-1", "x"):
        with pytest.raises(BadRequest):
            Page.from_query({"limit": bad})
    items = [{"id": "a"}, {"id": "b"}]
    link = Page(2, None).next_link("http://h/servers", {"limit": "2", "name": "x"}, items)
    assert link == "http://h/servers?limit=2&name=x&marker=b"
    assert Page(3, None).next_link("http://h/servers", {}, items) is None
    assert Page(None, None).next_link("http://h/servers", {}, items) is None


@pytest.mark.parametrize(("dialect", "error", "expected"), [
    ("keystone", NotFound("Could not find user: x."),
     {"error": {"code": 404, "message": "Could not find user: x.", "title": "Not Found"}}),
    ("nova", NotFound("Flavor x could not be found."),
     {"itemNotFound": {"code": 404, "message": "Flavor x could not be found."}}),
    ("nova", BadRequest("bad"), {"badRequest": {"code": 400, "message": "bad"}}),
    ("cinder", Conflict("busy"), {"conflictingRequest": {"code": 409, "message": "busy"}}),
    ("nova", GureumError(), {"computeFault": {"code": 500, "message": GureumError.message}}),
    ("neutron", NotFound("Network x could not be found."),
     {"NeutronError": {"type": "HTTPNotFound", "message": "Network x could not be found.",
                       "detail": ""}}),
])
def test_fault_dialects(dialect: str, error: GureumError, expected: dict) -> None:
    assert json.loads(faults.render(dialect, error)) == expected


def test_neutron_names_specific_errors_by_class() -> None:
    class NetworkNotFound(NotFound):
        message = "Network {net_id} could not be found."

    body = json.loads(faults.render("neutron", NetworkNotFound(net_id="n1")))
    assert body["NeutronError"]["type"] == "NetworkNotFound"
    assert body["NeutronError"]["message"] == "Network n1 could not be found."


def test_access_rules_match_like_keystonemiddleware() -> None:
    from gureum.core.auth import access_allowed

    rules = ({"service": "compute", "method": "GET", "path": "/v2.1/servers/*"},
             {"service": "image", "method": "GET", "path": "/v2/images/**"})
    assert access_allowed(rules, "compute", "GET", "/v2.1/servers/abc")
    assert not access_allowed(rules, "compute", "GET", "/v2.1/servers/abc/ips")
    assert not access_allowed(rules, "compute", "DELETE", "/v2.1/servers/abc")
    assert not access_allowed(rules, "volume", "GET", "/v2.1/servers/abc")
    assert access_allowed(rules, "image", "GET", "/v2/images")
    assert access_allowed(rules, "image", "GET", "/v2/images/a/file")
    assert not access_allowed((), "image", "GET", "/v2/images")
