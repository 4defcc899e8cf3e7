/**
 * The one seam through which objects built before `createApp` (an `AuthDeps`, a `DbEngine`) receive the app's
 * logger and metrics observers and offer their health checks (docs/architecture.md). Internal: nothing here is
 * exported from the package, and the public types of those objects do not mention it.
 */
import type { Logger } from 'pino';
import type { HealthCheck } from './health/types.js';
import type { M8Metrics } from './metrics/index.js';

/** The app's metrics hooks an attached object may take. */
interface AppObservers {
  readonly auth?: M8Metrics['observers']['auth'];
  readonly db?: M8Metrics['observers']['db'];
}

/** What `createApp` hands every attached object. */
export interface AppServices {
  /** The app's logger. An object built with its own logger keeps that one. */
  readonly logger: Logger;
  /** The app's metrics hooks, or `undefined` when metrics are off (an observer given at construction stays). */
  readonly observers: AppObservers | undefined;
}

/** What an attachable object registers: how it takes the app's services, and the checks it adds to health. */
export interface Attachment {
  attach(services: AppServices): void;
  healthChecks(): readonly HealthCheck[];
}

/**
 * Where an object keeps its {@link Attachment}. `Symbol.for` so the ESM and CJS builds of the package, loaded
 * side by side, still see each other's objects; an own enumerable property so a spread copy
 * (`{ ...auth, start }`) still attaches.
 */
const ATTACHMENT = Symbol.for('express-m8.attachment');

/**
 * Registers `attachment` on `target` (before it is frozen) and returns `target`.
 * @example
 * return Object.freeze(registerAttachment({ db, check }, { attach: ({ logger }) => {}, healthChecks: () => [check] }));
 */
export function registerAttachment<T extends object>(target: T, attachment: Attachment): T {
  Object.defineProperty(target, ATTACHMENT, { value: attachment, enumerable: true });
  return target;
}

/** The attachment registered on `value`, or `undefined` for anything else (a hand-written `LifecycleDb`). */
function attachmentOf(value: unknown): Attachment | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const attachment = (value as { [ATTACHMENT]?: unknown })[ATTACHMENT];
  return typeof attachment === 'object' && attachment !== null ? (attachment as Attachment) : undefined;
}

/**
 * Gives every registered object among `targets` the app's services and returns their health checks, in the
 * order of `targets`. Objects that registered nothing are skipped.
 * @example
 * const checks = attachToApp([options.lifecycle?.db, options.lifecycle?.auth], { logger, observers });
 */
export function attachToApp(targets: readonly unknown[], services: AppServices): HealthCheck[] {
  const checks: HealthCheck[] = [];
  for (const target of targets) {
    const attachment = attachmentOf(target);
    if (attachment === undefined) continue;
    attachment.attach(services);
    checks.push(...attachment.healthChecks());
  }
  return checks;
}
