// `node --import ./js/tools/register.mjs`: installs resolve-hook.mjs with the
// build roots listed in RACCOON_JS_ROOTS (separated by ':').
import { register } from 'node:module';

const roots = (process.env.RACCOON_JS_ROOTS || '').split(':').filter(Boolean);
register('./resolve-hook.mjs', import.meta.url, { data: { roots } });
