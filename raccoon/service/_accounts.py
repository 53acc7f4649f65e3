"""Users, tenants and roles: the Python API behind ``raccoon user add`` and the login.

::

    accounts = Accounts(db)
    await accounts.create_tenant("acme")
    await accounts.create_role("clerk")
    ann = await accounts.create_user("ann", "s3cret-pass", tenant="acme", roles=["clerk"])
    user = await accounts.verify_password("ann", "s3cret-pass")   # or InvalidCredentials

Usernames are unique across the whole database, without regard to case;
each user belongs to at most one tenant. Passwords are hashed with Argon2id
(argon2-cffi); verifying one takes tens of milliseconds of CPU on purpose,
so it runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.dialects import postgresql as pg

from raccoon.data import Database
from raccoon.service._errors import AccountError, InvalidCredentials
from raccoon.service._schema import roles, tenants, user_roles, users

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "Accounts",
    "User",
    "make_hasher",
    "text_problem",
]

#: Shorter passwords are refused when a user is created or a password set.
MIN_PASSWORD_LENGTH = 8
#: Longer ones are refused everywhere (hashing megabytes is a cheap DoS).
MAX_PASSWORD_LENGTH = 1024
_MAX_USERNAME = 150
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}\Z")
_ROLE = re.compile(r"[A-Za-z0-9_.:-]{1,100}\Z")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(_[A-Za-z0-9]{1,8})*\Z")
# PostgreSQL's text cannot hold NUL; a lone surrogate (legal in JSON and in a
# Python str) cannot be encoded at all — not for the database, not for Argon2.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """What makes *text* unusable as text — ``'contains a NUL character'``,
    ``'contains an unpaired surrogate'`` — or ``None``."""
    found = _BAD_TEXT.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "contains an unpaired surrogate"


def make_hasher(
    time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4
) -> PasswordHasher:
    """An Argon2id hasher with these costs (memory in KiB)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@dataclass(frozen=True)
class User:
    """A user as the service sees it: never with the password hash."""

    id: int
    username: str
    tenant: str | None
    roles: tuple[str, ...]
    display_name: str = ""
    email: str | None = None
    #: The user's own language; ``None`` lets the browser's Accept-Language decide.
    language: str | None = None
    active: bool = True

    def to_wire(self) -> dict[str, Any]:
        """The JSON form the login answer and the session description carry."""
        return {
            "id": self.id,
            "username": self.username,
            "tenant": self.tenant,
            "roles": list(self.roles),
            "display_name": self.display_name,
            "language": self.language,
        }


def check_username(username: object) -> str:
    """The username, or :class:`AccountError` saying what is wrong with it."""
    if not isinstance(username, str):
        raise AccountError(f"a username is a string, got {type(username).__name__}", "username")
    if not 1 <= len(username) <= _MAX_USERNAME or username != username.strip():
        raise AccountError(
            f"a username has 1 to {_MAX_USERNAME} characters and no spaces around it",
            "username",
        )
    if any(unicodedata.category(c).startswith("C") for c in username):
        raise AccountError("a username cannot contain control characters", "username")
    return username


def _check_password(password: object) -> str:
    if not isinstance(password, str):
        raise AccountError("a password is a string", "password")
    if (problem := text_problem(password)) is not None:
        raise AccountError(f"a password cannot be used: it {problem}", "password")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            "password",
        )
    return password


def _check_text(value: str | None, field: str) -> None:
    """Free text (a title, a display name) must be storable."""
    if isinstance(value, str) and (problem := text_problem(value)) is not None:
        raise AccountError(f"the {field.replace('_', ' ')} {problem}", field)


def _check_name(value: object, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        allowed = "_.:-" if what == "role" else "_.-"
        raise AccountError(
            f"a {what} name is 1 to 100 letters, digits or {allowed!r}, got {value!r}", what
        )
    return value


def _user_query() -> sa.Select[Any]:
    role = roles.alias("r")
    role_names = (
        sa.select(pg.array_agg(pg.aggregate_order_by(role.c.name, role.c.name)))
        .select_from(user_roles.join(role, role.c.id == user_roles.c.role_id))
        .where(user_roles.c.user_id == users.c.id)
        .scalar_subquery()
    )
    return sa.select(
        users.c.id,
        users.c.username,
        users.c.password_hash,
        users.c.display_name,
        users.c.email,
        users.c.language,
        users.c.active,
        tenants.c.name.label("tenant"),
        role_names.label("roles"),
    ).select_from(users.outerjoin(tenants, tenants.c.id == users.c.tenant_id))


def _user(row: Any) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        tenant=row["tenant"],
        roles=tuple(row["roles"] or ()),
        display_name=row["display_name"],
        email=row["email"],
        language=row["language"],
        active=row["active"],
    )


