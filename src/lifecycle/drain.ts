import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';

/** A server whose connections are tracked so that shutdown can finish them cleanly. */
export interface TrackedServer {
  /**
   * Stops accepting, answers in-flight requests with `Connection: close`, closes idle keep-alive sockets;
   * resolves once every connection is gone.
   */
  drain(): Promise<void>;
  /** Stops accepting and destroys every remaining connection (the shutdown deadline passed). */
  destroyAll(): void;
  /** Removes the listeners `trackServer` added. */
  detach(): void;
}

// Node keeps the response being written on a socket in `_httpMessage`. It is not public API, but it is the only
// way to reach an in-flight response from its socket and has been stable since Node 0.x (http-terminator and
// stoppable rely on it too). Without it, in-flight responses could only be found by tracking every request.
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

function closeSocketAfterResponse(res: ServerResponse, socket: Socket): void {
  if (!res.headersSent) {
    // Node sees the header and closes the socket itself once this response is written (`res._last`).
    res.setHeader('Connection', 'close');
    return;
  }
  // Headers already went out saying keep-alive: end the socket (after pending writes flush) when the body is done.
  if (res.writableFinished) socket.end();
  else res.once('finish', () => socket.end());
}

/**
 * Tracks a server's sockets (one Set entry per connection, no per-request work until shutdown) so `drain()`
 * can reach the responses in flight. Attach before `listen()`: earlier connections are not seen.
 */
export function trackServer(server: Server): TrackedServer {
  const sockets = new Set<HttpSocket>();
  let draining: Promise<void> | undefined;

  function onSocketClose(this: HttpSocket): void {
    sockets.delete(this);
  }
  function onConnection(socket: HttpSocket): void {
    sockets.add(socket);
    socket.once('close', onSocketClose);
  }
  // Installed only once draining starts, so the hot path pays nothing: a request that arrives on a kept-alive
  // socket during the drain is answered with `Connection: close`.
  function onRequestWhileDraining(_req: IncomingMessage, res: ServerResponse): void {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  }

  server.on('connection', onConnection);
  // On an https server, 'connection' gives the raw TCP socket, but the response in flight hangs on the TLS socket
  // that wraps it ('secureConnection'): track both, so the drain finds the response and the deadline destroys both.
  const secure = server instanceof TlsServer;
  if (secure) server.on('secureConnection', onConnection);

  function drain(): Promise<void> {
    if (draining) return draining;
    server.prependListener('request', onRequestWhileDraining);
    draining = new Promise<void>((resolve) => {
      // The callback fires once every connection has closed; with an error when the server never listened.
      server.close(() => resolve());
    });
    // Node >= 19 `server.close()` does this too; explicit, as it is the point of the drain.
    server.closeIdleConnections();
    // Finish the busy sockets. A socket with no response yet is still receiving a request:
    // `onRequestWhileDraining` will mark it.
    for (const socket of sockets) {
      const res = socket._httpMessage;
      if (res) closeSocketAfterResponse(res, socket);
    }
    return draining;
  }

  return {
    drain,
    destroyAll() {
      void drain();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
    },
    detach() {
      server.off('connection', onConnection);
      if (secure) server.off('secureConnection', onConnection);
      server.off('request', onRequestWhileDraining);
    },
  };
}
