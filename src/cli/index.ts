// The `express-m8` executable: the only module with top-level side effects (it sets the exit code).
import { processIo, runCli } from './main.js';

process.exitCode = runCli(process.argv.slice(2), processIo);
