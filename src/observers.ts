/**
 * The hooks the auth and database modules call and the metrics module implements, so neither imports
 * prom-client nor metrics (docs/architecture.md). Types only. Producers see every method as optional and call
 * it as `observer?.onX?.()`; an implementation must not throw. The label words are type parameters: auth
 * names its own vocabularies (`AuthFailureReason`, …), metrics accepts any string.
 */

/** Hooks of the auth module. */
export interface AuthObserver<
  Reason extends string = string,
  Revocation extends string = string,
  Refresh extends string = string,
> {
  /** A request was refused; `reason` is a short stable word (`missing_token`, `expired`, `revoked`, …). */
  onAuthFailure?(reason: Reason): void;
  /** A revocation check finished (`active`, `revoked`, `unavailable`, `fail_open`, …). */
  onRevocationCheck?(result: Revocation): void;
  /** A JWKS fetch finished (`success`, `timeout`, `no_usable_keys`, …). */
  onJwksRefresh?(result: Refresh): void;
  /** The revocation event stream connected (`true`) or lost its connection (`false`). */
  onEventStreamConnected?(connected: boolean): void;
  /** One stream frame: its `event_type` (`session-revoked`, `user-deleted`, `gap`, `other`) and what became of it. */
  onEventStreamEvent?(eventType: string, result: string): void;
  /** A reconnection attempt of the event stream. */
  onEventStreamReconnect?(): void;
}

/** Connection counts of a database pool; `waiting` counts callers queued for a connection. */
export interface DbPoolStats {
  readonly idle: number;
  readonly used: number;
  readonly waiting: number;
}

/** Hooks of the database engine. */
export interface DbObserver {
  /** A query finished successfully after `seconds`. */
  onQuery?(seconds: number): void;
  /** A query or a connection attempt failed, or the pool reported an error. */
  onError?(): void;
}
