/** The `sightline` command as a user runs it: a real process through bin/sightline.mjs. */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../electron/server/client.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/sightline.mjs');
let tmp: string;
let env: NodeJS.ProcessEnv;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', cwd: tmp });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-cli-'));
  env = { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'home') };
  cpSync(path.join(ROOT, 'test/fixtures/images'), path.join(tmp, 'photos'), { recursive: true });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sightline CLI', () => {
  it('--help lists the commands', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['import', 'info', 'serve']) expect(r.stdout).toContain(`sightline ${cmd}`);
  });

  it('import --json prints one JSON object with counts and named errors', () => {
    const r = run(['import', 'photos', '--project', 'p.sightline', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.imported).toBeGreaterThanOrEqual(8);
    expect(out.skipped).toBeGreaterThanOrEqual(1);
    expect(out.errors.length).toBeGreaterThanOrEqual(3);
    for (const e of out.errors) {
      expect(path.isAbsolute(e.path)).toBe(true);
      expect(e.reason.length).toBeGreaterThan(5);
    }
    const again = JSON.parse(run(['import', 'photos', '--project', 'p.sightline', '--json']).stdout);
    expect(again.imported).toBe(0);
    expect(again.unchanged).toBe(out.imported);
  });

  it('info --json reports the counts', () => {
    const r = run(['info', '--project', 'p.sightline', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({ annotations: 0, classes: 0, runs: 0 });
    expect(info.images).toBeGreaterThanOrEqual(8);
  });

  it('a folder that does not exist: exit 1, a message naming it, no project created', () => {
    const r = run(['import', 'nowhere', '--project', 'q.sightline', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nowhere.*does not exist/);
    expect(JSON.parse(r.stdout).error.code).toBe('not_found');
    expect(existsSync(path.join(tmp, 'q.sightline'))).toBe(false);
  });

  it('usage errors exit 2', () => {
    expect(run(['import', 'photos']).code).toBe(2);
    expect(run(['frobnicate']).code).toBe(2);
  });

  it('serve prints a sign-in URL on the first line and answers on it', async () => {
    // --no-build: this test is about the server, not about building the renderer (scripts/renderer-build.test.mjs).
    const child = spawn(process.execPath, [BIN, 'serve', '--project', 'p.sightline', '--no-build'], { env, cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          const nl = buf.indexOf('\n');
          if (nl >= 0) resolve(buf.slice(0, nl));
        });
        child.once('exit', (c) => reject(new Error(`serve exited ${c}`)));
      });
      // The one-time code is in the fragment, which a browser never sends to a server (test/security-cli.test.ts).
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#code=[A-Za-z0-9_-]{20,}$/);
      const info = await createHttpClient(url).call('app.info');
      expect(info.project?.name).toBe('p');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
