"""What Python and JavaScript do differently, behind one set of helpers.

Client modules are written once and run twice: transpiled by JavaScripthon
in the browser (and node), and as plain Python under CPython for the
single-source modules (paths, contexts, reactivity, state replicas). Where
the two languages disagree on a built-in — dict methods, list methods,
``None`` versus ``undefined``, string helpers — client code calls the helper
here instead, and the ``raccoon build`` checker points at this module.

Each helper has a JavaScript and a Python implementation; ``IS_JS`` picks
one when the module loads. ``JS('true')`` is the JavaScript literal ``true``
once transpiled; under CPython the ``__globals__`` shim installed by
``raccoon.build.load_client_package`` makes it false.
"""

# Under CPython the shim also provides the Python modules the Python halves
# use (an `import` inside a function would become an invalid JS import).
from __globals__ import JS, Array, Map, Number, Object, Promise, Set, py

IS_JS = JS("true")


# -- None / undefined ------------------------------------------------------------


def _js_is_none(value):
    return value is JS("null") or value is JS("undefined")


def _py_is_none(value):
    return value is None


# -- plain objects (JS) / dicts (Python) -----------------------------------------


def _js_has(obj, key):
    if isinstance(obj, Map):
        return obj.has(key)
    return Object.prototype.hasOwnProperty.call(obj, key)


def _py_has(obj, key):
    return key in obj


def _js_get(obj, key, fallback):
    if isinstance(obj, Map):
        return obj.get(key) if obj.has(key) else fallback
    if Object.prototype.hasOwnProperty.call(obj, key):
        return obj[key]
    return fallback


def _py_get(obj, key, fallback):
    return obj.get(key, fallback)


def _js_keys(obj):
    if isinstance(obj, Map):
        return Array.from_(obj.keys())  # pj: ignore[PJ203]
    return Object.keys(obj)


def _py_keys(obj):
    return list(obj)


def _js_values(obj):
    if isinstance(obj, Map):
        return Array.from_(obj.values())  # pj: ignore[PJ203]
    return Object.values(obj)


def _py_values(obj):
    return list(obj.values())


def _js_items(obj):
    if isinstance(obj, Map):
        return Array.from_(obj.entries())
    return Object.entries(obj)


def _py_items(obj):
    return [[k, obj[k]] for k in obj]


def _js_copy(obj):
    if Array.isArray(obj):
        return obj.slice()
    return Object.assign({}, obj)


def _py_copy(obj):
    if isinstance(obj, (list, tuple)):
        return list(obj)
    return dict(obj)


def _js_update(target, source):
    Object.assign(target, source)
    return target


def _py_update(target, source):
    target.update(source)
    return target


def _js_same(a, b):
    # NaN is the same as NaN, as a value that did not change.
    return a is b or (a is not a and b is not b)


def _py_same(a, b):
    if a is b:
        return True
    scalar = isinstance(a, str) or isinstance(a, int) or isinstance(a, float)
    return type(a) is type(b) and scalar and a == b


def _js_is_object(value):
    return (
        value is not JS("null")
        and typeof(value) == "object"
        and Object.getPrototypeOf(value) is Object.prototype
    )


def _py_is_object(value):
    return isinstance(value, dict)


# -- lists -------------------------------------------------------------------------


def _js_is_scalar(value):
    kind = typeof(value)
    return kind == "string" or kind == "number" or kind == "boolean" or kind == "bigint"


def _py_is_scalar(value):
    return isinstance(value, str) or isinstance(value, int) or isinstance(value, float)


def _js_is_list(value):
    return Array.isArray(value)


def _py_is_list(value):
    return isinstance(value, (list, tuple))


def _js_push(items, value):
    items.push(value)


def _py_push(items, value):
    items.append(value)


def _js_insert(items, index, value):
    items.splice(index, 0, value)


def _py_insert(items, index, value):
    items.insert(index, value)


def _js_index_of(items, value):
    return items.indexOf(value)


def _py_index_of(items, value):
    for i in range(len(items)):
        if items[i] == value:
            return i
    return -1


def _js_remove_at(items, index):
    return items.splice(index, 1)[0]


def _py_remove_at(items, index):
    return items.pop(index)


def _js_concat(first, second):
    return first.concat(second)


