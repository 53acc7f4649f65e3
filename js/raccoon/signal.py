"""Class-level signals, their handlers, and RPC endpoint marks (JavaScript only).

The concepts of the server's ``raccoon.node`` signals::

    @register_signals
    class Orders(WAMPNode):
        on_saved = Signal()                 # topic: node_path + 'on_saved'

        @handler('on_saved')                # a signal of the same node
        def log_it(self, order_id): ...

        @handler('@customers.on_changed')   # a remote signal, subscribed on bind
        def refresh(self, *args): ...

        @call                               # RPC endpoint at node_path + 'total'
        async def total(self, customer): ...

    await orders.on_saved.notify(42)        # local handlers, then the realm

JavaScript has no descriptors in class bodies: the class metadata (signals,
handlers, endpoints) is collected once per class — by ``@register_signals``
or, lazily, when the first instance is made — and each signal attribute
becomes a getter returning the instance's own :class:`BoundSignal`.

Handlers are called with the event's positional arguments (JavaScript
ignores extra ones, and ``*args`` takes them all); when the event carries
keyword arguments they follow as one object, which is JavaScripthon's
convention for keyword-only parameters (``def h(self, a, *, total=0)``).
"""

from __globals__ import JS, Error, Map, Object, Promise, console

from .compat import index_of
from .errors import NodeError, PathError

HANDLES = "__raccoon_handles__"
ENDPOINT = "__raccoon_call__"
_BOUND = "__raccoon_bound_signals__"

_META = Map()


class Signal:
    """An event a class can emit, declared in the class body.

    ``name`` is the topic fragment below the node's path (the attribute name
    by default); ``Signal('.')`` publishes at the node's own path.
    ``concurrent=True`` runs local handlers concurrently; ``local=True``
    keeps the signal in this JavaScript realm (never published).
    """

    def __init__(self, name=None, *, concurrent=False, local=False):
        if isinstance(name, dict):
            # Signal(local=True) in JavaScript: the keywords object took the
            # place of the omitted `name` (JavaScripthon's calling convention).
            options = name
            name = options.get("name", None)
            concurrent = options.get("concurrent", False)
            local = options.get("local", False)
        self.name = name
        self.attr = None
        self.concurrent = concurrent
        self.local = local


class BoundSignal:
    """A signal of one instance: connect subscribers, notify them."""

    def __init__(self, signal, owner):
        self.signal = signal
        self.owner = owner
        self._subscribers = []

    @property
    def name(self):
        """The topic fragment of the signal."""
        return self.signal.name

    def connect(self, callback):
        """Add a subscriber (called like a handler); returns it."""
        if callback not in self._subscribers:
            self._subscribers.append(callback)
        return callback

    def disconnect(self, callback):
        """Remove a subscriber; not an error if it was not connected."""
        index = index_of(self._subscribers, callback)
        if index >= 0:
            self._subscribers.pop(index)

    async def notify(self, *args):
        """Run the local handlers, then publish (on a bound WAMP node)."""
        await self.notify_with(args, {})

    async def notify_with(self, args, kwargs):
        """:meth:`notify` with explicit positional and keyword arguments."""
        owner = self.owner
        meta = class_meta(owner.constructor)
        calls = []
        attr = self.signal.attr
        names = meta.local_handlers[attr] if attr in meta.local_handlers else []
        for method_name in names:
            calls.append(owner[method_name].bind(owner))
        for callback in self._subscribers[0:]:
            calls.append(callback)
        errors = await run_handlers(calls, args, kwargs, self.signal.concurrent)
        if not self.signal.local and typeof(owner._publish_signal) == "function":
            await owner._publish_signal(self, args, kwargs)
        if len(errors) == 1:
            raise errors[0]
        if len(errors) > 1:
            raise NodeError(f"{len(errors)} handlers of '{self.name}' failed: {errors[0].message}")


def call_handler(func, args, kwargs):
    """Call a handler with the event's arguments (see the module docstring)."""
    if kwargs is None or len(kwargs) == 0:
        return func(*args)
    return func(*args, kwargs)


async def run_handlers(calls, args, kwargs, concurrent):
    """Run every handler (one after the other, or concurrently); return the
    errors instead of raising the first."""
    errors = []
    pending = []
    for func in calls:
        try:
            result = call_handler(func, args, kwargs)
            if result is not None and typeof(result.then) == "function":
                if concurrent:
                    pending.append(result)
                else:
                    await result
        except Error as error:
            errors.append(error)
    if len(pending) > 0:
        outcomes = await Promise.allSettled(pending)
        for outcome in outcomes:
            if outcome.status == "rejected":
                errors.append(outcome.reason)
    return errors


