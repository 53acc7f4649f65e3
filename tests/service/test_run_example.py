"""``raccoon run examples/safety`` (what ``make run`` runs) on a fresh state directory:
embedded PostgreSQL, migrations, the seed (100,000 assessments), the client build,
Crossbar; a login over HTTP and the bundle the page loads; SIGTERM stops every pid,
quietly. It runs with the README's password and prints what the README shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp
import pytest
from readme_support import readme_block, readme_text, shape, summary
from run_support import RaccoonProcess, assert_gone, clean_env, workspace

from raccoon._process import pick_free_port, run_blocking

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "safety"
#: The password of the README's `make run RUN_ARGS='--password ...'`.
_MAKE_RUN = re.search(r"make run RUN_ARGS='--password (\S+)'", readme_text())
assert _MAKE_RUN is not None, "the README's quick start lost its make run RUN_ARGS line"
PASSWORD = _MAKE_RUN.group(1)


async def _log_in_and_fetch(url: str, username: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url + "/") as response:
            assert response.status == 200
            page = await response.text()
        assert "<title>Workplace safety</title>" in page
        assert 'src="/static/bundle.js' in page and "/static/dev.js" not in page
        async with http.post(
            url + "/api/login", json={"username": username, "password": PASSWORD}
        ) as response:
            assert response.status == 200, await response.text()
            grant = await response.json()
        assert grant["token"] and grant["url"].endswith("/ws")
        async with http.get(url + "/static/bundle.js") as response:
            assert response.status == 200
            assert response.content_type == "application/javascript"
            text = await response.text()
        assert len(text) > 100_000 and "safety" in text
        async with http.get(url + "/static/bundle.js.map") as response:
            assert response.status == 200


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_run_example_from_a_fresh_state_directory() -> None:
    with workspace() as state:
        env = clean_env(RACCOON_PORT=str(pick_free_port()), RACCOON_WORKDIR=str(state))
        run = RaccoonProcess(ROOT, "run", "examples/safety", "--password", PASSWORD, env=env)
        pids: list[int] = []
        try:
            run.wait_for(r"client\s+built safety\.bundle\.js", within=300)
            url = run.wait_for(r"open\s+(http://\S+)", within=480).group(1)
            run.wait_for("Ctrl-C to stop", within=30)
            logins = re.findall(rf"login\s+(\S+) / {re.escape(PASSWORD)}", run.output)
            assert len(logins) >= 2, run.output
            recorded = json.loads((state / "run.json").read_text())
            assert recorded["pid"] == run.pid and recorded["url"] == url
            pids = [recorded["router_pid"], recorded["postgres_pid"]]
            assert f"pid {recorded['postgres_pid']}, data in {state}/postgres" in run.output
            for username in logins:  # each user the README names can log in
                run_blocking(_log_in_and_fetch(url, username))
            mark = run.mark()
            assert run.stop() == 0, run.output
        finally:
            run.stop()
        assert_gone([*pids, run.pid])
        assert "stopped" in run.output and "Traceback" not in run.output, run.output
        assert not (state / "run.json").exists()
        # What the README shows is what is printed: line by line, no log line mixed in.
        shown = readme_block("starting safety (")
        places = {"/home/ann/raccoon/examples/safety": "<APP>"}
        printed = {str(state): "<APP>/.raccoon", str(APP): "<APP>"}
        assert shape(summary(run.output), printed) == shape(shown, places), run.output
        for username in logins:  # the README's table says who is who
            assert re.search(rf"^\| [^\n]*`{username}`", readme_text(), re.M), username
        # A deliberate stop is quiet: no "session lost, reconnecting".
        assert run.lines[mark:] == ["stopping ...\n", "stopped\n"], run.output
