// The `express-m8-prestart` executable: an alias of `express-m8 prestart`.
import { processIo, runCli } from './main.js';

process.exitCode = runCli(['prestart', ...process.argv.slice(2)], processIo);
