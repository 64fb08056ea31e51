"""The OpenAPI description tells the truth: the same paths, methods and roles as the app."""

from __future__ import annotations

import re

import pytest

from webui.api.resources import description

METHODS = {"get", "post", "put", "patch", "delete"}


def _app_operations(app) -> dict[tuple[str, str], str]:
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):])
        role = app.view_functions[rule.endpoint].required_role
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(path, method.lower())] = role
    return found


@pytest.fixture
def SPEC(app) -> dict:
    """The description the app generates (from its routes and the domains' models)."""
    with app.app_context():
        return description()


def _spec_operations(SPEC) -> dict[tuple[str, str], str]:
    return {(path, method): op["x-required-role"]
            for path, item in SPEC["paths"].items() for method, op in item.items() if method in METHODS}


def test_every_api_route_is_described_and_nothing_else(app, SPEC):
    assert set(_app_operations(app)) == set(_spec_operations(SPEC))


def test_the_described_roles_are_the_enforced_ones(app, SPEC):
    assert _app_operations(app) == _spec_operations(SPEC)


def test_path_parameters_are_declared(SPEC):
    for path, item in SPEC["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path


def test_every_reference_resolves(SPEC):
    text = repr(SPEC)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in SPEC["components"]["schemas"], name


def test_the_spec_is_served(client, token, users):
    response = client.get("/api/v1/openapi.json", headers=token("agent"))
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.0") and "/agents" in spec["paths"]