def handler(target):
    """Mark a method as a handler of a signal: ``'on_foo'`` (a signal of the
    same class), ``'@first.second.on_foo'`` (one remote signal),
    ``'@first.second'`` (every signal of that node), ``'#name.on_x'``."""
    if not isinstance(target, str) or target == "":
        raise TypeError("@handler needs the signal name or path as a non-empty string")

    def mark(func, cls=None, name=None):
        targets = func[HANDLES] if HANDLES in func else []
        targets.append(target)
        func[HANDLES] = targets
        return func

    return mark


def call(arg=None, cls=None, name=None):
    """Mark a method as an RPC endpoint: ``@call`` (at node_path + method
    name), ``@call('.')`` (the node's own path), ``@call('other')``."""
    if typeof(arg) == "function":
        arg[ENDPOINT] = "*"
        return arg
    endpoint = arg

    def mark(func, cls=None, name=None):
        func[ENDPOINT] = "*" if endpoint is None else endpoint
        return func

    return mark


def is_local_target(target):
    """A handler target naming a signal of the same object (not a path)."""
    return not target.startswith("@") and not target.startswith("#") and target.indexOf(".") < 0


class ClassMeta:
    """What a node class declares: signals, handlers, endpoints."""

    def __init__(self):
        self.signals = {}
        self.local_handlers = {}
        self.remote_handlers = []
        self.endpoints = []


def _signal_getter(signal, attr):
    def getter():
        # A JavaScript `function`: `self` is the instance the getter runs on.
        return bound_signal(self, attr, signal)

    getter.signal = signal
    return getter


def bound_signal(owner, attr, signal):
    """The :class:`BoundSignal` of ``owner`` for the signal at ``attr``."""
    if not Object.prototype.hasOwnProperty.call(owner, _BOUND):
        Object.defineProperty(owner, _BOUND, {"value": {}, "enumerable": False})
    table = owner[_BOUND]
    if attr not in table:
        table[attr] = BoundSignal(signal, owner)
    return table[attr]


def class_meta(cls):
    """The (cached) :class:`ClassMeta` of a class; installs the signal getters."""
    if _META.has(cls):
        return _META.get(cls)
    meta = ClassMeta()
    seen = {}
    protos = []
    proto = cls.prototype
    while proto is not None and proto is not Object.prototype:
        protos.append(proto)
        proto = Object.getPrototypeOf(proto)
    for proto in protos:
        for attr in Object.getOwnPropertyNames(proto):
            if attr in seen or attr == "constructor":
                continue
            seen[attr] = True
            desc = Object.getOwnPropertyDescriptor(proto, attr)
            value = desc.value
            signal = None
            if isinstance(value, Signal):
                signal = value
            elif typeof(desc.get) == "function" and isinstance(desc.get.signal, Signal):
                signal = desc.get.signal
            if signal is not None:
                if signal.attr is None:
                    signal.attr = attr
                if signal.name is None:
                    signal.name = attr
                meta.signals[attr] = signal
                continue
            if typeof(value) != "function":
                continue
            if HANDLES in value:
                for target in value[HANDLES]:
                    if is_local_target(target):
                        if target not in meta.local_handlers:
                            meta.local_handlers[target] = []
                        meta.local_handlers[target].append(attr)
                    else:
                        meta.remote_handlers.append([target, attr])
            if ENDPOINT in value:
                meta.endpoints.append([attr, attr if value[ENDPOINT] == "*" else value[ENDPOINT]])
    for target in meta.local_handlers:
        if target not in meta.signals:
            raise NodeError(
                f"{cls.name}.{meta.local_handlers[target][0]} handles '{target}', but "
                f"{cls.name} has no signal of that name"
            )
    for attr in meta.signals:
        signal = meta.signals[attr]
        if signal.name != "." and not _is_fragment_name(signal.name):
            raise PathError(f"signal name '{signal.name}' must be '.' or a single path fragment")
        Object.defineProperty(
            cls.prototype,
            attr,
            {"get": _signal_getter(signal, attr), "configurable": True, "enumerable": False},
        )
    _META.set(cls, meta)
    return meta


def _is_fragment_name(name):
    return JS("/^[A-Za-z0-9_]+$/").test(name)


def register_signals(cls):
    """Class decorator: collect the class's signals, handlers and endpoints
    now (instead of at the first instance) and fail early on mistakes."""
    class_meta(cls)
    return cls


def log_error(message, error):
    """Report an error nobody awaits (a handler of a remote event)."""
    console.error("raccoon: " + message, error)


__all__ = [
    "BoundSignal",
    "ClassMeta",
    "Signal",
    "bound_signal",
    "call",
    "call_handler",
    "class_meta",
    "handler",
    "log_error",
    "register_signals",
    "run_handlers",
]
