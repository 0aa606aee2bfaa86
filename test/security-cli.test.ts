/**
 * `sightline serve` as a separate process, attacked from outside (issue 11): the printed URL and a spawned browser
 * must not carry the bearer secret, special files in an imported folder must not hang or bloat the server, and
 * what Sightline writes must be private to the user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../electron/server/client.js';

const BIN = path.resolve(import.meta.dirname, '../bin/sightline.mjs');
const TOKEN = 'cli-test-bearer-secret-0123456789abcdef';
let tmp: string;

interface Served {
  child: ChildProcess;
  url: string;
  origin: string;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts `sightline serve` (with umask 022, as a login shell has it) and waits for the URL on its first line. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn('sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, BIN, 'serve', '--no-build', ...args], {
    env: { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'home'), SIGHTLINE_TOKEN: TOKEN, DISPLAY: '', WAYLAND_DISPLAY: '', ...env },
    cwd: tmp,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once('exit', (c) => reject(new Error(`serve exited ${c}: ${err}`)));
  });
  return {
    child,
    url,
    origin: new URL(url).origin,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const bearer = { Authorization: `Bearer ${TOKEN}` };

async function get(s: Served, p: string, ms = 1000): Promise<{ status: number; body: Buffer; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${s.origin}${p}`, { headers: bearer, signal: AbortSignal.timeout(ms) });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), ms: performance.now() - t0 };
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

/** The serve process is `sh` exec'ing node: the same pid. */
const pidOf = (s: Served) => s.child.pid!;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-security-cli-'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('credentials of `sightline serve`', () => {
  let s: Served;
  beforeAll(async () => {
    mkdirSync(path.join(tmp, 'p'));
    s = await serve(['--project', path.join(tmp, 'p')]);
  });
  afterAll(() => s?.stop());

  it('prints a launch URL whose one-time code sits in the fragment, and takes its bearer secret from SIGHTLINE_TOKEN', async () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#code=[A-Za-z0-9_-]{20,}$/);
    expect(s.url).not.toContain(TOKEN);
    const info = await fetch(`${s.origin}/api/app.info`, { method: 'POST', headers: { ...bearer, 'Content-Type': 'application/json' }, body: '{}' });
    expect(info.status).toBe(200);
    const code = new URL(s.url).hash.slice('#code='.length);
    const exchange = () => fetch(`${s.origin}/auth/exchange`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
    const first = await exchange();
    expect(first.status).toBe(200);
    expect(first.headers.get('set-cookie')).toBeNull();
    const { result } = (await first.json()) as { result: { session: string } };
    expect(result.session).not.toBe(TOKEN);
    expect((await exchange()).status).toBe(401);
    const client = createHttpClient(s.origin, { token: result.session });
    expect((await client.call('app.info')).project?.name).toBe('p');
  });

  it('lets the Node client sign in with the printed URL, as a browser would', async () => {
    mkdirSync(path.join(tmp, 'p2'));
    const again = await serve(['--project', path.join(tmp, 'p2')]);
    try {
      expect((await createHttpClient(again.url).call('app.info')).project?.name).toBe('p2');
    } finally {
      await again.stop();
    }
  });
});

