// Reference: bare Express 5 served the way express-m8 serves (`serve()`, `app.listen()`): requests and
// responses are created with the app's prototypes, so Express's per-request prototype swap is a no-op.
// The ratio of express-m8 to THIS server is the cost of everything express-m8 adds.
import http from 'node:http';
import express from 'express';

const app = express();
app.get('/api/items', (_req, res) => {
  res.json({ items: [{ id: 1, name: 'first' }] });
});
function Request(socket) {
  http.IncomingMessage.call(this, socket);
}
Request.prototype = app.request;
function Response(req, options) {
  http.ServerResponse.call(this, req, options);
}
Response.prototype = app.response;
const server = http.createServer({ IncomingMessage: Request, ServerResponse: Response }, app);
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
