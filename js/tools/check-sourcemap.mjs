// Checks that a bundle's source map leads back to the Python source:
//   node js/tools/check-sourcemap.mjs js/build/dist/raccoon.bundle.js
// It finds a string literal of js/raccoon/path.py in the minified bundle, maps its
// position through the bundle's source map, and expects path.py at the line that
// holds that literal, with the Python text embedded (sourcesContent).
import { readFileSync } from 'node:fs';
import { SourceMapConsumer } from 'source-map-js';

const bundle = process.argv[2];
const code = readFileSync(bundle, 'utf8');
const map = JSON.parse(readFileSync(bundle + '.map', 'utf8'));
const needle = 'a path cannot be empty';
const offset = code.indexOf(needle);
if (offset < 0) throw new Error(`'${needle}' is not in ${bundle}`);
const before = code.slice(0, offset).split('\n');
const generated = { line: before.length, column: before[before.length - 1].length };
const consumer = new SourceMapConsumer(map);
// The literal itself may be unmapped: take the nearest mapping before it.
let original = null;
for (let column = generated.column; column >= 0 && !(original && original.source); column--) {
  original = consumer.originalPositionFor({ line: generated.line, column });
}
if (!original || !original.source || !original.source.endsWith('path.py')) {
  throw new Error(`the bundle maps '${needle}' to ${JSON.stringify(original)}, not to path.py`);
}
const text = consumer.sourceContentFor(original.source);
const line = text.split('\n')[original.line - 1];
if (!line.includes('PathError') && !line.includes(needle)) {
  throw new Error(`path.py:${original.line} is "${line.trim()}", not the raise of '${needle}'`);
}
console.log(`source map ok: ${bundle}:${generated.line}:${generated.column} -> ` +
  `${original.source}:${original.line} "${line.trim()}"`);
