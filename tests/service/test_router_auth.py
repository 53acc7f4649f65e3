"""The router configuration the service needs: ticket auth, reverse proxy, private transport."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from raccoon.service import (
    BackendTransport,
    FunctionAuthenticator,
    Role,
    RouterSettings,
    TicketPrincipal,
    build_config,
    find_crossbar,
)


def service_like(**changes: object) -> RouterSettings:
    values: dict[str, object] = dict(
        port=8123,
        roles=(
            Role.full_access("backend"),
            Role("browser", authorizer="raccoon.service.authorize"),
        ),
        anonymous_role=None,
        allowed_origins=("http://127.0.0.1:8123",),
        ticket=FunctionAuthenticator(
            "raccoon._authenticator.create", {"key_env": "KEY", "role": "browser"}
        ),
        web_proxy="http://127.0.0.1:9000",
        web_proxy_max_body=65536,
        backend=BackendTransport(
            port=8124, principals=(TicketPrincipal("raccoon-backend", "${TICKET}", "backend"),)
        ),
        environment={"KEY": "00" * 32, "TICKET": "t0p-secret"},
    )
    values.update(changes)
    return RouterSettings(**values)  # type: ignore[arg-type]


def test_the_service_configuration() -> None:
    settings = service_like()
    config = build_config(settings)
    (worker,) = config["workers"]
    public, private = worker["transports"]
    ws = public["paths"]["ws"]
    assert ws["auth"] == {
        "ticket": {
            "type": "function",
            "create": "raccoon._authenticator.create",
            "config": {"key_env": "KEY", "role": "browser"},
        }
    }
    assert ws["options"]["allowed_origins"] == ["http://127.0.0.1:8123"]
    # Our streaming-safe proxy (raccoon._webproxy), not Crossbar's "reverseproxy".
    assert public["paths"]["/"] == {
        "type": "resource",
        "classname": "raccoon._webproxy.ApiProxy",
        "extra": {"upstream": "http://127.0.0.1:9000", "max_body": 65536},
    }
    assert private["endpoint"] == {"type": "tcp", "interface": "127.0.0.1", "port": 8124}
    assert private["paths"]["ws"]["auth"] == {
        "ticket": {
            "type": "static",
            "principals": {"raccoon-backend": {"ticket": "${TICKET}", "role": "backend"}},
        }
    }
    # Secrets come from the environment: neither the config nor repr shows them.
    assert "t0p-secret" not in json.dumps(config) and "t0p-secret" not in repr(settings)
    assert settings.probe() == ("ws://127.0.0.1:8124/ws", "raccoon-backend", "t0p-secret")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"web_proxy": "https://x:1"}, "web_proxy must be http://host:port"),
        ({"backend": BackendTransport(port=8124)}, "admits nobody"),
        ({"backend": BackendTransport(port=8123, anonymous_role="backend")}, "its own port"),
        (
            {"backend": BackendTransport(port=1, principals=(TicketPrincipal("a", "t", "x"),))},
            "role 'x'",
        ),
        (
            {"ticket": FunctionAuthenticator("raccoon._authenticator.create", {"role": "nobody"})},
            "role 'nobody'",
        ),
    ],
)
def test_inconsistent_settings_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        service_like(**changes)


def test_a_function_authenticator_needs_a_dotted_name() -> None:
    with pytest.raises(ValueError, match=r"package\.module\.function"):
        FunctionAuthenticator("create")


def test_an_unset_ticket_variable_is_named() -> None:
    principal = TicketPrincipal("a", "${RACCOON_SURELY_UNSET_VARIABLE}", "backend")
    with pytest.raises(ValueError, match="RACCOON_SURELY_UNSET_VARIABLE"):
        principal.resolve_ticket({})


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_crossbar_accepts_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(build_config(service_like())))
    result = subprocess.run(
        [str(find_crossbar()), "check", "--cbdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stdout + result.stderr
