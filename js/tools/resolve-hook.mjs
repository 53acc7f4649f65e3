// Module resolution for transpiled client code under node (>= 20.6).
//
// JavaScripthon writes imports without extensions (`import {Path} from './path'`)
// and client packages import each other by bare name (`from raccoon import Node`
// becomes `import {Node} from 'raccoon'`). Webpack resolves both
// (`resolve.fullySpecified: false`, `resolve.modules`); node does not, so this hook
// retries a failed resolution with `.js`, then `/index.js`, first as written, then
// under each build root (data.roots, the directories `raccoon build` wrote), and
// resolves npm packages from the toolchain's node_modules when the build tree
// lives elsewhere.
import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

let roots = [];
// The checkout root, whose node_modules holds the toolchain (npm ci).
const toolchain = new URL('../../package.json', import.meta.url).href;

export async function initialize(data) {
  roots = (data && data.roots) || [];
}

function candidates(base) {
  return [base + '.js', base + '/index.js'];
}

function isFile(path) {
  return existsSync(path) && statSync(path).isFile();
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const retryable = error && (error.code === 'ERR_MODULE_NOT_FOUND' ||
      error.code === 'ERR_UNSUPPORTED_DIR_IMPORT');
    if (!retryable) throw error;
    if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')) {
      for (const candidate of candidates(specifier)) {
        try {
          return await nextResolve(candidate, context);
        } catch (again) {
          // try the next form
        }
      }
      throw error;
    }
    for (const root of roots) {
      for (const candidate of candidates(join(root, specifier))) {
        if (isFile(candidate)) {
          return { url: pathToFileURL(candidate).href, shortCircuit: true, format: 'module' };
        }
      }
    }
    // npm packages (autobahn…) of the toolchain, for build trees outside it.
    return nextResolve(specifier, { ...context, parentURL: toolchain });
  }
}
