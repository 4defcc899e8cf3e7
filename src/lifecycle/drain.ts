import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket, Server as TlsServer } from 'node:tls';

/**
 * How long a connection with no request in flight is left open once the drain starts. A keep-alive client
 * under load sends its next request within milliseconds of the previous response: that request is served with
 * `Connection: close` instead of meeting a closed socket. Past this, a connection that is silent, idle or still
 * sending a request's headers or body is closed.
 */
const DRAIN_IDLE_GRACE_MS = 1_000;

/** A server whose connections are tracked so that shutdown can finish them cleanly. */
export interface TrackedServer {
  /**
   * Stops accepting, answers in-flight requests with `Connection: close`, closes the connections with no
   * request in flight after {@link DRAIN_IDLE_GRACE_MS}; resolves once every connection is gone.
   */
  drain(): Promise<void>;
  /** Stops accepting and destroys every remaining connection (the shutdown deadline passed). */
  destroyAll(): void;
  /** Removes the listeners `trackServer` added. */
  detach(): void;
}

/** Options of {@link trackServer}. */
export interface TrackServerOptions {
  /** Default {@link DRAIN_IDLE_GRACE_MS}. */
  readonly idleGraceMs?: number;
}

// Node keeps the response being written on a socket in `_httpMessage`. It is not public API, but it is the only
// way to reach an in-flight response from its socket and has been stable since Node 0.x (http-terminator and
// stoppable rely on it too). Without it, in-flight responses could only be found by tracking every request.
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };
type ClosableServer = Server & { closeIdleConnections(): void };

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

/** A response is in flight and its request has fully arrived: its handler runs and will answer. */
function servingCompleteRequest(socket: HttpSocket): ServerResponse | undefined {
  const res = socket._httpMessage;
  if (!res || res.writableFinished) return undefined;
  const req = (res as ServerResponse & { req?: IncomingMessage }).req;
  return req === undefined || req.complete ? res : undefined;
}

/** Closes the listening socket without Node's `closeIdleConnections()` (Node >= 19 runs it in `close()`). */
function stopAccepting(server: ClosableServer, done: () => void): void {
  // Node destroys idle keep-alive sockets there; one whose client is writing its next request at that moment
  // then resets that request (ECONNRESET). The drain closes idle sockets itself, after the grace period.
  server.closeIdleConnections = () => {};
  try {
    server.close(() => done());
  } finally {
    delete (server as Partial<ClosableServer>).closeIdleConnections;
  }
}

/** The open sockets of a server, and which TCP sockets carry a TLS socket. */
interface SocketRegistry {
  readonly sockets: Set<HttpSocket>;
  /** TCP sockets under a TLS socket: they carry no response themselves. */
  readonly wrapped: WeakSet<Socket>;
  /** Stops listening for new connections. */
  detach(): void;
}

/** One Set entry per connection, removed on close: the only per-connection cost outside a drain. */
function registerSockets(server: Server): SocketRegistry {
  const sockets = new Set<HttpSocket>();
  // TCP sockets that carry a TLS socket, found by their peer address (public API only): the TLS socket's
  // remote address and port are its TCP socket's.
  const wrapped = new WeakSet<Socket>();
  function onSocketClose(this: HttpSocket): void {
    sockets.delete(this);
  }
  function onConnection(socket: HttpSocket): void {
    sockets.add(socket);
    socket.once('close', onSocketClose);
  }
  function onSecureConnection(tlsSocket: HttpSocket): void {
    onConnection(tlsSocket);
    for (const socket of sockets) {
      if (
        socket !== tlsSocket &&
        !(socket instanceof TLSSocket) &&
        socket.remotePort === tlsSocket.remotePort &&
        socket.remoteAddress === tlsSocket.remoteAddress
      ) {
        wrapped.add(socket);
        break;
      }
    }
  }
  server.on('connection', onConnection);
  // On an https server, 'connection' gives the raw TCP socket, but the response in flight hangs on the TLS socket
  // that wraps it ('secureConnection'): track both, so the drain finds the response and the deadline destroys both.
  const secure = server instanceof TlsServer;
  if (secure) server.on('secureConnection', onSecureConnection);
  return {
    sockets,
    wrapped,
    detach() {
      server.off('connection', onConnection);
      if (secure) server.off('secureConnection', onSecureConnection);
    },
  };
}

// Installed only once draining starts, so the hot path pays nothing: a request that arrives on a kept-alive
// socket during the drain is answered with `Connection: close`, and Node closes the socket after it.
function onRequestWhileDraining(_req: IncomingMessage, res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}

/**
 * Tracks a server's sockets (one Set entry per connection, no per-request work until shutdown) so `drain()`
 * can reach the responses in flight. Attach before `listen()`: earlier connections are not seen.
 */
export function trackServer(server: Server, options: TrackServerOptions = {}): TrackedServer {
  const idleGraceMs = options.idleGraceMs ?? DRAIN_IDLE_GRACE_MS;
  const { sockets, wrapped, detach: stopRegistering } = registerSockets(server);
  let draining: Promise<void> | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;

  // Grace over: what still has no complete request in flight (silent, idle keep-alive, slow headers or body)
  // is closed; what is being served finishes and closes after its response.
  function closeUnserved(): void {
    graceTimer = undefined;
    for (const socket of sockets) {
      // The TCP socket under a TLS socket carries no response: closing it would cut the request its TLS
      // socket is serving. The TLS socket decides for both.
      if (wrapped.has(socket)) continue;
      const res = servingCompleteRequest(socket);
      if (res) closeSocketAfterResponse(res, socket);
      else socket.destroy();
    }
  }

  function drain(): Promise<void> {
    if (draining) return draining;
    server.prependListener('request', onRequestWhileDraining);
    draining = new Promise<void>((resolve) => {
      // The callback fires once every connection has closed; with an error when the server never listened.
      stopAccepting(server as ClosableServer, resolve);
    });
    for (const socket of sockets) {
      const res = socket._httpMessage;
      if (res) closeSocketAfterResponse(res, socket);
    }
    if (sockets.size > 0) {
      // Unref'd: the grace period never keeps a process alive by itself.
      graceTimer = setTimeout(closeUnserved, idleGraceMs);
      graceTimer.unref();
    }
    return draining;
  }

  function clearGrace(): void {
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    graceTimer = undefined;
  }

  return {
    drain,
    destroyAll() {
      void drain();
      clearGrace();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
    },
    detach() {
      clearGrace();
      stopRegistering();
      server.off('request', onRequestWhileDraining);
    },
  };
}
