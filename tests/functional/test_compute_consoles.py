"""Remote consoles (issue 7): a URL with a token per request, the token known to the
console proxies (os-console-auth-tokens) until it expires; nova's refusals."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from tests.functional.compute_helpers import compute_client, create_server, wait_status
from tests.harness import RunningCloud, unique


def token_of(url: str) -> str:
    query = parse_qs(urlsplit(url).query)
    if "path" in query:  # novnc: ?path=?token=...
        return parse_qs(urlsplit(unquote(query["path"][0])).query)["token"][0]
    return query["token"][0]


def test_console_urls_and_their_tokens(cloud: RunningCloud, image: str) -> None:
    with compute_client(cloud, "demo", "2.6") as demo, \
            compute_client(cloud, "admin", "2.31") as admin:
        made = create_server(demo, image, networks=[], name=unique("console"))
        wait_status(demo, made["id"], {"ACTIVE"})
        answer = demo.post(f"/servers/{made['id']}/remote-consoles", json={
            "remote_console": {"protocol": "vnc", "type": "novnc"}})
        assert answer.status_code == 200, answer.text
        console = answer.json()["remote_console"]
        assert console["url"].startswith("http://127.0.0.1:6080/vnc_auto.html?path=")
        token = token_of(console["url"])
        found = admin.get(f"/os-console-auth-tokens/{token}")
        assert found.status_code == 200
        assert found.json()["console"]["instance_uuid"] == made["id"]
        assert found.json()["console"]["port"] >= 5900
        assert admin.get("/os-console-auth-tokens/not-a-token").status_code == 404
        assert demo.get(f"/os-console-auth-tokens/{token}").status_code == 403
        serial = demo.post(f"/servers/{made['id']}/action", json={
            "os-getSerialConsole": {"type": "serial"}})
        assert serial.json()["console"]["url"].startswith("ws://")
        assert demo.post(f"/servers/{made['id']}/action", json={
            "os-getVNCConsole": {"type": "spice-html5"}}).status_code == 400
        assert demo.post(f"/servers/{made['id']}/remote-consoles", json={
            "remote_console": {"protocol": "spice", "type": "spice-direct"}}
        ).status_code == 400  # 2.99's
        demo.post(f"/servers/{made['id']}/action", json={"os-stop": None})
        wait_status(demo, made["id"], {"SHUTOFF"})
        assert demo.post(f"/servers/{made['id']}/remote-consoles", json={
            "remote_console": {"protocol": "vnc", "type": "novnc"}}).status_code == 409
        demo.delete(f"/servers/{made['id']}")
