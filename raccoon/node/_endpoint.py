"""RPC endpoints: the ``@call`` mark and the checked invocation of a method."""

from __future__ import annotations

import inspect
import logging
import types
import typing
import uuid
import weakref
from collections.abc import Callable
from typing import Any, TypeVar, overload

from ._adapt import DETAILS
from ._errors import InvalidArguments, PathError, RemoteInternalError, RPCError
from ._limits import bounded_message

__all__ = ["INVOKE_POLICIES", "Endpoint", "call", "endpoint_name"]

log = logging.getLogger("raccoon.node")

F = TypeVar("F", bound=Callable[..., Any])

_CALL_ATTR = "__raccoon_call__"
_INVOKE_ATTR = "__raccoon_invoke__"

#: How the router picks the callee of a procedure: ``single`` (one callee,
#: the default) or, for a shared registration, one of the others.
INVOKE_POLICIES = ("single", "roundrobin", "random", "first", "last")


@overload
def call(func: F, /) -> F: ...
@overload
def call(name: str | None = None, /, *, invoke: str = "single") -> Callable[[F], F]: ...
def call(arg: Any = None, /, *, invoke: str = "single") -> Any:
    """Mark a method as an RPC endpoint, registered when the node is bound.

    ``@call`` registers the method at ``node_path + method name``;
    ``@call('.')`` at the node's own path; ``@call('other')`` under another
    name. Arguments are checked against the method's signature (and simple
    annotations such as ``int``, ``str``, ``list``…) before it runs; a
    ``details`` parameter receives the WAMP call details::

        class Calculator(WAMPNode):
            @call
            async def add(self, a: int, b: int) -> int:
                return a + b

    ``@call(invoke='roundrobin')`` (or ``'random'``, ``'first'``, ``'last'``)
    makes a *shared* registration: several WAMP sessions — say, several
    service processes — may serve the same URI, all with the same policy,
    and the router picks one for each call.
    """
    if callable(arg):
        setattr(arg, _CALL_ATTR, None)
        return arg
    if arg is not None and (not isinstance(arg, str) or not _valid_name(arg)):
        raise PathError(f"@call name {arg!r} must be '.' or a dotted path fragment")
    if invoke not in INVOKE_POLICIES:
        raise ValueError(f"@call invoke={invoke!r} is not one of {', '.join(INVOKE_POLICIES)}")

    def mark(func: F) -> F:
        if not callable(func):
            raise TypeError("@call decorates a method")
        setattr(func, _CALL_ATTR, arg)
        if invoke != "single":
            setattr(func, _INVOKE_ATTR, invoke)
        return func

    return mark


def endpoint_name(func: Any) -> tuple[bool, str | None]:
    """``(is an endpoint, explicit name or None)`` for a class attribute."""
    if not hasattr(func, _CALL_ATTR):
        return False, None
    return True, getattr(func, _CALL_ATTR)


def _valid_name(name: str) -> bool:
    return name == "." or all(
        part and part.isascii() and all(c.isalnum() or c == "_" for c in part)
        for part in name.split(".")
    )


class _Shape:
    """What :class:`Endpoint` needs to know about a signature, computed once
    per function: every instance of a node class shares its methods' shapes
    (a session tree binds dozens of endpoints; a signature each is memory)."""

    __slots__ = ("checks", "invoke", "names", "required", "sig", "simple", "wants_details")

    def __init__(self, func: Callable[..., Any]) -> None:
        self.invoke: str = getattr(func, _INVOKE_ATTR, "single")
        self.sig = inspect.signature(func)
        params = list(self.sig.parameters.values())
        self.wants_details = DETAILS in self.sig.parameters
        # The common signature — positional-or-keyword parameters only — is
        # checked without building a BoundArguments on every call.
        self.simple = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params)
        self.names = tuple(p.name for p in params)
        self.required = frozenset(p.name for p in params if p.default is p.empty)
        self.checks: dict[str, tuple[type, ...]] | None = None


_SHAPES: weakref.WeakKeyDictionary[Any, _Shape] = weakref.WeakKeyDictionary()


def _shape_of(func: Callable[..., Any]) -> _Shape:
    """The shape of *func*; shared by every bound method of one function."""
    function = getattr(func, "__func__", None)
    if not inspect.ismethod(func) or function is None:
        return _Shape(func)
    shape = _SHAPES.get(function)
    if shape is None:
        shape = _SHAPES[function] = _Shape(func)
    return shape


