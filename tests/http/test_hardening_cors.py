"""CORS: only the origins of ``cors.allow_origins`` get CORS headers; none by default."""

from __future__ import annotations

import pytest

from unicrm.core.config import load_settings
from unicrm.core.errors import ConfigError

APP = "https://app.example.com"
COUNT = {"query": "{ customers { totalCount } }"}
ALLOWED = {"cors": {"allow_origins": [APP]}}


def preflight(origin: str, method: str = "POST", headers: str = "content-type") -> dict:
    return {
        "origin": origin,
        "access-control-request-method": method,
        "access-control-request-headers": headers,
    }


async def test_no_cors_headers_without_allowed_origins(client_with):
    async with client_with() as http:
        options = await http.options("/graphql", headers=preflight(APP))
        post = await http.post("/graphql", json=COUNT, headers={"origin": APP})
    assert options.status_code == 405
    for response in (options, post):
        assert not any(name.startswith("access-control-") for name in response.headers)
    assert post.json() == {"data": {"customers": {"totalCount": 0}}}


async def test_preflight_from_an_allowed_origin_lists_methods_and_headers(client_with):
    asked = "authorization, content-type, unicrm-department"
    async with client_with(**ALLOWED) as http:
        response = await http.options("/graphql/default", headers=preflight(APP, "POST", asked))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    assert set(response.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    allowed = {h.lower() for h in response.headers["access-control-allow-headers"].split(", ")}
    assert {"authorization", "content-type", "unicrm-department"} <= allowed
    assert response.headers["access-control-max-age"] == "600"


@pytest.mark.parametrize(
    "headers",
    [
        preflight("https://evil.example.com"),
        preflight(APP, method="DELETE"),
        preflight(APP, headers="x-unknown"),
    ],
    ids=["origin", "method", "header"],
)
async def test_preflight_outside_the_allow_list_is_refused(client_with, headers):
    async with client_with(**ALLOWED) as http:
        response = await http.options("/graphql", headers=headers)
    assert response.status_code == 400
    if headers["origin"] != APP:
        assert "access-control-allow-origin" not in response.headers


async def test_requests_from_an_allowed_origin_get_cors_headers(client_with):
    async with client_with(**ALLOWED) as http:
        allowed = await http.post("/graphql", json=COUNT, headers={"origin": APP})
        other = await http.post(
            "/graphql", json=COUNT, headers={"origin": "https://evil.example.com"}
        )
    assert allowed.headers["access-control-allow-origin"] == APP
    assert "retry-after" in allowed.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    "value", ["app.example.com", "https://app.example.com/path", "ftp://x"], ids=str
)
def test_a_malformed_origin_is_one_config_error(monkeypatch, value):
    monkeypatch.setenv("UNICRM_CORS__ALLOW_ORIGINS", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(
        "bad setting cors.allow_origins (UNICRM_CORS__ALLOW_ORIGINS): expected origins"
    )


def test_origins_come_comma_separated_from_the_environment(monkeypatch):
    monkeypatch.setenv("UNICRM_CORS__ALLOW_ORIGINS", f"{APP}, http://localhost:5173/")
    assert load_settings().cors.allow_origins == [APP, "http://localhost:5173"]
