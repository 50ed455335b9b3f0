import { loadSettings, redactUrl as settingsRedactUrl } from '../../common/config';
import { ConfigError } from '../../common/errors';
import { describeConnectionText, redactCredentials, redactUrl } from '../../common/redact';

const SECRET = 'Hunter2-s3cret';

describe('credentials out of printed text (common/redact.ts)', () => {
  it('never prints a DATABASE_URL in keyword form, nor its password', () => {
    const keyword = `host=db.internal port=5432 user=tern password=${SECRET} dbname=staging`;
    expect(redactUrl(keyword)).toBe('[a connection string in keyword form, not shown]');
    expect(describeConnectionText(keyword)).toBe('a connection string in keyword form (host=… password=…)');

    const error = (() => {
      try {
        loadSettings({ DATABASE_URL: keyword });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const line = (error as ConfigError).toLine();
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain('db.internal');
    expect(line).toMatch(/DATABASE_URL is not a PostgreSQL URL \(it is a connection string in keyword form/);
    expect(line).toMatch(/fix: set DATABASE_URL=postgres:\/\/user@host:5432\/dbname/);
  });

  it('hides ?password= and other secret query parameters of a URL, keeping what says where', () => {
    expect(redactUrl(`postgres://tern@db:5432/staging?sslmode=require&password=${SECRET}`)).toBe(
      'postgres://tern@db:5432/staging?sslmode=require&password=***',
    );
    expect(redactUrl(`postgres://tern:${SECRET}@db:5432/staging?sslpassword=${SECRET}`)).toBe(
      'postgres://tern:***@db:5432/staging?sslpassword=***',
    );
    expect(redactUrl('postgres://tern@db/staging?application_name=x')).toBe(
      'postgres://tern@db/staging?application_name=x',
    );
    expect(redactUrl('not a url')).toBe('[not a URL, not shown]');
    // The settings' redactUrl is this one.
    expect(settingsRedactUrl(`postgres://u@h/d?password=${SECRET}`)).not.toContain(SECRET);
  });

  it.each([
    [
      'a URL password',
      `cannot connect to postgres://tern:${SECRET}@db:5432/staging`,
      'cannot connect to postgres://tern:***@db:5432/staging',
    ],
    ['a URL password holding an @', `mysql://root:${SECRET}@x@db/legacy failed`, 'mysql://root:***@db/legacy failed'],
    ['a keyword-form password', `host=db password=${SECRET} dbname=x`, 'host=db password=*** dbname=x'],
    ['a quoted keyword-form password', `host=db password='${SECRET} it\\'s' dbname=x`, 'host=db password=*** dbname=x'],
    [
      'a semicolon form',
      `Server=db;User Id=sa;Password=${SECRET};Database=legacy`,
      'Server=db;User Id=sa;Password=***;Database=legacy',
    ],
    ['?password=', `GET /db?user=u&password=${SECRET}&sslmode=require`, 'GET /db?user=u&password=***&sslmode=require'],
    ['?api_key=', `GET https://x.example/api?page=2&api_key=${SECRET}`, 'GET https://x.example/api?page=2&api_key=***'],
    ['a bearer token', `Authorization: Bearer ${SECRET}`, 'Authorization: Bearer ***'],
    [
      'a basic token',
      `authorization: Basic ${Buffer.from(`a@b.c/token:${SECRET}`).toString('base64')}`,
      'authorization: Basic ***',
    ],
    [
      'an error input (TypeError: Invalid URL)',
      `{"code":"ERR_INVALID_URL","input":"host=h password=${SECRET}"}`,
      `{"code":"ERR_INVALID_URL","input":"host=h password=***"}`,
    ],
  ])('hides %s in free text', (_what, text, expected) => {
    expect(redactCredentials(text)).toBe(expected);
    expect(redactCredentials(text)).not.toContain(SECRET);
  });

  it('leaves text without credentials as it is', () => {
    for (const text of [
      'object "customers" (source query): the id column "id" is not among its columns',
      'GET /contacts?page_token=abc&limit=50',
      'https://api2.frontapp.com/contacts?limit=1',
      'key column "legacy_id" must be mapped from the source id',
    ])
      expect(redactCredentials(text)).toBe(text);
  });
});
