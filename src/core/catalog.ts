/**
 * The catalog: every rule, in code order. Adding a rule is one line here (see README, "Adding a rule").
 */
import type { Rule } from '../rules/define';
import swallowedCancellation from '../rules/swallowed-cancellation';
import finallySwallowsException from '../rules/finally-swallows-exception';
import cancellationConverted from '../rules/cancellation-converted';
import shieldDropped from '../rules/shield-dropped';
import timeoutCaughtInside from '../rules/timeout-caught-inside';
import cancelNotAwaited from '../rules/cancel-not-awaited';
import asyncGeneratorCleanup from '../rules/async-generator-cleanup';
import cancellationEndsTask from '../rules/cancellation-ends-task';
import blockingCallInAsync from '../rules/blocking-call-in-async';
import blockingCallViaHelper from '../rules/blocking-call-via-helper';
import cheapBlockingIo from '../rules/cheap-blocking-io';
import unawaitedCoroutine from '../rules/unawaited-coroutine';
import danglingTask from '../rules/dangling-task';
import loopReentry from '../rules/loop-reentry';
import asyncPromiseExecutor from '../rules/async-promise-executor';
import threadBlocksShutdown from '../rules/thread-blocks-shutdown';
import intervalNeverCleared from '../rules/interval-never-cleared';
import sequentialAwaitInLoop from '../rules/sequential-await-in-loop';
import sleepPolling from '../rules/sleep-polling';
import gatherOrphans from '../rules/gather-orphans';
import cancellationNotPropagated from '../rules/cancellation-not-propagated';

export const CATALOG: readonly Rule[] = [
  swallowedCancellation,
  finallySwallowsException,
  cancellationConverted,
  shieldDropped,
  timeoutCaughtInside,
  cancelNotAwaited,
  asyncGeneratorCleanup,
  cancellationEndsTask,
  blockingCallInAsync,
  blockingCallViaHelper,
  cheapBlockingIo,
  unawaitedCoroutine,
  danglingTask,
  loopReentry,
  asyncPromiseExecutor,
  threadBlocksShutdown,
  intervalNeverCleared,
  sequentialAwaitInLoop,
  sleepPolling,
  gatherOrphans,
  cancellationNotPropagated,
];
