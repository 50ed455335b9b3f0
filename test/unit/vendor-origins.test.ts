import { ConfigError, PlanError } from '../../common/errors';
import { baseUrlProblem, isLoopbackHost } from '../../common/origins';
import { front } from '../../connectors/front/declaration';
import { RateGovernor } from '../../connectors/kit/governor';
import { LocalBudgetStore } from '../../connectors/kit/budget-stores';
import { VendorClient } from '../../connectors/kit/http';
import { parsePlan } from '../../plan/load';

const planWithBaseUrl = (baseUrl: string) => `version: 1
name: helpdesk
source: { kind: jsonl, directory: . }
target:
  kind: front
  baseUrl: ${baseUrl}
  credentials: { kind: bearer, tokenEnv: FRONT_API_TOKEN }
  inbox: Support
  fallbackTeammate: ops@example.com
objects:
  - name: contacts
    source: { file: contacts.jsonl, id: id }
    target: { resource: contacts, key: email }
    fields:
      - { from: email, to: email }
`;

const clientFor = (baseUrl: string) =>
  new VendorClient(
    front,
    { baseUrl, credentials: { kind: 'bearer', tokenEnv: 'FRONT_API_TOKEN' } },
    {
      governor: new RateGovernor('front-test', front.budget, new LocalBudgetStore()),
      env: { FRONT_API_TOKEN: 'front-token' },
    },
  );

describe('where a vendor credential may be sent', () => {
  it('takes https anywhere, and plain http only to this machine', () => {
    for (const url of [
      'https://api2.frontapp.com',
      'https://acme.zendesk.com/',
      'http://127.0.0.1:8900',
      'http://127.0.0.2:8900/api',
      'http://localhost:8900',
      'http://[::1]:8900',
    ])
      expect(baseUrlProblem(url)).toBeNull();
    expect(baseUrlProblem('http://acme.zendesk.com')).toBe(
      'is http:// to acme.zendesk.com, so the credential would cross the network in clear text; use https:// (plain http is only for a sandbox on this machine: localhost, 127.0.0.1, [::1])',
    );
    expect(baseUrlProblem('http://10.0.0.5:8900')).toMatch(/^is http:\/\/ to 10\.0\.0\.5:8900/);
    expect(baseUrlProblem('http://127.0.0.1.example.com')).toMatch(/^is http:\/\//);
    expect(baseUrlProblem('ftp://files.example.com')).toBe('is a ftp:// URL; use https://');
    expect(baseUrlProblem('https://me:pw@api2.frontapp.com')).toMatch(/holds a user name or password/);
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });

  it('refuses a plan whose baseUrl is plain http to another machine, naming the file, the field and the fix', () => {
    expect(() => parsePlan(planWithBaseUrl('https://api2.frontapp.com'), 'helpdesk.yaml')).not.toThrow();
    expect(() => parsePlan(planWithBaseUrl('http://127.0.0.1:8900'), 'helpdesk.yaml')).not.toThrow();
    let message = '';
    try {
      parsePlan(planWithBaseUrl('http://api2.frontapp.com'), 'helpdesk.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(PlanError);
      message = (err as PlanError).message;
    }
    expect(message).toContain(
      'helpdesk.yaml:6 target.baseUrl: is http:// to api2.frontapp.com, so the credential would cross the network in clear text; use https://',
    );
  });

  it('refuses to build a client that would send the credential in clear text', () => {
    expect(() => clientFor('http://127.0.0.1:8900')).not.toThrow();
    expect(() => clientFor('https://api2.frontapp.com')).not.toThrow();
    const error = (() => {
      try {
        clientFor('http://api2.frontapp.com/');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).toLine()).toBe(
      "front: the base URL http://api2.frontapp.com is http:// to api2.frontapp.com, so the credential would cross the network in clear text; use https:// (plain http is only for a sandbox on this machine: localhost, 127.0.0.1, [::1]) — fix: set baseUrl in the plan to the front API's https:// URL (https://api2.frontapp.com)",
    );
  });
});
