import fs from 'node:fs';
import { explain } from '../exit-codes';
import { visitPage } from './browser';

/**
 * `tsx scripts/report/screenshot.ts <pack.html> <out.png> [--height 1500]`: a picture of the top of a proof pack
 * page as headless Chromium renders it (the README's is made this way from the demo's pack), with the page's
 * size, render time, requests and console errors as one JSON line.
 */
async function main(): Promise<number> {
  const [html, png, ...rest] = process.argv.slice(2);
  if (!html || !png) {
    console.error('usage: tsx scripts/report/screenshot.ts <pack.html> <out.png> [--height 1500]');
    return 2;
  }
  const height = rest[0] === '--height' ? Number(rest[1]) : 1500;
  const visit = await visitPage(html, { screenshot: { file: png, clipHeight: height } });
  console.log(
    JSON.stringify({
      html,
      bytes: fs.statSync(html).size,
      renderMs: visit.renderMs,
      requests: visit.requests.length,
      errors: visit.errors,
      png,
      pngBytes: fs.statSync(png).size,
    }),
  );
  return visit.requests.length === 0 && visit.errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const { line, code } = explain(err);
    console.error(`screenshot: ${line}`);
    process.exit(code);
  },
);