class Accounts:
    """Tenants, roles and users in the database of *db*.

    Creating something that exists, or naming a tenant or role that does
    not, raises :class:`~raccoon.service.AccountError` with ``field`` set.
    """

    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self.db = db
        self.hasher = hasher or make_hasher()
        self._dummy_hash: str | None = None

    # -- tenants and roles --------------------------------------------------------------
    async def create_tenant(self, name: str, title: str = "") -> int:
        """Create the tenant *name*; returns its id."""
        _check_name(name, _NAME, "tenant")
        _check_text(title, "title")
        try:
            return int(
                await self.db.fetchval(
                    sa.insert(tenants).values(name=name, title=title).returning(tenants.c.id)
                )
            )
        except asyncpg.UniqueViolationError:
            raise AccountError(f"the tenant {name!r} exists already", "tenant") from None

    async def create_role(self, name: str, description: str = "") -> int:
        """Create the role *name*; returns its id."""
        _check_name(name, _ROLE, "role")
        _check_text(description, "description")
        try:
            return int(
                await self.db.fetchval(
                    sa.insert(roles)
                    .values(name=name, description=description)
                    .returning(roles.c.id)
                )
            )
        except asyncpg.UniqueViolationError:
            raise AccountError(f"the role {name!r} exists already", "role") from None

    async def tenant_names(self) -> list[str]:
        """Every tenant's name, sorted."""
        return [r["name"] for r in await self.db.fetch(sa.select(tenants.c.name).order_by("name"))]

    async def role_names(self) -> list[str]:
        """Every role's name, sorted."""
        return [r["name"] for r in await self.db.fetch(sa.select(roles.c.name).order_by("name"))]

    # -- users --------------------------------------------------------------------------
    async def create_user(
        self,
        username: str,
        password: str,
        *,
        tenant: str | None = None,
        roles: Iterable[str] = (),
        display_name: str = "",
        email: str | None = None,
        language: str | None = None,
    ) -> User:
        """Create a user with a hashed *password*, in *tenant*, with *roles*.

        The tenant and the roles must exist (``create_tenant``, ``create_role``).
        """
        check_username(username)
        _check_password(password)
        _check_text(display_name, "display_name")
        _check_text(email, "email")
        role_list = _role_list(roles)
        if language is not None and not _LANGUAGE.match(language):
            raise AccountError(
                f"a language looks like 'en' or 'it_CH', got {language!r}", "language"
            )
        password_hash = await asyncio.to_thread(self.hasher.hash, password)
        async with self.db.transaction() as tx:
            tenant_id = await self._tenant_id(tx, tenant)
            try:
                user_id = await tx.fetchval(
                    sa.insert(users)
                    .values(
                        username=username,
                        password_hash=password_hash,
                        tenant_id=tenant_id,
                        display_name=display_name,
                        email=email,
                        language=language,
                    )
                    .returning(users.c.id)
                )
            except asyncpg.UniqueViolationError:
                raise AccountError(f"the user {username!r} exists already", "username") from None
            await self._add_roles(tx, user_id, role_list)
        user = await self.user_by_id(user_id)
        assert user is not None
        return user

    async def get_user(self, username: str) -> User | None:
        """The user *username* (any case), or ``None``."""
        row = await self.db.fetchrow(
            _user_query().where(sa.func.lower(users.c.username) == username.lower())
        )
        return None if row is None else _user(row)

    async def user_by_id(self, user_id: int) -> User | None:
        """The user with this id, or ``None``."""
        row = await self.db.fetchrow(_user_query().where(users.c.id == user_id))
        return None if row is None else _user(row)

    async def grant(self, username: str, role_names: Iterable[str]) -> User:
        """Give *username* the roles *role_names* (which must exist)."""
        role_list = _role_list(role_names)
        async with self.db.transaction() as tx:
            user_id = await self._user_id(tx, username)
            await self._add_roles(tx, user_id, role_list)
        return await self._reload(username)

    async def set_password(self, username: str, password: str) -> None:
        """Replace the password of *username*."""
        _check_password(password)
        password_hash = await asyncio.to_thread(self.hasher.hash, password)
        status = await self.db.execute(
            sa.update(users)
            .where(sa.func.lower(users.c.username) == username.lower())
            .values(
                password_hash=password_hash, updated_at=sa.func.now(), version=users.c.version + 1
            )
        )
        if status != "UPDATE 1":
            raise AccountError(f"there is no user {username!r}", "username")

    async def set_active(self, username: str, active: bool) -> None:
        """Enable or disable logins of *username* (a disabled user cannot log in)."""
        status = await self.db.execute(
            sa.update(users)
            .where(sa.func.lower(users.c.username) == username.lower())
            .values(active=active, updated_at=sa.func.now(), version=users.c.version + 1)
        )
        if status != "UPDATE 1":
            raise AccountError(f"there is no user {username!r}", "username")

    async def verify_password(self, username: str, password: str) -> User:
        """The active user whose credentials these are, or :class:`InvalidCredentials`.

        An unknown user costs as much time as a wrong password (a dummy hash
        is verified), so timing does not tell which usernames exist. A hash
        made with weaker parameters than the current ones is upgraded.
        """
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
            raise InvalidCredentials("wrong username or password")
        if text_problem(password) is not None or (
            isinstance(username, str) and text_problem(username) is not None
        ):
            # No such user can exist; the HTTP API refuses these before (400).
            raise InvalidCredentials("wrong username or password")
        row = None
        if isinstance(username, str) and 0 < len(username) <= _MAX_USERNAME:
            row = await self.db.fetchrow(
                _user_query().where(sa.func.lower(users.c.username) == username.lower())
            )
        stored = row["password_hash"] if row is not None else await self._dummy()
        ok = await asyncio.to_thread(_verify, self.hasher, stored, password)
        if row is None or not ok or not row["active"]:
            raise InvalidCredentials("wrong username or password")
        if self.hasher.check_needs_rehash(stored):
            fresh = await asyncio.to_thread(self.hasher.hash, password)
            await self.db.execute(
                sa.update(users).where(users.c.id == row["id"]).values(password_hash=fresh)
            )
        return _user(row)

    # -- helpers ------------------------------------------------------------------------
    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self.hasher.hash, "raccoon-dummy-password")
        return self._dummy_hash

    async def _reload(self, username: str) -> User:
        user = await self.get_user(username)
        if user is None:  # pragma: no cover - deleted concurrently
            raise AccountError(f"there is no user {username!r}", "username")
        return user

    async def _tenant_id(self, tx: Any, tenant: str | None) -> int | None:
        if tenant is None:
            return None
        tenant_id = await tx.fetchval(sa.select(tenants.c.id).where(tenants.c.name == tenant))
        if tenant_id is None:
            raise AccountError(
                f"there is no tenant {tenant!r}: create it first (raccoon tenant add {tenant})",
                "tenant",
            )
        return int(tenant_id)

    async def _user_id(self, tx: Any, username: str) -> int:
        user_id = await tx.fetchval(
            sa.select(users.c.id).where(sa.func.lower(users.c.username) == username.lower())
        )
        if user_id is None:
            raise AccountError(f"there is no user {username!r}", "username")
        return int(user_id)

    async def _add_roles(self, tx: Any, user_id: int, role_list: Sequence[str]) -> None:
        if not role_list:
            return
        found = await tx.fetch(
            sa.select(roles.c.id, roles.c.name).where(roles.c.name.in_(role_list))
        )
        missing = sorted(set(role_list) - {r["name"] for r in found})
        if missing:
            raise AccountError(
                f"there is no role {', '.join(map(repr, missing))}: create it first "
                f"(raccoon role add {missing[0]})",
                "roles",
            )
        for r in found:
            await tx.execute(
                pg.insert(user_roles)
                .values(user_id=user_id, role_id=r["id"])
                .on_conflict_do_nothing()
            )


def _role_list(names: Iterable[str]) -> list[str]:
    if isinstance(names, str):
        raise AccountError(f"roles are a list of names, not the string {names!r}", "roles")
    return sorted({_check_name(name, _ROLE, "role") for name in names})


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
