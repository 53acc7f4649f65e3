"""Editing in a real browser: the assessment form of the companies view.

Field errors (nothing saved), saves with their history, cancel, live
changes under a clean form and not under a dirty one, and conflicts
between two users of the same tenant (ann and carl) resolved each way.
Every check of what was saved reads the database itself.

Each test works on the assessments of its own company, so the tests of
this module (one service, one database) do not see each other's edits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import PASSWORD
from playwright.async_api import Browser, Locator, Page, expect

from raccoon.service import Service

# Slow: a real browser against a started service.
pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

NewPage = Callable[[str], Awaitable[Page]]


@pytest_asyncio.fixture(loop_scope="session")
async def new_page(browser: Browser, safety_service: Service) -> AsyncIterator[NewPage]:
    """``await new_page('ann')``: a browser context of its own, logged in as that user."""
    contexts = []

    async def make(username: str) -> Page:
        context = await browser.new_context()
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: print(f"[{username} {m.type}] {m.text}"))
        page.on("pageerror", lambda e: print(f"[{username} error] {e}"))
        await page.goto(safety_service.url + "/")
        await page.fill("#raccoon-username", username)
        await page.fill("#raccoon-password", PASSWORD)
        await page.click("#raccoon-login")
        await expect(page.locator("#raccoon")).to_have_attribute("data-state", "ready")
        return page

    try:
        yield make
    finally:
        for context in contexts:
            await context.close()


def grid(page: Page, name: str) -> Locator:
    return page.locator(f"section[data-view=Companies] [data-grid={name}]")


def form(page: Page) -> Locator:
    return page.locator("form[data-form=assessments]")


def field(page: Page, name: str) -> Locator:
    return form(page).locator(f"[data-field={name}]")


async def open_assessment(page: Page, company: int, assessment: int = 0) -> int:
    """Companies → ``Company <company>`` (found with the filter box) → its first
    workplace → the assessment at row ``assessment``, shown in the form;
    returns its id."""
    await page.click("button.raccoon-action[data-action=companies]")
    companies = grid(page, "companies")
    await expect(companies.locator(".tabulator-row").first).to_be_visible()
    await companies.locator("input.raccoon-filter").fill(f"Company {company:04d}")
    await expect(companies).to_have_attribute("data-total", "1")
    await companies.locator(".tabulator-row").first.click()
    workplaces = grid(page, "workplaces")
    await expect(workplaces).to_have_attribute("data-total", "5")
    await expect(workplaces.locator(".tabulator-row").first).to_contain_text(
        f"Company {company:04d}"
    )
    await workplaces.locator(".tabulator-row").first.click()
    assessments = grid(page, "assessments")
    await expect(assessments).to_have_attribute("data-total", "100")
    row = assessments.locator(".tabulator-row").nth(assessment)
    await expect(row).to_have_attribute("data-id", pattern(r"\d+"))
    pk = int(await row.get_attribute("data-id") or 0)
    await row.click()
    await expect(assessments).to_have_attribute("data-current", str(pk))
    await expect(form(page)).to_have_attribute("data-record", str(pk))
    await expect(form(page)).to_have_attribute("data-dirty", "false")
    return pk


def pattern(regex: str) -> Any:
    import re

    return re.compile(regex)


async def db_row(service: Service, pk: int) -> dict[str, Any]:
    row = await service.db.fetchrow("SELECT * FROM safety_assessments WHERE id = $1", pk)
    assert row is not None
    return dict(row)


def other_severity(severity: int, step: int = 1) -> str:
    return str((severity - 1 + step) % 4 + 1)


async def test_an_invalid_value_shows_a_field_error_and_saves_nothing(
    new_page: NewPage, safety_service: Service, artifacts: Path
) -> None:
    page = await new_page("ann")
    pk = await open_assessment(page, company=10)
    before = await db_row(safety_service, pk)
    await expect(field(page, "severity")).to_have_value(str(before["severity"]))

    await field(page, "severity").fill("9")
    await expect(form(page)).to_have_attribute("data-dirty", "true")
    await form(page).locator("[data-form-action=save]").click()
    await expect(form(page)).to_have_attribute("data-state", "invalid")
    await expect(form(page).locator("[data-error=severity]")).to_have_text("must be 1 to 4")
    await expect(form(page).locator('[data-error=""]')).to_contain_text("nothing was saved")
    await page.screenshot(path=artifacts / "field-error.png")
    assert await db_row(safety_service, pk) == before  # the server refused it

    # Not a number: refused in the browser, before any call.
    await field(page, "probability").fill("abc")
    await form(page).locator("[data-form-action=save]").click()
    await expect(form(page).locator("[data-error=probability]")).to_have_text("must be a number")
    assert await db_row(safety_service, pk) == before
    # The user's values are still there, the form still dirty.
    await expect(field(page, "severity")).to_have_value("9")
    await expect(form(page)).to_have_attribute("data-dirty", "true")


async def test_a_valid_edit_is_saved_and_the_history_shows_it(
    new_page: NewPage, safety_service: Service, artifacts: Path
) -> None:
    page = await new_page("ann")
    pk = await open_assessment(page, company=11)
    before = await db_row(safety_service, pk)
    history = page.locator("[data-history]")
    await expect(history).to_have_attribute("data-record", str(pk))
    await expect(history).to_have_attribute("data-count", "0")  # seeded: no changes

    severity = other_severity(before["severity"])
    await field(page, "severity").fill(severity)
    await field(page, "measures").fill("Guard rails and a second inspection")
    await field(page, "due_date").fill("2027-02-03")
    await form(page).locator("[data-form-action=save]").click()
    await expect(form(page)).to_have_attribute("data-state", "saved")
    await expect(form(page)).to_have_attribute("data-dirty", "false")

    after = await db_row(safety_service, pk)
    assert after["severity"] == int(severity)
    assert after["measures"] == "Guard rails and a second inspection"
    assert str(after["due_date"]) == "2027-02-03"
    assert after["version"] == before["version"] + 1
    assert after["hazard"] == before["hazard"]  # untouched fields untouched

    entry = history.locator("[data-history-entry]").first
    await expect(history).to_have_attribute("data-count", "1")
    await expect(entry).to_have_attribute("data-who", "ann")
    await expect(entry.locator("[data-change=severity]")).to_have_text(
        f"Severity: {before['severity']} → {severity}"
    )
    await expect(entry.locator("[data-change=measures]")).to_be_visible()
    # The later due date moved the row out of the grid's window (sorted by due
    # date); it is still the current record, and the form still shows it.
    assessments = grid(page, "assessments")
    await expect(assessments.locator(f".tabulator-row[data-id='{pk}']")).to_have_count(0)
    await expect(assessments).to_have_attribute("data-current", str(pk))
    await expect(form(page)).to_have_attribute("data-record", str(pk))
    await expect(field(page, "due_date")).to_have_value("2027-02-03")
    await page.screenshot(path=artifacts / "saved-with-history.png")


async def test_cancel_reverts_the_edits(
    new_page: NewPage, safety_service: Service, artifacts: Path
) -> None:
    page = await new_page("ann")
    pk = await open_assessment(page, company=12)
    before = await db_row(safety_service, pk)
    await field(page, "hazard").fill("Something else")
    await expect(form(page)).to_have_attribute("data-dirty", "true")
    await expect(field(page, "hazard")).to_have_attribute("data-changed", "true")
    await form(page).locator("[data-form-action=cancel]").click()
    await expect(form(page)).to_have_attribute("data-dirty", "false")
    await expect(field(page, "hazard")).to_have_value(before["hazard"])
    assert await db_row(safety_service, pk) == before
    await page.screenshot(path=artifacts / "cancelled.png")


async def test_a_clean_form_follows_live_changes_a_dirty_one_keeps_the_edits(
    new_page: NewPage, safety_service: Service, artifacts: Path
) -> None:
    ann = await new_page("ann")
    carl = await new_page("carl")
    pk = await open_assessment(ann, company=13)
    assert await open_assessment(carl, company=13) == pk

    # carl saves; ann's form is clean: it shows carl's value.
    await field(carl, "hazard").fill("Loose cables")
    await form(carl).locator("[data-form-action=save]").click()
    await expect(form(carl)).to_have_attribute("data-state", "saved")
    await expect(field(ann, "hazard")).to_have_value("Loose cables", timeout=1_000)

    # ann types without saving; carl saves again: ann's edits stay.
    await field(ann, "measures").fill("ann's unsaved measures")
    await field(carl, "hazard").fill("Loose cables, again")
    await form(carl).locator("[data-form-action=save]").click()
    await expect(form(carl)).to_have_attribute("data-state", "saved")
    row = grid(ann, "assessments").locator(f".tabulator-row[data-id='{pk}']")
    await expect(row).to_contain_text("Loose cables, again", timeout=1_000)  # the grid follows
    await expect(field(ann, "measures")).to_have_value("ann's unsaved measures")
    await expect(field(ann, "hazard")).to_have_value("Loose cables")  # the form does not
    await expect(form(ann)).to_have_attribute("data-dirty", "true")
    await ann.screenshot(path=artifacts / "dirty-form-kept.png")


@pytest.mark.parametrize("resolution", ["yours", "theirs", "merge"])
async def test_simultaneous_edits_give_one_conflict_dialog(
    new_page: NewPage, safety_service: Service, artifacts: Path, resolution: str
) -> None:
    company = {"yours": 20, "theirs": 21, "merge": 22}[resolution]
    ann = await new_page("ann")
    carl = await new_page("carl")
    pk = await open_assessment(ann, company=company)
    assert await open_assessment(carl, company=company) == pk
    before = await db_row(safety_service, pk)
    ann_severity = other_severity(before["severity"], 1)
    carl_severity = other_severity(before["severity"], 2)

    # Both edit the same record; ann saves first.
    await field(ann, "severity").fill(ann_severity)
    await field(ann, "measures").fill("ann's measures")
    await field(carl, "severity").fill(carl_severity)
    await field(carl, "measures").fill("carl's measures")
    await field(carl, "owner").fill("carl, reviewer")
    await form(ann).locator("[data-form-action=save]").click()
    await expect(form(ann)).to_have_attribute("data-state", "saved")
    await form(carl).locator("[data-form-action=save]").click()

    dialog = carl.locator("[data-dialog=conflict]")
    await expect(dialog).to_have_count(1)
    await expect(ann.locator("[data-dialog=conflict]")).to_have_count(0)
    # The fields both changed, with both values; owner only carl changed.
    await expect(dialog.locator("tr[data-field]")).to_have_count(2)
    severity_row = dialog.locator("tr[data-field=severity]")
    await expect(severity_row.locator("[data-side=yours]")).to_have_text(carl_severity)
    await expect(severity_row.locator("[data-side=theirs]")).to_have_text(ann_severity)
    await carl.screenshot(path=artifacts / f"conflict-{resolution}.png")
    assert (await db_row(safety_service, pk))["version"] == before["version"] + 1

    if resolution == "merge":
        await dialog.locator("input[data-choice=severity][value=theirs]").check()
        await dialog.locator("input[data-choice=measures][value=yours]").check()
    await dialog.locator(f"button[data-resolve={resolution}]").click()
    await expect(dialog).to_have_count(0)
    await expect(form(carl)).to_have_attribute("data-dirty", "false")

    after = await db_row(safety_service, pk)
    if resolution == "yours":
        assert after["version"] == before["version"] + 2
        assert (after["severity"], after["measures"], after["owner"]) == (
            int(carl_severity),
            "carl's measures",
            "carl, reviewer",
        )
    elif resolution == "theirs":
        assert after["version"] == before["version"] + 1  # carl's edits were dropped
        assert (after["severity"], after["measures"], after["owner"]) == (
            int(ann_severity),
            "ann's measures",
            before["owner"],
        )
        await expect(field(carl, "severity")).to_have_value(ann_severity)
        await expect(field(carl, "owner")).to_have_value(before["owner"])
    else:
        assert after["version"] == before["version"] + 2
        assert (after["severity"], after["measures"], after["owner"]) == (
            int(ann_severity),
            "carl's measures",
            "carl, reviewer",  # did not conflict: carl's change is kept
        )
        await expect(field(carl, "severity")).to_have_value(ann_severity)
    # Both forms end up showing what the database holds.
    await expect(field(ann, "measures")).to_have_value(after["measures"])
    await expect(field(carl, "measures")).to_have_value(after["measures"])
    await carl.screenshot(path=artifacts / f"resolved-{resolution}.png")


async def test_simultaneous_edits_of_different_fields_merge_without_a_dialog(
    new_page: NewPage, safety_service: Service, artifacts: Path
) -> None:
    ann = await new_page("ann")
    carl = await new_page("carl")
    pk = await open_assessment(ann, company=23)
    assert await open_assessment(carl, company=23) == pk
    before = await db_row(safety_service, pk)
    await field(ann, "hazard").fill("Wet stairs")
    await field(carl, "measures").fill("Anti-slip strips")
    await form(ann).locator("[data-form-action=save]").click()
    await expect(form(ann)).to_have_attribute("data-state", "saved")
    await form(carl).locator("[data-form-action=save]").click()
    await expect(form(carl)).to_have_attribute("data-state", "saved")
    await expect(carl.locator("[data-dialog=conflict]")).to_have_count(0)
    after = await db_row(safety_service, pk)
    assert after["version"] == before["version"] + 2
    assert (after["hazard"], after["measures"]) == ("Wet stairs", "Anti-slip strips")
    await expect(field(carl, "hazard")).to_have_value("Wet stairs")
    await expect(field(ann, "measures")).to_have_value("Anti-slip strips")
    await carl.screenshot(path=artifacts / "merged.png")
