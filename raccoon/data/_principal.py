"""Who a data operation runs as: :class:`Principal`.

Every read and write of a :class:`~raccoon.data.Source` names a principal.
Its tenant scopes what it sees; its user, groups and roles decide what it
may do (:class:`~raccoon.data.Permissions`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

__all__ = ["Principal"]


def _names(value: Iterable[str], what: str) -> frozenset[str]:
    # A bare string would silently become a set of its characters.
    if isinstance(value, str | bytes):
        raise TypeError(f"{what} must be a collection of names, not the string {value!r}")
    names = frozenset(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"{what} must hold non-empty strings, got {name!r}")
    return names


@dataclass(frozen=True)
class Principal:
    """The identity a data operation runs as (immutable, hashable).

    ``user``
        The user name, recorded by the change log as the author of writes.
    ``tenant``
        The tenant the principal acts in, or ``None``. Tenant-scoped sources
        show such a principal only its tenant's rows and stamp that tenant on
        the rows it creates; a principal without a tenant cannot use them
        (except through :meth:`Source.unscoped() <raccoon.data.Source.unscoped>`).
    ``roles``
        Role names. A role written ``"<tenant>:<role>"`` (``"acme:manager"``)
        is a *tenant role*: it counts only while the principal acts in that
        tenant, and is granted with ``"tenant_role:manager"``.
    ``groups``
        Group names.

    ``Principal('ann', 'acme', roles={'clerk', 'acme:manager'}, groups={'sales'})``

    :meth:`system` makes the one principal that bypasses permissions, for
    jobs and maintenance; grep for ``Principal.system(`` to find them all.
    """

    user: str
    tenant: str | None
    roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    #: True only for :meth:`system` principals: every permission is granted.
    is_system: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        if not isinstance(self.user, str) or not self.user:
            raise ValueError(f"a principal needs a non-empty user name, got {self.user!r}")
        if self.tenant is not None and (not isinstance(self.tenant, str) or not self.tenant):
            raise ValueError(
                f"a principal's tenant is a non-empty string or None, got {self.tenant!r}"
            )
        # Accept any iterable (lists from a session store) but keep the
        # instance immutable and hashable.
        object.__setattr__(self, "roles", _names(self.roles, "roles"))
        object.__setattr__(self, "groups", _names(self.groups, "groups"))

    @classmethod
    def system(cls, user: str = "system", tenant: str | None = None) -> Principal:
        """The principal that every permission allows (jobs, migrations, admin tools).

        It is still tenant-scoped like any other: with ``tenant=None`` it can
        only use tenant-scoped sources through ``source.unscoped()``.
        """
        return cls(user, tenant, is_system=True)

    @cached_property
    def principals(self) -> frozenset[str]:
        """The permission names this principal holds.

        ``everyone``, ``user:<user>``, ``group:<g>`` per group, ``role:<r>``
        per role, ``tenant:<tenant>``, and ``tenant_role:<r>`` per role
        ``"<tenant>:<r>"`` of the current tenant.
        """
        names = {"everyone", f"user:{self.user}"}
        names.update(f"group:{group}" for group in self.groups)
        names.update(f"role:{role}" for role in self.roles)
        if self.tenant is not None:
            names.add(f"tenant:{self.tenant}")
            prefix = f"{self.tenant}:"
            names.update(
                f"tenant_role:{role[len(prefix) :]}"
                for role in self.roles
                if role.startswith(prefix) and len(role) > len(prefix)
            )
        return frozenset(names)

    def __repr__(self) -> str:
        extra = ", is_system=True" if self.is_system else ""
        return (
            f"Principal(user={self.user!r}, tenant={self.tenant!r}, "
            f"roles={sorted(self.roles)!r}, groups={sorted(self.groups)!r}{extra})"
        )
