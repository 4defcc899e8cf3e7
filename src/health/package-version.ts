/**
 * The express-m8 version shown as `express_m8` in the detailed health body. Read from package.json until the
 * compat module exports `VERSION`; swap this import then (one place).
 */
import pkg from '../../package.json' with { type: 'json' };

export const EXPRESS_M8_VERSION: string = pkg.version;
