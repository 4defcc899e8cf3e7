import net from 'node:net';

/**
 * A loopback TCP proxy in front of a real database server. `down()` drops every open connection and resets
 * new ones (what clients see while the server restarts); `up()` forwards again.
 */
export interface TcpProxy {
  readonly port: number;
  down(): void;
  up(): void;
  /** A hung server: connections stay open but nothing is forwarded either way, new ones included. */
  stall(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let isDown = false;
  let stalled = false;
  const server = net.createServer((client) => {
    if (isDown) {
      client.resetAndDestroy();
      return;
    }
    sockets.add(client);
    if (stalled) {
      client.on('error', () => client.destroy());
      return;
    }
    const upstream = net.connect(upstreamPort, upstreamHost);
    sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  return {
    port: address.port,
    down() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    up() {
      isDown = false;
    },
    stall() {
      stalled = true;
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
