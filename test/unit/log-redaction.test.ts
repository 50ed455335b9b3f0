import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions, redactForLog } from '../../common/logger';

const SECRET = 'pl4nted-s3cret-value';
const EMAIL = 'grace.hopper@example.org';

/** A database driver's error as postgres.js throws it: its detail and parameters quote the row. */
function driverError(): Error {
  return Object.assign(new Error('null value in column "name" of relation "customers" violates not-null constraint'), {
    code: '23502',
    detail: `Failing row contains (42, ${EMAIL}, null).`,
    parameters: [42, EMAIL],
    query: 'insert into customers (id, email, name) values ($1, $2, $3)',
  });
}

describe('log redaction (common/logger.ts)', () => {
  it('removes credentials from free text in messages and stacks (common/redact.ts), and in the message logged', () => {
    const error = new Error(`cannot connect to postgres://tern:${SECRET}@db:5432/staging with Bearer ${SECRET}`);
    const logged = JSON.stringify(redactForLog(error));
    expect(logged).not.toContain(SECRET);
    expect(logged).toContain('postgres://tern:***@db:5432/staging');
  });

  it('redacts nested errors: causes, their credential fields and the record content they quote', () => {
    const request = Object.assign(new Error(`request to https://user:${SECRET}@api.example failed`), {
      config: { headers: { Authorization: `Bearer ${SECRET}`, 'X-Api-Key': SECRET }, url: 'https://api.example' },
      response: { status: 400, body: { errors: [{ message: `${EMAIL} is taken` }] } },
    });
    const outer = new Error('page failed', { cause: new Error('write failed', { cause: [request, driverError()] }) });
    const logged = JSON.stringify(
      redactForLog({ err: outer, migration: { databaseUrl: `postgres://a:${SECRET}@h/d` } }),
    );
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain(EMAIL);
    // What says which failure and where stays.
    for (const kept of ['page failed', 'write failed', 'not-null constraint', '23502', 'insert into customers', '400'])
      expect(logged).toContain(kept);
  });

  it('survives cycles, depth, byte buffers and long arrays', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i++) deep = { deep };
    const out = JSON.stringify(
      redactForLog({ loop, deep, bytes: Buffer.from(EMAIL), list: Array.from({ length: 100 }, (_, i) => i) }),
    );
    expect(out).toContain('[circular]');
    // An object met twice, but not inside itself, is printed both times.
    const key = { id: 'k1', secret: SECRET };
    expect(redactForLog({ current: key, byId: new Map([['k1', key]]) })).toEqual({
      current: { id: 'k1', secret: '[redacted]' },
      byId: { k1: { id: 'k1', secret: '[redacted]' } },
    });
    expect(out).toContain('[deeper]');
    expect(out).toContain(`[${EMAIL.length} bytes]`);
    expect(out).toContain('[80 more]');
    expect(out).not.toContain(EMAIL);
  });

  it("the logger's lines carry none of it, whatever is logged: an error, an object, a message", () => {
    let written = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    // Tern's logger's options, on a stream the test reads.
    const log = pino({ ...loggerOptions, level: 'info' }, sink);
    log.error(driverError());
    log.warn({ err: new Error('outer', { cause: driverError() }), token: SECRET }, 'load page failed');
    log.info(`connected to postgres://tern:${SECRET}@db/staging`);
    expect(written.trim().split('\n')).toHaveLength(3);
    expect(written).not.toContain(SECRET);
    expect(written).not.toContain(EMAIL);
    expect(written).toContain('not-null constraint');
  });
});
