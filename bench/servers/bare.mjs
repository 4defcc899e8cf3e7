// Baseline: bare Express 5, no middleware, the same route and body as the express-m8 server.
import express from 'express';

const app = express();
app.get('/api/items', (_req, res) => {
  res.json({ items: [{ id: 1, name: 'first' }] });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
