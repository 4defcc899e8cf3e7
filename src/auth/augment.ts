import type { AuthUser } from './types.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The authenticated caller, set by the express-m8 auth middlewares (`undefined` for anonymous). */
    user?: AuthUser;
  }
}
