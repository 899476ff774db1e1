import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium; `.ci/run` installs it with apt-get. Playwright never downloads a browser here. */
export const CHROMIUM = '/usr/bin/chromium';

/** The UI build the query role serves; `npm install` (prepare) or `npm run build` makes it. */
export const UI_DIST = fileURLToPath(new URL('../../../ui/dist/index.html', import.meta.url));

/** Where browser tests and the UI bench put screenshots (gitignored). */
export const SCREENSHOTS = fileURLToPath(new URL('../../../../test-output/ui/', import.meta.url));

/**
 * Headless chromium with the flags this machine needs: no sandbox (root), no GPU, and
 * none of the background connections a closed network refuses. Playwright gives every
 * launch a fresh temporary profile (--user-data-dir), removed on close.
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Why browser tests cannot run here, or null when they can. */
export function browserTestsUnavailable(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: apt-get install chromium`;
  if (!existsSync(UI_DIST)) return `${UI_DIST} is missing: npm run build`;
  return null;
}
