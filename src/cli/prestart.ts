// The `express-m8-prestart` executable: an alias of `express-m8 prestart`.
import { main } from './main.js';

await main(['prestart', ...process.argv.slice(2)]);
