"""``raccoon run``'s first-run seed is all or nothing, and the run says what it did
without noise: a seed failing halfway leaves the database as if it never ran (the next
run seeds again); the summary holds no log lines; a stop is quiet; the development
secret is generated once and kept."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import aiohttp
import pytest
from run_support import RaccoonProcess, assert_gone, clean_env, workspace

from raccoon._process import pick_free_port, run_blocking

PASSWORD = "correct-horse"

# An application whose seed breaks after creating a tenant when SEED_FAILS is set
# (HALF_COMMITS: after writing the tenant outside the seed's transaction, as a
# seed of older Raccoon versions left it).
APP = """
import os

import asyncpg

from raccoon.service import Application


async def seed(ctx):
    if os.environ.get("HALF_COMMITS"):
        connection = await asyncpg.connect(ctx.db.dsn)
        await connection.execute("INSERT INTO raccoon_tenants (name, title) VALUES ('acme', '')")
        await connection.close()
    await ctx.accounts.create_tenant("acme")
    if os.environ.get("SEED_FAILS"):
        raise RuntimeError("the seed broke halfway")
    await ctx.accounts.create_role("clerk")
    await ctx.accounts.create_user("ann", ctx.password, tenant="acme", roles=["clerk"])
    ctx.announce("ann")


application = Application("seedy", seed=seed)
"""


def _write_app(root: Path) -> Path:
    app = root / "seedy"
    app.mkdir()
    (app / "app.py").write_text(APP)
    return app


def _run(root: Path, **env: str) -> RaccoonProcess:
    return RaccoonProcess(
        root,
        "run",
        "seedy",
        "--password",
        PASSWORD,
        env=clean_env(RACCOON_PORT=str(pick_free_port()), **env),
    )


async def _log_in(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            url + "/api/login", json={"username": "ann", "password": PASSWORD}
        ) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["token"]


def _summary(output: str) -> list[str]:
    lines = output.splitlines()
    return lines[: lines.index("Ctrl-C to stop.") + 1]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_failed_seed_leaves_nothing_behind_and_the_next_run_seeds() -> None:
    with workspace() as root:
        app = _write_app(root)
        failed = _run(root, SEED_FAILS="1")
        try:
            assert failed.process.wait(120) == 1, failed.output
        finally:
            failed.stop()
        out = failed.output
        assert (
            "raccoon: seedy could not run: the seed of seedy failed: RuntimeError: the seed " in out
        )
        assert (
            "Nothing it wrote was kept (it runs in one transaction): fix the seed, or what it "
            "depends on, and run again"
        ) in out
        assert "RuntimeError: the seed broke halfway" in out  # a bug in the seed: its traceback
        assert "delete" not in out  # nothing to delete: the database is as before
        assert not (app / ".raccoon" / "run.json").exists()

        again = _run(root)
        pids: list[int] = []
        try:
            again.wait_for(rf"login\s+ann / {PASSWORD}", within=120)
            url = again.wait_for(r"open\s+(http://\S+)").group(1)
            again.wait_for("^Ctrl-C to stop")
            recorded = json.loads((app / ".raccoon" / "run.json").read_text())
            pids = [recorded["router_pid"], recorded["postgres_pid"]]
            run_blocking(_log_in(url))
            mark = again.mark()
            assert again.stop(signal.SIGINT) == 0, again.output
        finally:
            again.stop()
        assert_gone([*pids, again.pid])
        # The summary is the summary: no log line in it.
        summary = _summary(again.output)
        assert summary[0].startswith("starting seedy (")
        for line in summary[1:-1]:
            assert line.startswith("  "), summary
        secret = app / ".raccoon" / "secret"
        # Made by the first run (which failed before its summary), kept since.
        assert f"  secret    for development, kept in {secret}; production needs its own" in (
            again.output
        )
        assert secret.stat().st_mode & 0o777 == 0o600
        assert "no secret configured" not in failed.output + again.output
        # A deliberate stop is quiet.
        assert again.lines[mark:] == ["stopping ...\n", "stopped\n"], again.output


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_half_seeded_database_from_an_older_run_says_what_to_delete() -> None:
    with workspace() as root:
        _write_app(root)
        state = root / "state"
        failed = _run(root, HALF_COMMITS="1", RACCOON_WORKDIR=str(state))
        try:
            assert failed.process.wait(120) == 1, failed.output
        finally:
            failed.stop()
        assert "the tenant 'acme' exists already" in failed.output
        assert (
            "The database holds tenants but no user: an earlier seed stopped halfway; to start "
            f"over, delete {state / 'postgres'} (the development database) and run again"
        ) in failed.output
        assert "Traceback" not in failed.output  # one of Raccoon's errors: the message says it
