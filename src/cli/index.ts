// Placeholder dispatcher; the CLI (prestart, check-config, dev-token, migrate) lands with the database issue.
process.stdout.write('express-m8: CLI not implemented yet\n');
process.exitCode = 2;
