// A webpack loader for autobahn-browser: its own log goes to console.debug.
//
// autobahn-js writes console warnings on every closed connection, deliberate
// ones included ("connection closed", "auto-reconnect disabled!"): a logout or
// one of Raccoon's own reconnections left warnings in the console of every
// page. Raccoon's connection layer (js/raccoon/connection.py) handles closes
// and reconnects itself and reports what matters, so autobahn's log module
// writes at debug level instead (devtools shows it at "Verbose").
//
// The rewrite must find autobahn's log module exactly once; otherwise the
// build fails, so an autobahn upgrade cannot silently undo it.
const PATTERN = /let (\w+)\s*=\s*console\.warn\.bind\(console\);(\s*\w+\.debug\s*=\s*\w+;\s*\w+\.warn\s*=\s*\1\b)/g;

module.exports = function autobahnQuietLoader(source) {
  const found = source.match(PATTERN) || [];
  if (found.length !== 1) {
    throw new Error(
      `autobahn-quiet-loader: expected autobahn's log module once in ${this.resourcePath}, ` +
        `found it ${found.length} times (see js/tools/autobahn-quiet-loader.cjs)`,
    );
  }
  return source.replace(PATTERN, 'let $1 = console.debug.bind(console);$2');
};
