import fs from 'node:fs';
import path from 'node:path';
import { WORKER_NODE_FLAGS } from '../../worker/node-flags';

/**
 * `npm run worker` starts the worker with node's own flags written in package.json (npm cannot import them), and
 * the benches' worker processes take `WORKER_NODE_FLAGS`: both must start the worker the same way.
 */
describe('worker node flags', () => {
  test('npm run worker starts the worker with WORKER_NODE_FLAGS', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const words = pkg.scripts.worker!.split(/\s+/);
    expect(words[0]).toBe('node');
    const flags = words.slice(1, words.indexOf('--import'));
    expect(flags).toEqual([...WORKER_NODE_FLAGS]);
  });
});