describe('serve --open', () => {
  it('hands the browser no secret on its command line: a private launch file, spent once used', async () => {
    const stubDir = path.join(tmp, 'stub-bin');
    mkdirSync(stubDir, { recursive: true });
    const record = path.join(tmp, 'chromium-record');
    // The stub records its arguments and, like Chromium, reads the page --app names.
    writeFileSync(
      path.join(stubDir, 'chromium'),
      `#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a" >> "${record}.args"; done
for a in "$@"; do case "$a" in --app=file://*) f="\${a#--app=file://}"; stat -c %a "$f" > "${record}.mode"; cat "$f" > "${record}.page";; esac; done
touch "${record}.done"
`,
    );
    chmodSync(path.join(stubDir, 'chromium'), 0o755);
    mkdirSync(path.join(tmp, 'open'));
    const s = await serve(['--project', path.join(tmp, 'open'), '--open'], { PATH: `${stubDir}:${process.env.PATH}`, DISPLAY: ':99' });
    try {
      for (let i = 0; i < 200 && !existsSync(`${record}.done`); i++) await new Promise((r) => setTimeout(r, 25));
      const args = readFileSync(`${record}.args`, 'utf8');
      expect(args).not.toContain(TOKEN);
      expect(args).not.toContain(new URL(s.url).hash.slice('#code='.length));
      expect(args).not.toMatch(/[#?&](code|token)=/);
      expect(args).toMatch(/^--app=file:\/\//m);
      expect(readFileSync(`${record}.mode`, 'utf8').trim()).toBe('600');
      const page = readFileSync(`${record}.page`, 'utf8');
      const launch = /(http:\/\/127\.0\.0\.1:\d+\/#code=[A-Za-z0-9_-]+)/.exec(page)![1];
      expect(new URL(launch).origin).toBe(s.origin);
      // The page's code signs in once; the launch file is gone once it is spent.
      expect((await createHttpClient(launch).call('app.info')).project?.name).toBe('open');
      const appFile = /^--app=file:\/\/(.*)$/m.exec(args)![1];
      for (let i = 0; i < 40 && existsSync(decodeURIComponent(appFile)); i++) await new Promise((r) => setTimeout(r, 25));
      expect(existsSync(decodeURIComponent(appFile))).toBe(false);
      await expect(createHttpClient(launch).call('app.info')).rejects.toMatchObject({ code: 'unauthorized' });
    } finally {
      await s.stop();
    }
  });
});

describe('special files in an imported folder', () => {
  let s: Served;
  let folder: string;
  const ids = new Map<string, number>();

  beforeAll(async () => {
    folder = path.join(tmp, 'special');
    mkdirSync(folder);
    // Distinct images: thumbnails are cached by content hash, and each request here must reach its file.
    for (const [i, name] of ['fifo1', 'fifo2', 'zero', 'ok1', 'ok2', 'ok3'].entries()) {
      await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 40 * i, g: 100, b: 200 } } }).jpeg().toFile(path.join(folder, `${name}.jpg`));
    }
    s = await serve(['--project', folder]);
    const client = createHttpClient(s.origin, { token: TOKEN });
    for (;;) {
      const jobs = await client.call('jobs.list');
      if (jobs.length > 0 && jobs.every((j) => j.state !== 'running')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const row of (await client.call('images.list', {})).items) ids.set(row.relPath, row.id);
    expect(ids.size).toBe(6);
    for (const name of ['fifo1', 'fifo2']) {
      rmSync(path.join(folder, `${name}.jpg`));
      expect(spawnSync('mkfifo', [path.join(folder, `${name}.jpg`)]).status).toBe(0);
    }
    rmSync(path.join(folder, 'zero.jpg'));
    symlinkSync('/dev/zero', path.join(folder, 'zero.jpg'));
  });
  afterAll(() => s?.stop());

  it('answers thumbnails of FIFOs at once, and the next thumbnail after them', async () => {
    for (const name of ['fifo1', 'fifo2']) {
      for (const variant of ['thumb', 'image']) {
        const r = await get(s, `/${variant}/${ids.get(`${name}.jpg`)}`);
        expect(r.status, `${variant} ${name}`).toBeGreaterThanOrEqual(400);
      }
    }
    const next = await get(s, `/thumb/${ids.get('ok1.jpg')}`);
    expect(next.status).toBe(200);
  });

  it('refuses a symlink to /dev/zero at once, and its memory stays flat', async () => {
    const before = rssKiB(pidOf(s));
    for (const variant of ['thumb', 'image']) {
      const r = await get(s, `/${variant}/${ids.get('zero.jpg')}`);
      expect(r.status, variant).toBeGreaterThanOrEqual(400);
    }
    await new Promise((r) => setTimeout(r, 500));
    const next = await get(s, `/thumb/${ids.get('ok2.jpg')}`);
    expect(next.status).toBe(200);
    expect(rssKiB(pidOf(s)) - before).toBeLessThan(64 * 1024);
  });

  it('reports FIFOs and devices met by a rescan as what they are, without hanging', async () => {
    const client = createHttpClient(s.origin, { token: TOKEN });
    const { jobId } = await client.call('images.rescan');
    let job;
    const end = Date.now() + 5000;
    do {
      job = await client.call('jobs.get', { id: jobId });
      if (job.state === 'running') await new Promise((r) => setTimeout(r, 50));
    } while (job.state === 'running' && Date.now() < end);
    expect(job.state).toBe('done');
    const result = job.result as { errors: { path: string; reason: string }[]; notes?: { path: string; reason: string }[] };
    const all = [...result.errors, ...(result.notes ?? [])];
    expect(all).toEqual(
      expect.arrayContaining([
        { path: path.join(folder, 'fifo1.jpg'), reason: expect.stringMatching(/FIFO/) },
        { path: path.join(folder, 'zero.jpg'), reason: expect.stringMatching(/outside the folder|device/) },
      ]),
    );
  });
});

describe('private files', () => {
  const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

  it('makes SIGHTLINE_HOME, its folders and caches 0700 and every file in them 0600', async () => {
    const home = path.join(tmp, 'private-home');
    const folder = path.join(tmp, 'private-photos');
    mkdirSync(folder);
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#123456' } }).png().toFile(path.join(folder, 'a.png'));
    const s = await serve(['--project', folder], { SIGHTLINE_HOME: home });
    try {
      const client = createHttpClient(s.origin, { token: TOKEN });
      for (;;) {
        const jobs = await client.call('jobs.list');
        if (jobs.length > 0 && jobs.every((j) => j.state !== 'running')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const id = (await client.call('images.list', {})).items[0].id;
      expect((await get(s, `/thumb/${id}`)).status).toBe(200);
      const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => [path.join(dir, e.name), ...(e.isDirectory() ? walk(path.join(dir, e.name)) : [])]);
      const entries = [home, ...walk(home)];
      expect(entries.some((e) => e.endsWith('.sightline'))).toBe(true);
      expect(entries.some((e) => e.endsWith('.webp'))).toBe(true);
      expect(entries.some((e) => e.endsWith('recent.json'))).toBe(true);
      for (const e of entries) expect(`${path.relative(home, e)} ${mode(e)}`).toBe(`${path.relative(home, e)} ${statSync(e).isDirectory() ? '700' : '600'}`);
    } finally {
      await s.stop();
    }
  });

  it('creates project files from the CLI as 0600', () => {
    const r = spawnSync('sh', ['-c', 'umask 022 && exec "$0" "$@"', process.execPath, BIN, 'import', path.join(tmp, 'private-photos'), '--project', 'cli.sightline'], {
      cwd: tmp,
      env: { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'home') },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(mode(path.join(tmp, 'cli.sightline'))).toBe('600');
  });
});
