import type { LifecycleLogger } from './types.js';

/** The message of an error, or the thrown value as text. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One named teardown step. */
export interface TeardownStep {
  readonly name: string;
  run(): unknown;
}

/** A step that threw (or rejected), with its error. */
export interface TeardownFailure {
  readonly step: string;
  readonly error: unknown;
}

/**
 * Runs every step in order, each even when an earlier one threw; logs each failure and returns them all.
 * A step that throws synchronously counts like one that rejects.
 */
export async function runTeardown(
  steps: readonly TeardownStep[],
  logger: LifecycleLogger,
): Promise<TeardownFailure[]> {
  const failures: TeardownFailure[] = [];
  for (const step of steps) {
    try {
      await step.run();
    } catch (error) {
      failures.push({ step: step.name, error });
      logger.error({ err: error, step: step.name }, `teardown step ${step.name} failed`);
    }
  }
  return failures;
}
