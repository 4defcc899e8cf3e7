// The `express-m8` executable: the only module with top-level side effects (it sets the exit code).
import { main } from './main.js';

await main(process.argv.slice(2));
