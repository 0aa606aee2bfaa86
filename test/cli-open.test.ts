/**
 * `sightline serve --open` (issue 10, "small things"): as root Chromium needs --no-sandbox, and when the browser
 * exits at once the reason printed is the line of its log that says why. The arguments are checked by starting the
 * real Chromium with them where one is installed (headless, so no display is needed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumAppArgs, lastErrorLine } from '../electron/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-open-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the app window', () => {
  it('adds --no-sandbox as root only', () => {
    expect(chromiumAppArgs('file:///x.html', '/p', true)).toContain('--no-sandbox');
    expect(chromiumAppArgs('file:///x.html', '/p', false)).not.toContain('--no-sandbox');
    expect(chromiumAppArgs('file:///x.html', '/p', false)[0]).toBe('--app=file:///x.html');
  });

  it("names Chromium's own reason for stopping", () => {
    const log = [
      '[123:123:1207/001122.333:WARNING:chrome_main.cc(10)] something minor',
      '[123:123:1207/001122.334:ERROR:zygote_host_impl_linux.cc(101)] Running as root without --no-sandbox is not supported. See https://crbug.com/638180.',
      '',
    ].join('\n');
    expect(lastErrorLine(log)).toBe('Running as root without --no-sandbox is not supported. See https://crbug.com/638180.');
    expect(lastErrorLine('just one line\n')).toBe('just one line');
    expect(lastErrorLine('\n\n')).toBeNull();
  });

  it.skipIf(!existsSync(CHROMIUM) || process.getuid?.() !== 0)('as root, the real Chromium starts with these arguments and fails without them', () => {
    const run = (root: boolean) =>
      spawnSync(CHROMIUM, [...chromiumAppArgs('about:blank', path.join(tmp, `profile-${root}`), root), '--headless', '--disable-gpu', '--dump-dom', 'about:blank'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const without = run(false);
    expect(without.status).not.toBe(0);
    expect(lastErrorLine(without.stderr)).toMatch(/no-sandbox/);
    const withFlag = run(true);
    expect(withFlag.status, withFlag.stderr).toBe(0);
  }, 90_000);
});
