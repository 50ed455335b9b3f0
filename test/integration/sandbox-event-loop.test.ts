import axios from 'axios';
import { type RunningSandbox, type SandboxStats, startSandbox } from '../../sandboxes/core/server';
import { frontSandbox } from '../../sandboxes/front';

const auth = { headers: { authorization: 'Bearer front-sandbox-token' } };

describe('a sandbox reports how busy its event loop was', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox(frontSandbox, { rate: 100_000 });
  });
  afterAll(() => sandbox.close());

  it('exposes its event-loop utilisation on /__admin/stats, growing as it answers requests', async () => {
    const before = (await axios.get<SandboxStats>(`${sandbox.url}/__admin/stats`)).data;
    expect(before.eventLoop.utilization).toBeGreaterThanOrEqual(0);
    expect(before.eventLoop.utilization).toBeLessThanOrEqual(1);
    for (let i = 0; i < 20; i++) await axios.get(`${sandbox.url}/teammates`, auth);
    const after = (await axios.get<SandboxStats>(`${sandbox.url}/__admin/stats`)).data;
    expect(after.eventLoop.activeMs).toBeGreaterThan(before.eventLoop.activeMs);
    expect(after.eventLoop.activeMs + after.eventLoop.idleMs).toBeGreaterThan(
      before.eventLoop.activeMs + before.eventLoop.idleMs,
    );
  });

  it('gives the same figures in-process, and starts them again on a stats reset', async () => {
    for (let i = 0; i < 20; i++) await axios.get(`${sandbox.url}/teammates`, auth);
    const before = sandbox.stats().eventLoop;
    await axios.post(`${sandbox.url}/__admin/stats-reset`);
    const after = sandbox.stats().eventLoop;
    expect(after.activeMs + after.idleMs).toBeLessThan(before.activeMs + before.idleMs);
    expect(after.utilization).toBeGreaterThanOrEqual(0);
    expect(after.utilization).toBeLessThanOrEqual(1);
  });
});
