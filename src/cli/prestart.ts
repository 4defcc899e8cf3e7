// Alias of `express-m8 prestart`; lands with the database issue.
process.stdout.write('express-m8-prestart: not implemented yet\n');
process.exitCode = 2;
