"""Foreign keys a principal may set: only to rows it can see.

PostgreSQL's foreign-key check sees every row of the referenced table, of
every tenant. Left alone, a write whose reference holds another tenant's id
succeeds where a missing id fails: the writer learns which ids exist, and
the other tenant can no longer delete its own row. So before a write, each
foreign key it sets is looked up *as the principal*, in the write's
transaction: ``SELECT … FOR KEY SHARE`` (the lock PostgreSQL's own check
takes: the row cannot be deleted or re-keyed until the write commits) with

- the source's ``references[field]`` view scope when declared (tenant,
  ``view`` grant, ``view`` row rule), else
- the record's tenant, when the referenced table has the tenant column.

A row the principal cannot see is reported exactly as a missing one.
Foreign keys come from the table's metadata (``sa.ForeignKey``); one whose
referenced table is not in the same ``MetaData`` cannot be checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import NoReferencedTableError
from sqlalchemy.sql.expression import ColumnElement

from raccoon.data._errors import FieldError, PermissionDenied, ValidationError
from raccoon.data._principal import Principal
from raccoon.data._validation import REFERENCE_ERROR

if TYPE_CHECKING:
    from raccoon.data._database import Executor
    from raccoon.data._source import Source

__all__ = ["Reference", "check_references", "reference_visible", "references_of"]


@dataclass(frozen=True)
class Reference:
    """One foreign key of a source's table: local column keys -> target columns."""

    columns: tuple[str, ...]
    target: sa.Table
    target_columns: tuple[str, ...]
    name: str | None = None

    @property
    def field(self) -> str:
        """The column an error is reported on: the one that is not the tenant."""
        return self.columns[-1]


def references_of(source: Source) -> tuple[Reference, ...]:
    """The foreign keys of ``source``'s table (cached on the source)."""
    cached: tuple[Reference, ...] | None = source.__dict__.get("_references")
    if cached is not None:
        return cached
    found: list[Reference] = []
    table = source.table
    constraints = table.foreign_key_constraints if table is not None else set()
    for constraint in sorted(constraints, key=lambda c: [col.key for col in c.columns]):
        assert table is not None
        try:
            targets = [element.column for element in constraint.elements]
        except NoReferencedTableError:
            continue  # declared against a table this metadata does not hold
        target = targets[0].table
        if not isinstance(target, sa.Table):
            continue
        found.append(
            Reference(
                tuple(column.key for column in constraint.columns),
                target,
                tuple(column.key for column in targets),
                _constraint_name(constraint, table),
            )
        )
    # A tenant column in a composite key goes first: the field is the other.
    tenant = source.tenant_column
    result = tuple(
        Reference(
            tuple(sorted(ref.columns, key=lambda c: c != tenant)),
            ref.target,
            ref.target_columns,
            ref.name,
        )
        if tenant in ref.columns and len(ref.columns) > 1
        else ref
        for ref in found
    )
    source.__dict__["_references"] = result
    return result


def _constraint_name(constraint: sa.ForeignKeyConstraint, table: sa.Table) -> str:
    if isinstance(constraint.name, str):
        return constraint.name
    # PostgreSQL's own name for an unnamed foreign key.
    return "_".join([table.name, *(column.name for column in constraint.columns)]) + "_fkey"


def _scope(
    source: Source, reference: Reference, principal: Principal, tenant: Any
) -> list[ColumnElement[bool]] | None:
    """The conditions a referenced row must meet to be visible; ``None``: none can be."""
    target = reference.target
    declared = next(
        (source.references[c] for c in reference.columns if c in source.references), None
    )
    if declared is not None and declared.table is target:
        try:
            return declared.scope(principal, "view", columns=target)
        except PermissionDenied:
            return None
    column = source.tenant_column or "tenant"
    if column in target.c and tenant is not None:
        return [target.c[column] == tenant]
    return []


async def reference_visible(
    executor: Executor,
    source: Source,
    principal: Principal,
    reference: Reference,
    values: Mapping[str, Any],
    tenant: Any,
    *,
    lock: bool = True,
) -> bool:
    """Whether the row ``values`` (typed, the reference's columns) refers to
    exists and may be seen by ``principal``; with ``lock``, locks it ``FOR
    KEY SHARE`` until the transaction ends."""
    conditions = _scope(source, reference, principal, tenant)
    if conditions is None:
        return False
    target = reference.target
    pairs = zip(reference.columns, reference.target_columns, strict=True)
    statement = (
        sa.select(sa.literal(1))
        .select_from(target)
        .where(*(target.c[there] == values[here] for here, there in pairs), *conditions)
    )
    if lock:
        statement = statement.with_for_update(read=True, key_share=True)
    return await executor.fetchval(statement) is not None


async def check_references(
    executor: Executor,
    source: Source,
    principal: Principal,
    values: Mapping[str, Any],
    tenant: Any,
) -> None:
    """Raise :class:`~raccoon.data.ValidationError` for each foreign key set
    in ``values`` (typed) that reaches no row ``principal`` may see.

    ``tenant`` is the written record's tenant (the principal's, for a scoped
    source). A reference not set by this write, or set to NULL, is not
    looked at: PostgreSQL ignores it too.
    """
    errors: list[FieldError] = []
    for reference in references_of(source):
        local = {
            c: values.get(c, tenant if c == source.tenant_column else None)
            for c in reference.columns
        }
        if not any(c in values for c in reference.columns if c != source.tenant_column):
            continue
        if any(value is None for value in local.values()):
            continue
        if not await reference_visible(executor, source, principal, reference, local, tenant):
            # What the database's refusal would have said: the same words
            # for a hidden row as for a missing one.
            declared = source.constraint_errors.get(reference.name or "")
            if declared is not None:
                errors.append(declared)
            else:
                field = reference.field if reference.field in source.fields else None
                errors.append(FieldError(field, REFERENCE_ERROR, "reference"))
    if errors:
        raise ValidationError(errors, source=source.name)
