"""The production files: docker-compose.yml, the Dockerfile, deploy/raccoon.toml and the
router configuration in crossbar/ (generated from those settings, accepted by Crossbar).

Docker itself is not available where the tests run; what can be checked
without it is: the compose file's structure, that every service reads the
same settings file, and that the committed router configuration is exactly
what ``raccoon router config`` writes for them (no drift) and what
``crossbar check`` accepts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from raccoon.service import Settings, find_crossbar, router_config

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = "http://service:8000"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_runs_postgres_crossbar_and_two_service_replicas(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "crossbar", "service"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["service"]["deploy"]["replicas"] == 2
    assert services["service"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    # One image for the router and the services: the router imports
    # raccoon's function authenticator.
    assert services["crossbar"]["image"] == services["service"]["image"] == "raccoon:latest"
    assert services["crossbar"]["command"][:4] == ["crossbar", "start", "--cbdir", "/srv/crossbar"]
    assert "./crossbar/config.json:/srv/crossbar/config.json:ro" in services["crossbar"]["volumes"]
    # Only the router is published.
    assert [name for name, s in services.items() if s.get("ports")] == ["crossbar"]
    # Every raccoon container gets the same settings file and secrets.
    for name in ("migrate", "crossbar", "service"):
        environment = services[name]["environment"]
        assert {"RACCOON_SECRET", "RACCOON_BACKEND_TICKET", "RACCOON_DATABASE_URL"} <= set(
            environment
        ), name
        assert "./deploy/raccoon.toml:/srv/deploy/raccoon.toml:ro" in services[name]["volumes"]
    assert services["service"]["command"] == [
        "raccoon", "serve", "/srv/app", "--config", "/srv/deploy/raccoon.toml",
    ]  # fmt: skip


def test_production_settings_match_the_compose_topology() -> None:
    settings = Settings.load(ROOT / "deploy" / "raccoon.toml", env={})
    assert settings.router_url == "ws://crossbar:8081/ws"
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 8000)
    assert settings.migrate is False and settings.log_format == "json"
    assert settings.secret is None and settings.backend_ticket is None  # from the environment


def test_the_committed_router_config_is_what_raccoon_router_config_writes() -> None:
    settings = Settings.load(ROOT / "deploy" / "raccoon.toml", env={})
    expected = router_config(settings, upstream=UPSTREAM)
    committed = json.loads((ROOT / "crossbar" / "config.json").read_text())
    assert committed == expected, (
        "crossbar/config.json is stale: raccoon router config --config deploy/raccoon.toml "
        f"--upstream {UPSTREAM} --out crossbar/config.json"
    )
    text = json.dumps(committed)
    assert '"secret_env": "RACCOON_SECRET"' in text and "${RACCOON_BACKEND_TICKET}" in text


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_raccoon_router_config_output_passes_crossbar_check(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "raccoon.service.cli", "router", "config",
            "--config", str(ROOT / "deploy" / "raccoon.toml"), "--upstream", UPSTREAM,
        ],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (tmp_path / "config.json").write_text(result.stdout)
    check = subprocess.run(
        [str(find_crossbar()), "check", "--cbdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    shutil.rmtree(tmp_path / ".crossbar", ignore_errors=True)


def test_the_image_installs_raccoon_with_the_router() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -c constraints.txt '.[router]'" in dockerfile
    assert "USER raccoon" in dockerfile
