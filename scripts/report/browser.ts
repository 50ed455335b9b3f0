import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { ConfigError } from '../../common/errors';

/**
 * Opens a proof pack page in headless Chromium (the machine's own browser, driven over the DevTools protocol) and
 * reports what a person would get: every request the page made, every console error and uncaught exception, the
 * values it shows (`data-path` elements), how long it took to render, and on request a screenshot and an A4 PDF.
 * The browser test and `scripts/report/screenshot.ts` (the README's picture) share it.
 */

export interface PageVisit {
  /** Every request the page made besides loading its own file (none is allowed). */
  requests: string[];
  /** Console errors, uncaught exceptions and refused loads (a Content-Security-Policy violation is one). */
  errors: string[];
  /** The values the page shows, by their path in the pack's JSON. */
  values: { path: string; text: string }[];
  /** From navigation start to the end of the load event, as the browser measured it (ms). */
  renderMs: number;
  /** The document's height at the visit's width (px). */
  heightPx: number;
  /** Pages of the A4 PDF, when one was printed. */
  pdfPages?: number;
}

export interface VisitOptions {
  /** Width of the window (px). */
  width?: number;
  /** Write a PNG of the top of the page (`clipHeight` px tall), or of the whole page without it. */
  screenshot?: { file: string; clipHeight?: number };
  /** Print the page to an A4 PDF with its print stylesheet. */
  pdf?: string;
}

/** The Chromium to drive: CHROMIUM_PATH, else `chromium` (Debian's package) on the PATH. */
export function chromiumPath(): string {
  const named = process.env.CHROMIUM_PATH;
  if (named) return named;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  throw new ConfigError(
    'no Chromium on this machine',
    'install it (`apt-get install -y chromium`, as .ci/run does) or set CHROMIUM_PATH',
  );
}

export async function visitPage(htmlFile: string, options: VisitOptions = {}): Promise<PageVisit> {
  const url = pathToFileURL(fs.realpathSync(htmlFile)).href;
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in a container has no user namespace for Chromium's sandbox; the page is our own file.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: options.width ?? 1100, height: 900 });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => {
      if (request.url() !== url) requests.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) =>
      errors.push(`exception: ${error instanceof Error ? error.message : String(error)}`),
    );
    page.on('requestfailed', (request) =>
      errors.push(`failed: ${request.url()} ${request.failure()?.errorText ?? ''}`),
    );
    await page.goto(url, { waitUntil: 'load' });
    const measured = JSON.parse(
      (await page.evaluate(`JSON.stringify({
        renderMs: performance.getEntriesByType('navigation')[0].loadEventEnd,
        heightPx: document.documentElement.scrollHeight,
        values: [...document.querySelectorAll('[data-path]')].map((e) => ({ path: e.getAttribute('data-path'), text: e.textContent })),
      })`)) as string,
    ) as Pick<PageVisit, 'renderMs' | 'heightPx' | 'values'>;
    const visit: PageVisit = { requests, errors, ...measured, renderMs: Math.round(measured.renderMs * 10) / 10 };
    if (options.screenshot) {
      const { file, clipHeight } = options.screenshot;
      await page.screenshot({
        path: file,
        ...(clipHeight
          ? { clip: { x: 0, y: 0, width: options.width ?? 1100, height: Math.min(clipHeight, measured.heightPx) } }
          : { fullPage: true }),
      });
    }
    if (options.pdf) {
      const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
      fs.writeFileSync(options.pdf, pdf);
      visit.pdfPages =
        Buffer.from(pdf)
          .toString('latin1')
          .match(/\/Type\s*\/Page\b/g)?.length ?? 0;
    }
    return visit;
  } finally {
    await browser.close();
  }
}
