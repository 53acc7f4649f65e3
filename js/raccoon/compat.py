"""What the build does not lower, behind one set of helpers.

Client modules are written once and run twice: transpiled by JavaScripthon
in the browser (and node), and as plain Python under CPython for the
single-source modules (paths, contexts, reactivity, state replicas). The
build lowers ordinary Python — ``x is None``, ``xs.append(v)``, ``k in d``,
``d.get(k, default)``, ``len(x)``, ``str(x)``, f-strings, dict iteration —
to the JavaScript runtime ``raccoon/pyrt.js`` (see ``raccoon/build/_lower.py``
and docs/client-python.md). What it does not lower is here: list helpers with
a JavaScript meaning (``index_of`` is -1 when missing, ``concat``), value
tests (``same``, ``is_int``, ``is_fragment``), functions and scheduling; the
``raccoon build`` checker points at them.

Each helper has a JavaScript and a Python implementation; ``IS_JS`` picks
one when the module loads. ``JS('true')`` is the JavaScript literal ``true``
once transpiled; under CPython the ``__globals__`` shim installed by
``raccoon.build.load_client_package`` makes it false.
"""

# Under CPython the shim also provides the Python modules the Python halves
# use (an `import` inside a function would become an invalid JS import).
from __globals__ import JS, Number, Promise, py

IS_JS = JS("true")


# -- values ----------------------------------------------------------------------


def _js_same(a, b):
    # NaN is the same as NaN, as a value that did not change.
    return a is b or (a is not a and b is not b)


def _py_same(a, b):
    if a is b:
        return True
    scalar = isinstance(a, str) or isinstance(a, int) or isinstance(a, float)
    return type(a) is type(b) and scalar and a == b


# -- lists -------------------------------------------------------------------------


def _js_index_of(items, value):
    return items.indexOf(value)


def _py_index_of(items, value):
    for i in range(len(items)):
        if items[i] == value:
            return i
    return -1


def _js_concat(first, second):
    return first.concat(second)


def _py_concat(first, second):
    return list(first) + list(second)


# -- strings -----------------------------------------------------------------------


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


if IS_JS:
    index_of = _js_index_of
    concat = _js_concat
    same = _js_same
    is_fragment = _js_is_fragment
    is_int = _js_is_int
    nparams = _js_nparams
    schedule = _js_schedule
else:
    index_of = _py_index_of
    concat = _py_concat
    same = _py_same
    is_fragment = _py_is_fragment
    is_int = _py_is_int
    nparams = _py_nparams
    schedule = _py_schedule


def iterable(value):
    """Mark ``value`` for a ``for ... of`` loop once transpiled
    (``for x in iterable(gen)``); under CPython it is the value itself."""
    return value


__all__ = [
    "IS_JS",
    "concat",
    "index_of",
    "is_fragment",
    "is_int",
    "iterable",
    "nparams",
    "same",
    "schedule",
]
