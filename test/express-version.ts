/**
 * Which express major the tests (and src/, through the same module resolution) run against: the repo's
 * Express 5, or Express 4 in CI's Express 4 job (`EXPRESS_M8_TEST_EXPRESS`, see vitest.config.ts). Read from
 * the loaded module itself: `lazyrouter` exists on Express 4 applications only.
 */
import express from 'express';

export const EXPRESS_4 = typeof (express() as { lazyrouter?: unknown }).lazyrouter === 'function';
export const EXPRESS_MAJOR = EXPRESS_4 ? 4 : 5;
