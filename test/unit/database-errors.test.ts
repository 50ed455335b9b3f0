import {
  classifyDatabaseError,
  DatabaseUnreachableError,
  databaseUnreachable,
  TransientDatabaseError,
} from '../../common/errors';

const withCode = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`failed (${code})`), { code, ...extra });

describe('classifying a database error', () => {
  it.each([
    // Node's network errors: the server is restarting, or a connection was reset or timed out.
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EAI_AGAIN',
    // postgres.js's own codes for a connection that timed out or went away.
    'CONNECT_TIMEOUT',
    'CONNECTION_CLOSED',
    'CONNECTION_DESTROYED',
    // SQLSTATE: connection exceptions, a server shutting down or starting, no connection slot left.
    '08006',
    '08001',
    '57P01',
    '57P02',
    '57P03',
    '53300',
    // mysql2: the connection was lost, or the server has no connection slot left.
    'PROTOCOL_CONNECTION_LOST',
    'ER_CON_COUNT_ERROR',
  ])('%s is transient: a retry may succeed', (code) => {
    expect(classifyDatabaseError(withCode(code))).toBe('transient');
  });

  it('a MySQL error whose SQLSTATE is a connection exception is transient', () => {
    expect(classifyDatabaseError(withCode('ER_NET_READ_ERROR', { sqlState: '08S01' }))).toBe('transient');
  });

  it('a refused connection to each address of a host (an AggregateError) is transient', () => {
    const err = Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''), {
      code: 'ECONNREFUSED',
    });
    expect(classifyDatabaseError(err)).toBe('transient');
    expect(classifyDatabaseError(new AggregateError([withCode('ECONNREFUSED')], ''))).toBe('transient');
  });

  it.each([
    '28P01', // wrong password
    '28000', // no such role / not allowed by pg_hba
    '3D000', // no such database
    'ENOTFOUND', // no such host
    'SASL_SIGNATURE_MISMATCH',
    'ER_ACCESS_DENIED_ERROR',
    'ER_BAD_DB_ERROR',
    'ER_DBACCESS_DENIED_ERROR',
  ])('%s is for a person to fix: the URL or the credentials are wrong', (code) => {
    expect(classifyDatabaseError(withCode(code))).toBe('access');
  });

  it.each(['42P01', '23505', '22P02', '57014', '25006'])('%s is not a connection error', (code) => {
    expect(classifyDatabaseError(withCode(code))).toBeUndefined();
  });

  it('an error without a code is not a connection error', () => {
    expect(classifyDatabaseError(new Error('boom'))).toBeUndefined();
    expect(classifyDatabaseError('boom')).toBeUndefined();
  });

  it('builds the error a person reads: transient ones are retried, both are "unreachable" for the CLI', () => {
    const lost = databaseUnreachable(withCode('ECONNRESET'), 'cannot read', 'check it');
    expect(lost).toBeInstanceOf(TransientDatabaseError);
    expect(lost).toBeInstanceOf(DatabaseUnreachableError);
    expect(lost.toLine()).toBe('cannot read — fix: check it');
    const wrong = databaseUnreachable(withCode('28P01'), 'cannot read', 'check it');
    expect(wrong).toBeInstanceOf(DatabaseUnreachableError);
    expect(wrong).not.toBeInstanceOf(TransientDatabaseError);
  });
});
