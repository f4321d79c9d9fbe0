// Stops `npm ci`, `npm start`, `npm test`, `npm run demo` and `npm run bench` at once, with one line,
// on a Node.js older than the project's (older ones fail later with a stack trace from a dependency).
// CommonJS without modern syntax, so that any old Node.js can run it.
/* global process, module, require */
'use strict';
var REQUIRED_MAJOR = 24;

/** The line to print for Node.js `version` (e.g. "20.20.2"), or undefined when it is recent enough. */
function tooOldMessage(version) {
  if (Number(String(version).split('.')[0]) >= REQUIRED_MAJOR) return undefined;
  return (
    'logto-operator needs Node.js ' +
    REQUIRED_MAJOR +
    ' or newer, found ' +
    version +
    ': run PATH="$(bash scripts/ensure-node.sh):$PATH" first (see README, Quick start)'
  );
}

module.exports = { tooOldMessage: tooOldMessage, REQUIRED_MAJOR: REQUIRED_MAJOR };

if (require.main === module) {
  var message = tooOldMessage(process.versions.node);
  if (message) {
    process.stderr.write(message + '\n');
    process.exit(1);
  }
}
