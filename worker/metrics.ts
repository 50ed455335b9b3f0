import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics } from 'prom-client';
import { ConfigError } from '../common/errors';
import { logger } from '../common/logger';
import { metricsRegistry } from '../common/metrics';

/** Where `tern worker` serves its metrics when TERN_METRICS_PORT is unset (Prometheus exporters' usual 9464). */
export const DEFAULT_WORKER_METRICS_PORT = 9464;

export interface MetricsServer {
  /** The port it listens on (the one chosen when asked for 0). */
  port: number;
  close(): Promise<void>;
}

let processMetrics = false;

/**
 * Serves the process's Prometheus metrics (common/metrics.ts, and Node's own: CPU, memory, event loop) at
 * `GET /metrics` on every interface. Port 0 takes a free port (tests).
 */
export async function serveMetrics(port: number): Promise<MetricsServer> {
  if (!processMetrics) {
    collectDefaultMetrics({ register: metricsRegistry });
    processMetrics = true;
  }
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Tern serves its metrics at /metrics\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A scrape in progress never holds up a worker's shutdown.
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The metrics of a worker process, as its settings say: `TERN_METRICS_PORT` when set (0: none), else
 * `fallbackPort` (`tern worker`: 9464; the CLI's own worker: none). A port set explicitly that is taken fails
 * with the fix; the default port taken (a second worker on the host) is logged, and the worker runs without.
 */
export async function startWorkerMetrics(
  settings: { metricsPort: number | undefined },
  fallbackPort: number | undefined,
): Promise<MetricsServer | undefined> {
  const port = settings.metricsPort ?? fallbackPort;
  if (port === undefined || port === 0) return undefined;
  try {
    const server = await serveMetrics(port);
    logger.info({ port: server.port }, 'serving metrics at /metrics');
    return server;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    if (settings.metricsPort !== undefined)
      throw new ConfigError(
        `TERN_METRICS_PORT ${port} cannot be served (${code === 'EADDRINUSE' ? 'another process listens there' : 'not allowed'})`,
        'set TERN_METRICS_PORT to a free port for this worker, or to 0 to serve no metrics',
      );
    logger.warn(
      { port, code },
      `metrics not served: port ${port} is taken (another worker on this host?); set TERN_METRICS_PORT for this worker`,
    );
    return undefined;
  }
}