def _py_concat(first, second):
    return list(first) + list(second)


def _js_sort_strings(items):
    def compare(a, b):
        if a < b:
            return -1
        if a > b:
            return 1
        return 0

    items.sort(compare)
    return items


def _py_sort_strings(items):
    items.sort()
    return items


# -- strings -----------------------------------------------------------------------


def _js_starts_with(text, prefix):
    return text.startsWith(prefix)


def _py_starts_with(text, prefix):
    return text.startswith(prefix)


def _js_ends_with(text, suffix):
    return text.endsWith(suffix)


def _py_ends_with(text, suffix):
    return text.endswith(suffix)


def _js_join(items, separator):
    return items.join(separator)


def _py_join(items, separator):
    return separator.join(items)


def _js_to_str(value):
    # Not String(value): JavaScripthon calls every capitalized name with `new`.
    return "" + value


def _py_to_str(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _js_is_fragment(text):
    return typeof(text) == "string" and JS("/^[A-Za-z0-9_]+$/").test(text)


def _py_is_fragment(text):
    return isinstance(text, str) and py.re.fullmatch("[A-Za-z0-9_]+", text) is not None


def _js_is_int(value):
    return Number.isInteger(value)


def _py_is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# -- functions and scheduling ------------------------------------------------------


def _js_nparams(func):
    return func.length


def _py_nparams(func):
    return py.nparams(func)


def _js_schedule(callback):
    Promise.resolve().then(lambda: callback())


def _py_schedule(callback):
    loop = py.running_loop()
    if loop is not None:
        loop.call_soon(callback)
        return True
    return False


def _js_is_awaitable(value):
    return not _js_is_none(value) and typeof(value.then) == "function"


def _py_is_awaitable(value):
    return py.inspect.isawaitable(value)


def _js_new_set():
    return Set()


def _py_new_set():
    return set()


if IS_JS:
    is_none = _js_is_none
    has = _js_has
    get = _js_get
    keys = _js_keys
    values = _js_values
    items = _js_items
    copy = _js_copy
    update = _js_update
    is_object = _js_is_object
    is_list = _js_is_list
    is_scalar = _js_is_scalar
    push = _js_push
    insert = _js_insert
    index_of = _js_index_of
    remove_at = _js_remove_at
    sort_strings = _js_sort_strings
    concat = _js_concat
    same = _js_same
    starts_with = _js_starts_with
    ends_with = _js_ends_with
    join = _js_join
    to_str = _js_to_str
    is_fragment = _js_is_fragment
    is_int = _js_is_int
    nparams = _js_nparams
    schedule = _js_schedule
    is_awaitable = _js_is_awaitable
    new_set = _js_new_set
else:
    is_none = _py_is_none
    has = _py_has
    get = _py_get
    keys = _py_keys
    values = _py_values
    items = _py_items
    copy = _py_copy
    update = _py_update
    is_object = _py_is_object
    is_list = _py_is_list
    is_scalar = _py_is_scalar
    push = _py_push
    insert = _py_insert
    index_of = _py_index_of
    remove_at = _py_remove_at
    sort_strings = _py_sort_strings
    concat = _py_concat
    same = _py_same
    starts_with = _py_starts_with
    ends_with = _py_ends_with
    join = _py_join
    to_str = _py_to_str
    is_fragment = _py_is_fragment
    is_int = _py_is_int
    nparams = _py_nparams
    schedule = _py_schedule
    is_awaitable = _py_is_awaitable
    new_set = _py_new_set


def iterable(value):
    """Mark ``value`` for a ``for ... of`` loop once transpiled
    (``for x in iterable(gen)``); under CPython it is the value itself."""
    return value


__all__ = [
    "IS_JS",
    "concat",
    "copy",
    "ends_with",
    "get",
    "has",
    "index_of",
    "insert",
    "is_awaitable",
    "is_fragment",
    "is_int",
    "is_list",
    "is_none",
    "is_object",
    "is_scalar",
    "items",
    "iterable",
    "join",
    "keys",
    "new_set",
    "nparams",
    "push",
    "remove_at",
    "same",
    "schedule",
    "sort_strings",
    "starts_with",
    "to_str",
    "update",
    "values",
]
