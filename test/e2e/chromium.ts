/** Debian's Chromium driven by playwright-core: `npx playwright install` cannot download a browser here. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const DIST = path.resolve(__dirname, '../../renderer/dist');

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.SIGHTLINE_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error(`${DIST}/index.html is missing: run \`npm run build\` first (npm test does).`);
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium (or set SIGHTLINE_CHROMIUM).`);
  return chromium.launch({
    executablePath,
    // Without the background-networking flags Chromium keeps dialing Google on this closed network.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--test-type'],
  });
}