class Endpoint:
    """A bound method exposed at ``uri``, called with checked arguments."""

    __slots__ = ("_invoke", "_shape", "func", "owner", "uri")

    def __init__(
        self, uri: str, func: Callable[..., Any], owner: str, invoke: str | None = None
    ) -> None:
        self.uri = uri
        self.func = func
        self.owner = owner
        self._shape = _shape_of(func)
        if invoke is not None and invoke not in INVOKE_POLICIES:
            raise ValueError(f"invoke={invoke!r} is not one of {', '.join(INVOKE_POLICIES)}")
        # The method's own @call(invoke=...) wins over a default given here.
        self._invoke = self._shape.invoke if self._shape.invoke != "single" else invoke

    @property
    def wants_details(self) -> bool:
        """Whether the method takes the WAMP call ``details``."""
        return self._shape.wants_details

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The method's parameter names, in order (to name arguments in errors)."""
        return self._shape.names

    @property
    def invoke_policy(self) -> str:
        """``single``, or the policy of a shared registration (``@call(invoke=...)``)."""
        return self._invoke or "single"

    def _arguments(self, args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        shape = self._shape
        names = shape.names
        if shape.simple and len(args) <= len(names):
            arguments = dict(zip(names, args, strict=False))
            for key, value in kwargs.items():
                if key in arguments or key not in names:
                    break
                arguments[key] = value
            else:
                if shape.required.issubset(arguments):
                    return arguments
        try:  # slow path: let inspect word the problem
            return shape.sig.bind(*args, **kwargs).arguments
        except TypeError as exc:
            # inspect quotes an unexpected keyword's name, which the caller chose.
            raise InvalidArguments(bounded_message(f"{self.uri}: {exc}")) from None

    async def invoke(self, args: Any, kwargs: dict[str, Any], details: Any) -> Any:
        """Run the endpoint; every failure comes out as an :class:`RPCError`."""
        if self._shape.wants_details:
            kwargs = {**kwargs, DETAILS: details}
        self._check_types(self._arguments(args, kwargs))
        try:
            result = self.func(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except RPCError:
            raise
        except Exception as exc:
            incident = uuid.uuid4().hex[:12]
            log.exception("endpoint %s (%s) failed, incident %s", self.uri, self.owner, incident)
            raise RemoteInternalError(
                f"{self.uri} failed unexpectedly (incident {incident}); "
                "the details are in the server log",
                incident=incident,
            ) from exc
        return result

    def _check_types(self, arguments: dict[str, Any]) -> None:
        shape = self._shape
        if shape.checks is None:
            shape.checks = _simple_checks(self.func)
        for name, expected in shape.checks.items():
            if name in arguments:
                value = arguments[name]
                if not isinstance(value, expected) or (
                    isinstance(value, bool) and bool not in expected
                ):
                    raise InvalidArguments(
                        f"{self.uri}: argument {name!r} must be "
                        f"{' or '.join(_type_name(t) for t in expected)}, "
                        f"got {_type_name(type(value))}",
                        argument=name,
                    )


_CHECKABLE = {int, float, str, bool, list, dict, tuple, bytes}


def _simple_checks(func: Callable[..., Any]) -> dict[str, tuple[type, ...]]:
    """Argument checks for the annotations that are plain JSON-ish types.

    Anything richer (generics' contents, classes, protocols) is left to the
    endpoint: this is a cheap guard at the door, not a validation library.
    """
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # unresolvable forward references: check nothing
        return {}
    checks: dict[str, tuple[type, ...]] = {}
    for name, hint in hints.items():
        if name in ("return", DETAILS):
            continue
        allowed = _allowed_types(hint)
        if allowed:
            checks[name] = allowed
    return checks


def _allowed_types(hint: Any) -> tuple[type, ...] | None:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        allowed: list[type] = []
        for arg in typing.get_args(hint):
            sub = _allowed_types(arg)
            if sub is None:
                return None
            allowed.extend(sub)
        return tuple(allowed)
    if hint is type(None):
        return (type(None),)
    base = origin if origin is not None else hint
    if base in _CHECKABLE:
        if base is float:
            return (float, int)
        if base in (list, tuple):
            return (list, tuple)  # WAMP has no tuples: they travel as lists
        return (base,)
    return None


def _type_name(t: type) -> str:
    return "None" if t is type(None) else t.__name__
