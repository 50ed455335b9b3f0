import pino from 'pino';

/**
 * The one structured logger. Fields whose names suggest credentials are redacted wherever they appear,
 * so a connector that logs a request or a config object cannot leak a secret.
 */
export const logger = pino({
  name: 'tern',
  level: process.env.TERN_LOG_LEVEL ?? 'info',
  redact: {
    paths: [
      'password',
      '*.password',
      'token',
      '*.token',
      'authorization',
      '*.authorization',
      'headers.authorization',
      '*.headers.authorization',
      'databaseUrl',
      '*.databaseUrl',
    ],
    censor: '[redacted]',
  },
});

export type Logger = typeof logger;
