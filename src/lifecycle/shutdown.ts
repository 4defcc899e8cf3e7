import { LifecycleError } from '../errors.js';
import type { TrackedServer } from './drain.js';
import { describeError, runTeardown, type TeardownFailure, type TeardownStep } from './teardown.js';
import type { LifecycleLogger, LifecycleSettings, LifecycleTimers, TimerHandle } from './types.js';

/** Everything one shutdown needs, gathered by the controller. */
export interface ShutdownPlan {
  readonly settings: LifecycleSettings;
  readonly logger: LifecycleLogger;
  readonly timers: LifecycleTimers;
  /** How long teardown may still run after the deadline before the shutdown settles anyway. */
  readonly graceMs: number;
  /** The attached servers (read when the drain starts and when the deadline passes). */
  servers(): Iterable<TrackedServer>;
  /** A start still under way, waited for (its outcome ignored) before anything closes. */
  readonly startUnderWay: Promise<unknown> | undefined;
  /** The teardown steps, asked for once the drain is over (a start under way may have added one). */
  teardownSteps(): TeardownStep[];
}

function failureCause(failures: readonly TeardownFailure[]): AggregateError | undefined {
  if (failures.length === 0) return undefined;
  return new AggregateError(
    failures.map((f) => f.error),
    'teardown step failures',
  );
}

/**
 * delay → drain every server → teardown steps, bounded by SHUTDOWN_TIMEOUT_SECONDS (docs/lifecycle.md). Resolves when
 * all went well; rejects with ERR_LIFECYCLE_SHUTDOWN_TIMEOUT or ERR_LIFECYCLE_TEARDOWN. Every timer it sets is
 * cleared before it settles.
 */
export async function runShutdown(plan: ShutdownPlan): Promise<void> {
  const { settings, logger, timers, graceMs } = plan;
  const timeoutSeconds = settings.SHUTDOWN_TIMEOUT_SECONDS;
  const delayMs = settings.SHUTDOWN_DELAY_SECONDS * 1000;
  const handles: TimerHandle[] = [];
  const schedule = (callback: () => void, ms: number, unref: boolean): void => {
    const handle = timers.setTimeout(callback, ms);
    if (unref) handle.unref?.();
    handles.push(handle);
  };

  let timedOut = false;
  const deadlinePassed = new Promise<'deadline'>((resolve) => {
    // Unref'd: the deadline only guards; it must never keep a finished process alive.
    schedule(
      () => {
        timedOut = true;
        logger.error({ timeoutSeconds }, 'shutdown timeout passed; destroying remaining connections');
        for (const tracked of plan.servers()) tracked.destroyAll();
        resolve('deadline');
      },
      timeoutSeconds * 1000,
      true,
    );
  });
  const hardStop = deadlinePassed.then(
    () => new Promise<'hard'>((resolve) => schedule(() => resolve('hard'), graceMs, true)),
  );

  const work = (async (): Promise<TeardownFailure[]> => {
    if (plan.startUnderWay) await Promise.race([plan.startUnderWay.catch(() => undefined), deadlinePassed]);
    if (delayMs > 0 && !timedOut) {
      // Ref'd on purpose: this wait is the point (load balancers notice the 503 meanwhile).
      await Promise.race([new Promise<void>((resolve) => schedule(resolve, delayMs, false)), deadlinePassed]);
    }
    const servers = [...plan.servers()];
    const drains = servers.map((tracked) => tracked.drain());
    logger.info({ servers: servers.length }, 'stopped accepting connections; draining in-flight requests');
    if (timedOut) for (const tracked of servers) tracked.destroyAll();
    await Promise.race([Promise.all(drains), deadlinePassed]);
    for (const tracked of servers) tracked.detach();
    return runTeardown(plan.teardownSteps(), logger);
  })();

  try {
    const outcome = await Promise.race([work, hardStop]);
    if (outcome === 'hard') {
      throw new LifecycleError(
        'ERR_LIFECYCLE_SHUTDOWN_TIMEOUT',
        `Shutdown did not finish within SHUTDOWN_TIMEOUT_SECONDS=${timeoutSeconds}; ` +
          `teardown was still running ${graceMs} ms later`,
      );
    }
    const listed = outcome.map((f) => `${f.step}: ${describeError(f.error)}`).join('; ');
    if (timedOut) {
      throw new LifecycleError(
        'ERR_LIFECYCLE_SHUTDOWN_TIMEOUT',
        `Shutdown did not finish within SHUTDOWN_TIMEOUT_SECONDS=${timeoutSeconds}; ` +
          `remaining connections were destroyed${listed ? `; teardown failures: ${listed}` : ''}`,
        { cause: failureCause(outcome) },
      );
    }
    if (outcome.length > 0) {
      throw new LifecycleError(
        'ERR_LIFECYCLE_TEARDOWN',
        `${outcome.length} teardown step${outcome.length === 1 ? '' : 's'} failed: ${listed}`,
        { cause: failureCause(outcome) },
      );
    }
  } finally {
    for (const handle of handles) timers.clearTimeout(handle);
  }
}
