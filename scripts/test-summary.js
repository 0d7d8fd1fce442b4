#!/usr/bin/env node
// Honest counts for `npm test` (scripts/test.sh).
//
// node:test's own summary counts only tests: a suite skipped as a whole (`describe(…, { skip })`)
// shows as `skipped 0`, and so does a file that defines no test. Two uses:
//
//   node --test --test-reporter=./scripts/test-summary.js --test-reporter-destination=FILE …
//       a node:test reporter: writes one JSON object to FILE with every file, suite and test counted,
//       and every skipped suite and test with its reason.
//
//   node scripts/test-summary.js report STEPS UNIT_JSON EDITOR_RESULTS_JSON
//       prints the final summary of `npm test`: each step (STEPS: lines `name<TAB>status<TAB>detail`),
//       the unit counts and the editor suite's counts. Exits 1 when a step failed or did not run, and,
//       under CI (CI set and not "false"/"0"), when anything that should run was skipped.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** The node:test reporter (an async generator over the test events). */
async function* summaryReporter(source) {
  const summary = { files: [], suites: 0, tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, skippedSuites: [], skippedTests: [], failedTests: [] };
  const files = new Set();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    const file = data.file ? path.relative(process.cwd(), data.file) : '(unknown file)';
    files.add(file);
    const skip = data.skip === undefined || data.skip === false ? undefined : data.skip === true ? '(no reason given)' : String(data.skip);
    if (data.details && data.details.type === 'suite') {
      summary.suites++;
      // A skipped suite never registers its tests: count it, or it vanishes from the summary.
      if (skip !== undefined) summary.skippedSuites.push({ file, name: data.name, reason: skip });
      if (event.type === 'test:fail' && skip === undefined) summary.failedTests.push({ file, name: data.name, suite: true });
      continue;
    }
    summary.tests++;
    if (event.type === 'test:fail') {
      summary.failed++;
      summary.failedTests.push({ file, name: data.name });
    } else if (skip !== undefined) {
      summary.skipped++;
      summary.skippedTests.push({ file, name: data.name, reason: skip });
    } else if (data.todo !== undefined && data.todo !== false) {
      summary.todo++;
    } else {
      summary.passed++;
    }
  }
  summary.files = [...files].sort();
  yield `${JSON.stringify(summary, null, 2)}\n`;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `3 suites`, `1 suite`. */
function count(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function underCi() {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/** Prints the final summary of `npm test`; returns the exit code it calls for. */
function report(stepsFile, unitFile, editorFile) {
  const out = [];
  const steps = fs.existsSync(stepsFile)
    ? fs.readFileSync(stepsFile, 'utf8').split('\n').filter(Boolean).map((l) => {
      const [name, status, detail] = l.split('\t');
      return { name, status, detail };
    })
    : [];
  const skippedParts = [];
  out.push('', '== summary', '');
  for (const s of steps) out.push(`  ${s.status.padEnd(8)} ${s.name}${s.detail ? `: ${s.detail}` : ''}`);
  for (const s of steps) if (s.status === 'skipped') skippedParts.push(`${s.name} (${s.detail || 'skipped'})`);

  const unit = readJson(unitFile);
  if (unit) {
    out.push('', `  unit, fixture and CLI tests: ${count(unit.files.length, 'file')}, ${count(unit.suites, 'suite')}, ${count(unit.tests, 'test')}: ${unit.passed} passed, ${unit.failed} failed, ${unit.skipped} skipped${unit.todo ? `, ${unit.todo} todo` : ''}; ${count(unit.skippedSuites.length, 'suite')} skipped whole`);
    for (const s of unit.skippedSuites) {
      out.push(`    skipped suite  ${s.file} › ${s.name}: ${s.reason}`);
      skippedParts.push(`suite "${s.name}" (${s.reason})`);
    }
    for (const t of unit.skippedTests) {
      out.push(`    skipped test   ${t.file} › ${t.name}: ${t.reason}`);
      skippedParts.push(`test "${t.name}" (${t.reason})`);
    }
    for (const t of unit.failedTests) out.push(`    FAILED         ${t.file} › ${t.name}`);
  }
  const editor = readJson(editorFile);
  if (editor) {
    out.push('', `  real-editor suite: ${count(editor.tests.length, 'test')}: ${editor.passed} passed, ${editor.failed} failed, ${editor.pending} skipped`);
    for (const t of editor.tests.filter((x) => x.state === 'pending')) {
      out.push(`    skipped test   ${t.title}`);
      skippedParts.push(`editor test "${t.title}"`);
    }
    for (const t of editor.tests.filter((x) => x.state === 'failed')) out.push(`    FAILED         ${t.title}`);
  }

  const failed = steps.filter((s) => s.status === 'FAILED' || s.status === 'not run');
  let code = failed.length ? 1 : 0;
  out.push('');
  if (failed.length) out.push(`  FAIL: ${failed.map((s) => `${s.name} (${s.status})`).join(', ')}`);
  if (skippedParts.length) {
    if (underCi()) {
      out.push(`  FAIL (CI): ${skippedParts.length} part(s) that should run were skipped; on CI everything runs:`);
      for (const p of skippedParts) out.push(`    ${p}`);
      code = 1;
    } else {
      out.push(`  ${skippedParts.length} part(s) skipped (listed above); under CI=true that fails the run.`);
    }
  }
  if (!code) out.push('  PASS: every step ran and passed' + (skippedParts.length ? ', with the skips above' : ', nothing skipped'));
  process.stdout.write(`${out.join('\n')}\n`);
  return code;
}

module.exports = summaryReporter;
module.exports.report = report;

if (require.main === module) {
  const [command, ...args] = process.argv.slice(2);
  if (command !== 'report' || args.length !== 3) {
    process.stderr.write('usage: node scripts/test-summary.js report STEPS UNIT_JSON EDITOR_RESULTS_JSON\n');
    process.exit(2);
  }
  process.exit(report(args[0], args[1], args[2]));
}
