// A stand-in for the Python Debugger extension where none can be installed (no marketplace offline):
// the `debugpy` debug type runs Debian's `python3 -m debugpy.adapter`, which is what that extension
// runs too (ASYNCWISE_DEBUGPY_PYTHON overrides the interpreter). The editor suite runner copies this
// folder into the test editor's extensions folder, and `npm run demo` into the demo editor's, so the
// demo's "Python: ingest service" launch configuration works there.
'use strict';
const vscode = require('vscode');

const PYTHON = process.env.ASYNCWISE_DEBUGPY_PYTHON || '/usr/bin/python3';

function activate(context) {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('debugpy', {
      createDebugAdapterDescriptor() {
        return new vscode.DebugAdapterExecutable(PYTHON, ['-m', 'debugpy.adapter']);
      },
    }),
    vscode.debug.registerDebugConfigurationProvider('debugpy', {
      resolveDebugConfiguration(_folder, config) {
        // The adapter launches the program with the same interpreter unless told otherwise.
        return { console: 'internalConsole', python: PYTHON, ...config };
      },
    }),
  );
}

module.exports = { activate, deactivate() {} };
