/**
 * The "Fix All in This File" command's choice among the tsserver plugin's fixes (fixAllPlan.ts): safe
 * fixes only (unless allowed), never an ignore comment, and overlapping fixes left for the next round.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRuleFixAllTitle, isUnattendedFix, planFixes, type FixCandidate } from '../../src/extension/fixAllPlan';

const edit = (start: number, end: number, newText: string) => ({ start, end, newText });

describe('fix all: which fixes run unattended', () => {
  it('takes safe fixes, unsafe ones only when allowed, never "Ignore … on this line"', () => {
    assert.equal(isUnattendedFix('Use fs.promises.readFile', false), true);
    assert.equal(isUnattendedFix('Run it in a worker thread (unsafe)', false), false);
    assert.equal(isUnattendedFix('Run it in a worker thread (unsafe)', true), true);
    assert.equal(isUnattendedFix('Ignore AW201 on this line', true), false);
  });

  it('recognises a rule\'s combined fix by its title, for that rule only', () => {
    const title = 'Fix all AW201 (blocking-call-in-async) in this file';
    assert.equal(isRuleFixAllTitle(title, 'AW201'), true);
    assert.equal(isRuleFixAllTitle(title, 'AW20'), false);
    assert.equal(isRuleFixAllTitle(title, 'AW301'), false);
    assert.equal(isRuleFixAllTitle('Fix all detected spelling errors', 'AW201'), false);
  });
});

describe('fix all: one round\'s edits', () => {
  const c = (code: string, ...edits: ReturnType<typeof edit>[]): FixCandidate => ({ code, title: `fix ${code}`, edits });

  it('takes fixes whose edits do not overlap, sorted, and defers the ones that do', () => {
    const plan = planFixes([c('AW201', edit(30, 40, 'b'), edit(0, 0, 'import x;\n')), c('AW301', edit(35, 45, 'c')), c('AW404', edit(50, 52, 'd'))]);
    assert.deepEqual(plan.taken.map((x) => x.code), ['AW201', 'AW404']);
    assert.deepEqual(plan.deferred.map((x) => x.code), ['AW301']);
    assert.deepEqual(plan.edits, [edit(0, 0, 'import x;\n'), edit(30, 40, 'b'), edit(50, 52, 'd')]);
  });

  it('merges the same edit made by two fixes (the same import added twice) instead of doubling it', () => {
    const plan = planFixes([c('AW201', edit(0, 0, "import { readFile } from 'node:fs/promises';\n"), edit(10, 20, 'a')), c('AW203', edit(0, 0, "import { readFile } from 'node:fs/promises';\n"), edit(30, 35, 'b'))]);
    assert.deepEqual(plan.taken.map((x) => x.code), ['AW201', 'AW203']);
    assert.equal(plan.edits.length, 3);
  });

  it('two insertions at one point would depend on their order: the second waits', () => {
    const plan = planFixes([c('AW201', edit(5, 5, 'a')), c('AW301', edit(5, 5, 'b'))]);
    assert.deepEqual(plan.taken.map((x) => x.code), ['AW201']);
    assert.deepEqual(plan.deferred.map((x) => x.code), ['AW301']);
  });

  it('nothing to take: an empty plan', () => {
    assert.deepEqual(planFixes([c('AW201')]), { taken: [], deferred: [], edits: [] });
  });
});
