"""Demo data: two tenants with their own users, and a register big enough to scroll.

``acme`` gets 200 companies, 5 workplaces each, 100 assessments each: = 100,000
risk assessments, ``globex`` a small register of its own; everything is
made with ``generate_series`` in a few statements (about a second).
"""

from __future__ import annotations

from raccoon.data import Database
from raccoon.service import Accounts

from .sources import OFFICER

#: (tenant, companies, workplaces per company, assessments per workplace)
TENANTS = (("acme", 200, 5, 100), ("globex", 20, 3, 10))
#: (username, tenant, roles)
USERS = (
    ("ann", "acme", [OFFICER]),
    ("carl", "acme", [OFFICER]),
    ("vera", "acme", ["viewer"]),
    ("bob", "globex", [OFFICER]),
    ("lucia", "acme", [OFFICER]),
)
#: Users with a language of their own (the others get the browser's).
LANGUAGES = {"lucia": "it"}

_HAZARDS = (
    "'{Slippery floor,Working at height,Noise,Manual handling,Chemical exposure,"
    "Electrical equipment,Moving machinery,Fire,Poor lighting,Repetitive strain}'"
)
_CITIES = "'{Milano,Torino,Bologna,Firenze,Roma,Napoli,Genova,Verona,Padova,Trieste}'"
_DEPARTMENTS = "'{Warehouse,Office,Workshop,Laboratory,Loading bay}'"


async def seed_accounts(accounts: Accounts, password: str) -> None:
    """The tenants, roles and users (all with ``password``)."""
    for tenant, *_ in TENANTS:
        await accounts.create_tenant(tenant)
    for role in (OFFICER, "viewer"):
        await accounts.create_role(role)
    for username, tenant, roles in USERS:
        await accounts.create_user(
            username, password, tenant=tenant, roles=roles, language=LANGUAGES.get(username)
        )


async def seed_register(db: Database, *, scale: float = 1.0) -> int:
    """Fill the register; returns the number of assessments made.

    The change log is not written for seed rows (``session_replication_role
    = replica`` switches the tracking triggers off inside this transaction;
    it needs a superuser, as the embedded server's is).
    """
    made = 0
    async with db.transaction() as tx:
        await tx.execute("SET LOCAL session_replication_role = replica")
        for tenant, n_companies, n_workplaces, n_assessments in TENANTS:
            companies = max(1, round(n_companies * scale))
            await tx.execute(
                f"""
                INSERT INTO safety_companies (tenant, name, city, employees)
                SELECT '{tenant}', format('Company %s', lpad(i::text, 4, '0')),
                       ({_CITIES}::text[])[1 + i % 10], 10 + (i * 37) % 990
                FROM generate_series(1, {companies}) AS i
                """
            )
            await tx.execute(
                f"""
                INSERT INTO safety_workplaces (tenant, company_id, name, department)
                SELECT c.tenant, c.id, format('%s — site %s', c.name, w),
                       ({_DEPARTMENTS}::text[])[1 + w % 5]
                FROM safety_companies c, generate_series(1, {n_workplaces}) AS w
                WHERE c.tenant = '{tenant}'
                ORDER BY c.id, w
                """
            )
            await tx.execute(
                f"""
                INSERT INTO safety_assessments (tenant, workplace_id, hazard, severity,
                                                probability, measures, due_date, owner)
                SELECT p.tenant, p.id, ({_HAZARDS}::text[])[1 + (p.id + a) % 10],
                       1 + (p.id * 7 + a) % 4, 1 + (p.id + a * 3) % 4,
                       'Training and protective equipment',
                       DATE '2026-01-01' + ((p.id + a) % 365),
                       (ARRAY['ann','carl','vera'])[1 + a % 3]
                FROM safety_workplaces p, generate_series(1, {n_assessments}) AS a
                WHERE p.tenant = '{tenant}'
                """
            )
            made += companies * n_workplaces * n_assessments
        await tx.execute(
            "ANALYZE safety_companies; ANALYZE safety_workplaces; ANALYZE safety_assessments"
        )
    return made
