import net from 'node:net';

/**
 * A TCP proxy in front of a database, for losing connections on purpose: it can refuse the next connections
 * (reset as soon as they are accepted, as a server restarting does) or cut the next forwarded connection once
 * the server has sent a given number of bytes (a connection reset mid-read). Everything else is forwarded.
 */
export class TcpProxy {
  /** Connections accepted so far (refused ones included). */
  connections = 0;
  /** Connections reset as soon as they were accepted. */
  refused = 0;
  /** Forwarded connections reset mid-stream. */
  cut = 0;
  private refuse = 0;
  private cutAfterBytes: number | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Starts a proxy on a free loopback port in front of `upstream` (a postgres:// URL). */
  static async start(upstream: string): Promise<TcpProxy> {
    const url = new URL(upstream);
    const proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** The next `n` connections are reset as soon as they are accepted. */
  refuseNext(n: number): void {
    this.refuse = n;
  }

  /** The next forwarded connection is reset once the server has sent at least `bytes` bytes on it. */
  cutNextAfter(bytes: number): void {
    this.cutAfterBytes = bytes;
  }

  /** Forgets armed faults and counts (between tests). */
  reset(): void {
    this.refuse = 0;
    this.cutAfterBytes = undefined;
    this.connections = 0;
    this.refused = 0;
    this.cut = 0;
  }

  private accept(client: net.Socket): void {
    this.connections += 1;
    this.track(client);
    if (this.refuse > 0) {
      this.refuse -= 1;
      this.refused += 1;
      client.resetAndDestroy();
      return;
    }
    const cutAt = this.cutAfterBytes;
    this.cutAfterBytes = undefined;
    const upstream = net.connect(this.upstreamPort, this.upstreamHost);
    this.track(upstream);
    let sent = 0;
    upstream.on('data', (chunk: Buffer) => {
      if (client.destroyed) return;
      client.write(chunk);
      sent += chunk.length;
      if (cutAt !== undefined && sent >= cutAt) {
        this.cut += 1;
        client.resetAndDestroy();
        upstream.destroy();
      }
    });
    client.on('data', (chunk: Buffer) => {
      if (!upstream.destroyed) upstream.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
