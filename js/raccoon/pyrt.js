// The Python runtime of lowered client code: what `raccoon build` rewrites
// ordinary Python into when JavaScript has no construct with the same meaning
// (raccoon/build/_lower.py; docs/client-python.md, "What the build lowers").
// Written once, in JavaScript: under CPython the client code runs unlowered.
//
// Each helper dispatches on the JavaScript type of its receiver: arrays are
// lists, plain objects ({} literals, JSON) and Maps are dicts, Sets are sets;
// anything else (a class instance) gets its own method called.

function isPlain(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function hasOwn(obj, key) {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function pyError(name, message) {
  const error = name === 'TypeError' ? new TypeError(message) : new Error(message);
  error.name = name;
  return error;
}

function typeName(value) {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (isPlain(value) || value instanceof Map) return 'dict';
  return typeof value;
}

// `x is None`: undefined (a missing property, a missing argument) is None too.
export function is_none(value) {
  return value === null || value === undefined;
}

// `xs.append(v)`
export function append(items, value) {
  if (Array.isArray(items)) {
    items.push(value);
  } else {
    items.append(value);
  }
}

// `xs.insert(i, v)`
export function insert(items, index, value) {
  if (Array.isArray(items)) {
    items.splice(index < 0 ? Math.max(items.length + index, 0) : index, 0, value);
  } else {
    items.insert(index, value);
  }
}

// `x in container`: list/str items, dict (own) keys, Map/Set members.
export function contains(container, item) {
  if (Array.isArray(container) || typeof container === 'string') {
    return container.includes(item);
  }
  if (container instanceof Map || container instanceof Set ||
      container instanceof WeakMap || container instanceof WeakSet) {
    return container.has(item);
  }
  if (is_none(container)) {
    throw pyError('TypeError', "argument of type 'NoneType' is not iterable");
  }
  if (!isPlain(container) && typeof container.__contains__ === 'function') {
    return container.__contains__(item);
  }
  return hasOwn(container, item);
}

// `d.get(k)`, `d.get(k, default)`: a plain object's own key, a Map's entry;
// another object's own `get` method is called with the same arguments.
export function get(obj, key, ...rest) {
  const fallback = rest.length > 0 ? rest[0] : null;
  if (obj instanceof Map) return obj.has(key) ? obj.get(key) : fallback;
  if (!isPlain(obj) && !is_none(obj) && typeof obj.get === 'function') {
    return obj.get(key, ...rest);
  }
  return hasOwn(obj, key) ? obj[key] : fallback;
}

// `len(x)`
export function len(value) {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  if (is_none(value)) throw pyError('TypeError', "object of type 'NoneType' has no len()");
  if (typeof value.__len__ === 'function') return value.__len__();
  if (!isPlain(value) && typeof value.length === 'number') return value.length;
  return Object.keys(value).length;
}

// What `for x in value` walks: a list's items, a dict's keys, a string's
// characters, a Set's members, any other JS iterable (a generator) as is.
export function iter(value) {
  if (Array.isArray(value) || typeof value === 'string' || value instanceof Set) return value;
  if (value instanceof Map) return Array.from(value.keys());
  if (is_none(value)) throw pyError('TypeError', "'NoneType' object is not iterable");
  if (!isPlain(value) && typeof value[Symbol.iterator] === 'function') return value;
  return Object.keys(value);
}

// What a list comprehension indexes: iter(value) as an array.
export function seq(value) {
  const items = iter(value);
  return Array.isArray(items) || typeof items === 'string' ? items : Array.from(items);
}

// `list(x)`: a new array of what `for v in x` walks.
export function list(value) {
  if (value === undefined) return [];
  return Array.from(iter(value));
}

// `dict(x)`: a new plain object from a dict, a Map or a list of pairs.
export function dict(value) {
  if (value === undefined) return {};
  if (Array.isArray(value) || value instanceof Map) return Object.fromEntries(value);
  if (is_none(value)) throw pyError('TypeError', "'NoneType' object is not iterable");
  return Object.assign({}, value);
}

// `d.update(other)`: a plain object or a Map takes the other's entries.
export function update(target, source) {
  if (!isPlain(target) && !(target instanceof Map)) return target.update(source);
  const entries = source instanceof Map || Array.isArray(source) ? Array.from(source) : Object.entries(source);
  for (const [k, v] of entries) {
    if (target instanceof Map) target.set(k, v);
    else target[k] = v;
  }
  return null;
}

// `x.copy()`: a shallow copy of a list, a dict, a Map or a Set.
export function copy(value) {
  if (Array.isArray(value)) return value.slice();
  if (value instanceof Map) return new Map(value);
  if (value instanceof Set) return new Set(value);
  if (isPlain(value)) return Object.assign({}, value);
  return value.copy();
}

function view(obj, method, plain, fromMap) {
  if (obj instanceof Map) return Array.from(fromMap(obj));
  if (!isPlain(obj) && !is_none(obj) && typeof obj[method] === 'function') {
    return obj[method]();
  }
  return plain(obj);
}

// `d.items()` (a list of [key, value] pairs), `d.keys()`, `d.values()`
export function items(obj) {
  return view(obj, 'items', Object.entries, (m) => m.entries());
}

export function keys(obj) {
  return view(obj, 'keys', Object.keys, (m) => m.keys());
}

export function values(obj) {
  return view(obj, 'values', Object.values, (m) => m.values());
}

// String methods: on a string, Python's meaning; on anything else (a JS
// array's join(sep), a URL's replace...), the receiver's own method.

// `s.startswith(prefix)`, `s.endswith(suffix)` (a prefix may be a tuple)
export function startswith(text, prefix) {
  if (typeof text !== 'string') return text.startswith(prefix);
  return Array.isArray(prefix) ? prefix.some((p) => text.startsWith(p)) : text.startsWith(prefix);
}

export function endswith(text, suffix) {
  if (typeof text !== 'string') return text.endswith(suffix);
  return Array.isArray(suffix) ? suffix.some((p) => text.endsWith(p)) : text.endsWith(suffix);
}

function stripper(method, trim, fromStart, fromEnd) {
  return function (text, chars) {
    if (typeof text !== 'string') return chars === undefined ? text[method]() : text[method](chars);
    if (is_none(chars)) return text[trim]();
    let start = 0;
    let end = text.length;
    while (fromStart && start < end && chars.includes(text[start])) start += 1;
    while (fromEnd && end > start && chars.includes(text[end - 1])) end -= 1;
    return text.slice(start, end);
  };
}

// `s.strip()`, `s.lstrip()`, `s.rstrip()`, with or without the characters
export const strip = stripper('strip', 'trim', true, true);
export const lstrip = stripper('lstrip', 'trimStart', true, false);
export const rstrip = stripper('rstrip', 'trimEnd', false, true);

// `s.lower()`, `s.upper()`
export function lower(text) {
  return typeof text === 'string' ? text.toLowerCase() : text.lower();
}

export function upper(text) {
  return typeof text === 'string' ? text.toUpperCase() : text.upper();
}

// `sep.join(items)`; `items.join(sep)` on a JS array stays JavaScript's.
export function join(separator, items) {
  if (typeof separator !== 'string') return separator.join(items);
  return Array.from(iter(items)).join(separator);
}

// `s.replace(old, new)`: every occurrence, as in Python.
export function replace(text, old, replacement) {
  if (typeof text === 'string' && typeof old === 'string') return text.split(old).join(replacement);
  return text.replace(old, replacement);
}

// -- list and dict methods that JavaScript lacks or means otherwise -----------

// Python's truth: empty lists, dicts, Maps, Sets and strings are false.
export function truthy(value) {
  if (is_none(value)) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (isPlain(value)) return Object.keys(value).length > 0;
  if (typeof value.__bool__ === 'function') return value.__bool__();
  if (typeof value.__len__ === 'function') return value.__len__() > 0;
  return true;
}

// `d.pop(k)`, `d.pop(k, default)`, `xs.pop()`, `xs.pop(i)`
export function pop(obj, ...args) {
  if (Array.isArray(obj)) {
    if (obj.length === 0) throw pyError('IndexError', 'pop from empty list');
    if (args.length === 0) return obj.pop();
    const at = args[0] < 0 ? obj.length + args[0] : args[0];
    if (at < 0 || at >= obj.length) throw pyError('IndexError', 'pop index out of range');
    return obj.splice(at, 1)[0];
  }
  const [key] = args;
  if (obj instanceof Map) {
    if (obj.has(key)) {
      const value = obj.get(key);
      obj.delete(key);
      return value;
    }
  } else if (isPlain(obj)) {
    if (hasOwn(obj, key)) {
      const value = obj[key];
      delete obj[key];
      return value;
    }
  } else {
    return obj.pop(...args);
  }
  if (args.length > 1) return args[1];
  throw pyError('KeyError', repr(key));
}

// `x.clear()`
export function clear(obj) {
  if (Array.isArray(obj)) obj.length = 0;
  else if (isPlain(obj)) for (const key of Object.keys(obj)) delete obj[key];
  else obj.clear();
}

// `d.setdefault(k, default)`
export function setdefault(obj, key, fallback = null) {
  if (obj instanceof Map) {
    if (!obj.has(key)) obj.set(key, fallback);
    return obj.get(key);
  }
  if (!isPlain(obj)) return obj.setdefault(key, fallback);
  if (!hasOwn(obj, key)) obj[key] = fallback;
  return obj[key];
}

// `xs.remove(v)`: the first equal item, ValueError when there is none
export function remove(items, value) {
  if (!Array.isArray(items)) return items instanceof Set ? void items.delete(value) : items.remove(value);
  const at = items.indexOf(value);
  if (at < 0) throw pyError('ValueError', 'list.remove(x): x not in list');
  items.splice(at, 1);
}

// `xs.index(v)`, `s.index(sub)`: ValueError when missing (JavaScript's indexOf is -1)
export function index(items, value) {
  if (!Array.isArray(items) && typeof items !== 'string') return items.index(value);
  const at = items.indexOf(value);
  if (at < 0) throw pyError('ValueError', typeof items === 'string' ? 'substring not found' : `${repr(value)} is not in list`);
  return at;
}

// `xs.count(v)`, `s.count(sub)`
export function count(items, value) {
  if (typeof items === 'string') return value === '' ? items.length + 1 : items.split(value).length - 1;
  if (!Array.isArray(items)) return items.count(value);
  return items.filter((item) => item === value).length;
}

// `xs.extend(more)`
export function extend(items, more) {
  if (!Array.isArray(items)) return items.extend(more);
  for (const value of iter(more)) items.push(value);
}

// Python's ordering of numbers, strings, booleans and lists (by items).
export function compare(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
      const c = compare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (is_none(a) || is_none(b) || typeof a === 'object' || typeof b === 'object') {
    throw pyError('TypeError', `'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

// `xs.sort(key=f, reverse=True)` (stable, as in Python)
export function sort(items, key, reverse) {
  const k = is_none(key) ? (v) => v : key;
  if (!Array.isArray(items)) return items.sort();
  items.sort((a, b) => (reverse ? -compare(k(a), k(b)) : compare(k(a), k(b))));
}

// -- built-in functions ----------------------------------------------------------

// `sorted(xs, key=f, reverse=True)`
export function sorted(items, key, reverse) {
  const copied = list(items);
  sort(copied, key, reverse);
  return copied;
}

function extreme(sign, name) {
  return function (items, key, ...fallback) {
    const k = is_none(key) ? (v) => v : key;
    let best;
    let found = false;
    for (const value of iter(items)) {
      if (!found || sign * compare(k(value), k(best)) > 0) best = value;
      found = true;
    }
    if (found) return best;
    if (fallback.length > 0) return fallback[0];
    throw pyError('ValueError', `${name}() iterable argument is empty`);
  };
}

// `min(xs)`, `min(a, b)`, `max(...)`, with key= and default=
export const min = extreme(-1, 'min');
export const max = extreme(1, 'max');

// `sum(xs)`, `sum(xs, start)`
export function sum(items, start = 0) {
  let total = start;
  for (const value of iter(items)) total += value;
  return total;
}

// `any(xs)`, `all(xs)`, with Python's truth
export function any(items) {
  for (const value of iter(items)) if (truthy(value)) return true;
  return false;
}

export function all(items) {
  for (const value of iter(items)) if (!truthy(value)) return false;
  return true;
}

// `enumerate(xs)`, `enumerate(xs, start)`: a list of [i, item]
export function enumerate(items, start = 0) {
  return Array.from(iter(items), (value, i) => [i + start, value]);
}

// `zip(a, b, ...)`: a list of lists, as long as the shortest
export function zip(...lists) {
  const arrays = lists.map((x) => Array.from(iter(x)));
  const size = arrays.length === 0 ? 0 : Math.min(...arrays.map((a) => a.length));
  return Array.from({ length: size }, (_, i) => arrays.map((a) => a[i]));
}

// `reversed(xs)`: a reversed copy
export function reversed(items) {
  return list(items).reverse();
}

// `abs(x)`
export function abs(value) {
  return typeof value === 'number' ? Math.abs(value) : value.__abs__();
}

// `round(x)`, `round(x, n)`: halves to even, as in Python
export function round(value, digits) {
  const scale = 10 ** (is_none(digits) ? 0 : digits);
  const scaled = value * scale;
  let rounded = Math.round(scaled);
  if (Math.abs(scaled % 1) === 0.5 && rounded % 2 !== 0) rounded -= 1;
  return is_none(digits) ? rounded : rounded / scale;
}

const TYPE_TESTS = {
  list: (v) => Array.isArray(v),
  tuple: (v) => Array.isArray(v),
  dict: (v) => isPlain(v) || v instanceof Map,
  set: (v) => v instanceof Set,
  frozenset: (v) => v instanceof Set,
  str: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  int: (v) => typeof v === 'boolean' || Number.isInteger(v),
  float: (v) => typeof v === 'number',
};

// `isinstance(x, list)`, `isinstance(x, (dict, Foo))`: a built-in type is
// passed by name ('list'), a class as itself.
export function isinstance(value, kinds) {
  for (const kind of Array.isArray(kinds) ? kinds : [kinds]) {
    if (typeof kind === 'string' ? TYPE_TESTS[kind](value) : value instanceof kind) return true;
  }
  return false;
}

// More str methods: on a string, Python's meaning; else the receiver's own.
function onString(name, impl) {
  return function (text, ...args) {
    return typeof text === 'string' ? impl(text, ...args) : text[name](...args);
  };
}

const WHITESPACE = /\s+/;

// `s.split()`, `s.split(sep, maxsplit)`
export const split = onString('split', (text, sep, maxsplit = -1) => {
  const parts = is_none(sep) ? text.trim().split(WHITESPACE).filter((p) => p !== '') : text.split(sep);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  if (is_none(sep)) {
    const head = [];
    let rest = text.trimStart();
    for (let i = 0; i < maxsplit; i += 1) {
      const m = WHITESPACE.exec(rest);
      if (m === null) break;
      head.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return rest === '' ? head : [...head, rest];
  }
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
});
export const splitlines = onString('splitlines', (text) => {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
});
export const find = onString('find', (text, sub) => text.indexOf(sub));
export const rfind = onString('rfind', (text, sub) => text.lastIndexOf(sub));
export const removeprefix = onString('removeprefix', (text, prefix) => (prefix !== '' && text.startsWith(prefix) ? text.slice(prefix.length) : text));
export const removesuffix = onString('removesuffix', (text, suffix) => (suffix !== '' && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text));
export const capitalize = onString('capitalize', (text) => text.slice(0, 1).toUpperCase() + text.slice(1).toLowerCase());
export const ljust = onString('ljust', (text, width, fill = ' ') => text.padEnd(width, fill));
export const rjust = onString('rjust', (text, width, fill = ' ') => text.padStart(width, fill));
export const center = onString('center', (text, width, fill = ' ') => format(text, `${fill}^${width}`));
export const zfill = onString('zfill', (text, width) => {
  const sign = text.startsWith('-') || text.startsWith('+') ? text[0] : '';
  return sign + text.slice(sign.length).padStart(width - sign.length, '0');
});
function test(name, re) {
  return onString(name, (text) => text.length > 0 && re.test(text));
}
export const isdigit = test('isdigit', /^[0-9]+$/);
export const isalpha = test('isalpha', /^\p{L}+$/u);
export const isalnum = test('isalnum', /^[\p{L}\p{N}]+$/u);
export const isspace = test('isspace', /^\s+$/);
export const isupper = onString('isupper', (text) => text !== text.toLowerCase() && text === text.toUpperCase());
export const islower = onString('islower', (text) => text !== text.toUpperCase() && text === text.toLowerCase());

// `a // b`: the floor of the quotient, as in Python
export function floordiv(a, b) {
  if (b === 0) throw pyError('ZeroDivisionError', 'integer division or modulo by zero');
  return Math.floor(a / b);
}

// `bool(x)`: Python's truth
export function bool(value) {
  return truthy(value);
}

// `chr(n)`, `ord(c)`, `hex(n)`, `oct(n)`, `bin(n)`
export function chr(code) {
  return String.fromCodePoint(code);
}

export function ord(text) {
  if (typeof text !== 'string' || [...text].length !== 1) {
    throw pyError('TypeError', `ord() expected a character, but string of length ${len(text)} found`);
  }
  return text.codePointAt(0);
}

function radix(prefix, base) {
  return (n) => (n < 0 ? '-' : '') + prefix + Math.abs(n).toString(base);
}
export const hex = radix('0x', 16);
export const oct = radix('0o', 8);
export const bin = radix('0b', 2);

function numberStr(value) {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

function quote(text) {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return q + out + q;
}

// `repr(x)`, `f'{x!r}'`
export function repr(value) {
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return '[' + value.map(repr).join(', ') + ']';
  if (value instanceof Map) {
    return '{' + Array.from(value.entries(), ([k, v]) => `${repr(k)}: ${repr(v)}`).join(', ') + '}';
  }
  if (isPlain(value)) {
    return '{' + Object.entries(value).map(([k, v]) => `${repr(k)}: ${repr(v)}`).join(', ') + '}';
  }
  return str(value);
}

// `str(x)`, `f'{x}'`: None, True, False as Python writes them; lists and
// dicts as their repr.
export function str(value) {
  if (typeof value === 'string') return value;
  if (is_none(value)) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return numberStr(value);
  if (Array.isArray(value) || isPlain(value) || value instanceof Map) return repr(value);
  if (typeof value.__str__ === 'function') return value.__str__();
  if (value instanceof Error) return value.message;
  return String(value);
}

const INT_TEXT = /^\s*[+-]?(\d+(_\d+)*)\s*$/;
const FLOAT_TEXT = /^\s*[+-]?((\d+(_\d+)*)?\.?\d*(_\d+)*([eE][+-]?\d+)?|inf(inity)?|nan)\s*$/i;

// `int(x)`, `int(text, base)`
export function to_int(value, base) {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw pyError('ValueError', `cannot convert float ${numberStr(value)} to integer`);
    return Math.trunc(value);
  }
  if (typeof value === 'string') {
    if (base !== undefined && base !== 10) {
      const digits = value.trim().replace(/_/g, '');
      const parsed = Number.parseInt(digits, base);
      if (digits === '' || Number.isNaN(parsed) || parsed.toString(base) !== digits.replace(/^\+/, '').replace(/^(-?)0+(?=.)/, '$1').toLowerCase()) {
        throw pyError('ValueError', `invalid literal for int() with base ${base}: ${repr(value)}`);
      }
      return parsed;
    }
    if (!INT_TEXT.test(value)) {
      throw pyError('ValueError', `invalid literal for int() with base 10: ${repr(value)}`);
    }
    return Number.parseInt(value.replace(/_/g, ''), 10);
  }
  if (!is_none(value) && typeof value.__int__ === 'function') return value.__int__();
  throw pyError('TypeError', `int() argument must be a string or a number, not '${typeName(value)}'`);
}

// `float(x)`
export function to_float(value) {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase().replace(/_/g, '');
    if (!FLOAT_TEXT.test(value) || text === '' || text === '.' || /^[+-]?\.?(e|$)/.test(text)) {
      throw pyError('ValueError', `could not convert string to float: ${repr(value)}`);
    }
    if (text.endsWith('nan')) return NaN;
    if (text.endsWith('inf') || text.endsWith('infinity')) return text.startsWith('-') ? -Infinity : Infinity;
    return Number.parseFloat(text);
  }
  throw pyError('TypeError', `float() argument must be a string or a real number, not '${typeName(value)}'`);
}

const SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s;

function group(digits, sep) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

function exponent(text) {
  // JavaScript writes 1.5e+5, Python 1.5e+05.
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

function general(value, precision, alternate) {
  const p = precision === 0 ? 1 : precision;
  const exp = value === 0 ? 0 : Math.floor(Math.log10(Math.abs(value)));
  let text;
  if (exp >= -4 && exp < p) {
    text = value.toFixed(Math.max(p - 1 - exp, 0));
  } else {
    text = exponent(value.toExponential(p - 1));
  }
  if (!alternate && text.includes('.')) {
    text = text.replace(/\.?0+(?=e|$)/, '');
  }
  return text;
}

// `f'{x:spec}'`: Python's format mini-language (fill, align, sign, #, 0,
// width, grouping, precision, and the types b c d e f g n o s x %).
export function format(value, spec) {
  if (spec === undefined || spec === '') return str(value);
  const m = SPEC.exec(spec);
  if (m === null) throw pyError('ValueError', `Invalid format specifier '${spec}'`);
  let [, fill, align, sign, alternate, zero, width, grouping, precision, type] = m;
  const numeric = typeof value === 'number' || typeof value === 'boolean';
  if (!numeric && !is_none(type) && type !== 's') {
    throw pyError('ValueError', `Unknown format code '${type}' for object of type '${typeName(value)}'`);
  }
  if (zero && fill === undefined) {
    fill = '0';
    if (align === undefined) align = '=';
  }
  if (fill === undefined) fill = ' ';
  const prec = precision === undefined ? undefined : Number(precision);
  let body;
  let prefix = '';
  if (!numeric) {
    body = str(value);
    if (prec !== undefined) body = body.slice(0, prec);
    if (align === undefined) align = '<';
  } else {
    let number = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    const negative = number < 0 || Object.is(number, -0);
    number = Math.abs(number);
    const t = type === undefined ? (Number.isInteger(number) && prec === undefined ? 'd' : 'g') : type;
    if ('bcdoxXn'.includes(t) && !Number.isInteger(number)) {
      throw pyError('ValueError', `Unknown format code '${t}' for object of type 'float'`);
    }
    if (!Number.isFinite(number)) {
      body = Number.isNaN(number) ? 'nan' : 'inf';
      if ('EFG'.includes(t)) body = body.toUpperCase();
    } else if (t === 'd' || t === 'n') body = String(number);
    else if (t === 'b') { body = number.toString(2); if (alternate) prefix = '0b'; }
    else if (t === 'o') { body = number.toString(8); if (alternate) prefix = '0o'; }
    else if (t === 'x') { body = number.toString(16); if (alternate) prefix = '0x'; }
    else if (t === 'X') { body = number.toString(16).toUpperCase(); if (alternate) prefix = '0X'; }
    else if (t === 'c') body = String.fromCodePoint(number);
    else if (t === 'f' || t === 'F') body = number.toFixed(prec === undefined ? 6 : prec);
    else if (t === 'e' || t === 'E') {
      body = exponent(number.toExponential(prec === undefined ? 6 : prec));
      if (t === 'E') body = body.toUpperCase();
    } else if (t === '%') body = (number * 100).toFixed(prec === undefined ? 6 : prec) + '%';
    else if (t === 'g' || t === 'G') {
      body = type === undefined && prec === undefined ? numberStr(number) : general(number, prec === undefined ? 6 : prec, alternate);
      if (type === undefined && Number.isInteger(number) && prec === undefined) body = String(number);
      if (t === 'G') body = body.toUpperCase();
    }
    if (grouping && 'dfF%egGn'.includes(t)) {
      const [whole, ...rest] = body.split('.');
      body = [group(whole, grouping), ...rest].join('.');
    }
    prefix = (negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '') + prefix;
    if (align === undefined) align = '>';
  }
  const size = width === undefined ? 0 : Number(width);
  const pad = Math.max(size - prefix.length - body.length, 0);
  const filler = fill.repeat(pad);
  if (align === '<') return prefix + body + filler;
  if (align === '>') return filler + prefix + body;
  if (align === '=') return prefix + filler + body;
  const left = fill.repeat(Math.floor(pad / 2));
  return left + prefix + body + fill.repeat(pad - left.length);
}
