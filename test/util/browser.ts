/**
 * Headless Chromium for the `bevbuild ui` suites: Debian's `chromium` (installed by
 * `.ci/install-browser.sh`, which `npm test` runs first for suites that call `startBrowser`),
 * driven over the DevTools protocol by puppeteer-core — no browser download.
 * BEVBUILD_CHROMIUM points at another binary.
 */
import puppeteer, {type Browser} from 'puppeteer-core';

export const CHROMIUM = process.env['BEVBUILD_CHROMIUM'] ?? '/usr/bin/chromium';

/** Launches a headless browser; dispose with `await using`. */
export async function startBrowser(): Promise<Browser & AsyncDisposable> {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespace sandbox; /dev/shm is small on CI machines.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
  return Object.assign(browser, {[Symbol.asyncDispose]: () => browser.close()});
}
