from __future__ import annotations

import os
from pathlib import Path

import pytest

from gureum.core.context import RequestContext
from gureum.core.errors import PolicyNotAuthorized
from gureum.core.policy import PolicyEngine, Rule, flatten, sample_yaml

RULES = [
    Rule("admin_required", "role:admin"),
    Rule("thing:get", "rule:admin_required or project_id:%(project_id)s"),
    Rule("thing:domain", "role:reader and domain_id:%(target.thing.domain_id)s"),
    Rule("thing:not", "not role:banned"),
]


def member(project: str | None = "p1", domain: str | None = None, *roles: str
           ) -> RequestContext:
    return RequestContext(user_id="u", project_id=project, domain_id=domain,
                          roles=roles or ("member", "reader"))


def engine(tmp_path: Path) -> PolicyEngine:
    return PolicyEngine("test", RULES, tmp_path / "policy.yaml")


def test_rule_language(tmp_path: Path) -> None:
    policy = engine(tmp_path)
    assert policy.check("thing:get", member("p1"), {"project_id": "p1"})
    assert not policy.check("thing:get", member("p2"), {"project_id": "p1"})
    assert policy.check("thing:get", member("p2", None, "admin"), {"project_id": "p1"})
    assert policy.check("thing:domain", member(None, "d1"), {"target": {"thing": {
        "domain_id": "d1"}}})
    assert policy.check("thing:not", member(), {})
    assert not policy.check("thing:not", member("p1", None, "banned"), {})
    with pytest.raises(PolicyNotAuthorized, match="thing:get"):
        policy.enforce("thing:get", member("p2"), {"project_id": "p1"})


def test_missing_values_never_match_missing_credentials(tmp_path: Path) -> None:
    """An unscoped context (project_id None) against a target without a project."""
    policy = engine(tmp_path)
    assert not policy.check("thing:get", member(None), {"project_id": None})
    assert not policy.check("thing:domain", member(None, None), {"target": {"thing": {
        "domain_id": None}}})


def test_unknown_rule_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        engine(tmp_path).check("thing:nope", member(), {})


def test_overrides_apply_and_revert_without_restart(tmp_path: Path) -> None:
    policy = engine(tmp_path)
    file = tmp_path / "policy.yaml"
    assert not policy.check("thing:get", member("p2"), {"project_id": "p1"})
    file.write_text('"thing:get": "role:member"\n')
    assert policy.check("thing:get", member("p2"), {"project_id": "p1"})
    assert policy.effective_rules()["thing:get"] == "role:member"
    file.write_text('"thing:get": "!"\n')
    later = file.stat().st_mtime + 10  # oslo.policy reloads when the mtime moves forward
    os.utime(file, (later, later))
    assert not policy.check("thing:get", member("p1"), {"project_id": "p1"})
    file.unlink()
    assert policy.check("thing:get", member("p1"), {"project_id": "p1"})


def test_flatten_and_sample() -> None:
    assert flatten({"target": {"user": {"id": 1, "domain_id": None}}, "x": 2}) == {
        "target": {"user": {"id": 1, "domain_id": None}}, "target.user": {"id": 1,
        "domain_id": None}, "target.user.id": 1, "x": 2}
    assert '#"thing:get": "rule:admin_required or project_id:%(project_id)s"' in sample_yaml(
        RULES)
