/**
 * What any app pays on this machine before its first grid cell, whatever it does (issue 12's start goals): a bare
 * Node HTTP server's start to its URL, a blank page in the already running Chromium, a React page with nothing but
 * 40 cells (React 19 alone, built with the renderer's Vite and plugin), and the renderer's own start bundle served as
 * static files without an API (its first render: the sign-in screen). Each the median of 5.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { build } from 'vite';
import type { launchChromium } from '../test/e2e/chromium.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_DIST = path.resolve(HERE, '../renderer/dist');
const TIMES = 5;

export interface Floors {
  nodeUrl: number[];
  blankPage: number[];
  reactCell: number[];
  /** the renderer's start bundle: bytes of its entry script, and ms from navigation to its first render */
  appShell: number[];
  appShellBytes: number;
  reactBytes: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const floorMedian = median;

async function nodeUrlMs(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['-e', "require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () { console.log('http://127.0.0.1:' + this.address().port) })"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve, reject) => {
    child.stdout!.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`the bare server exited (${code})`)));
  });
  const ms = performance.now() - t0;
  child.kill();
  return ms;
}

/** Serves `/blank`, and the files of `roots[prefix]` under `/<prefix>/`. */
function staticServer(roots: Record<string, string>): Promise<{ base: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/blank') return res.end('<!doctype html><title>blank</title><p>blank</p>');
    const [, prefix, ...rest] = url.pathname.split('/');
    const root = roots[prefix];
    const file = root && path.join(root, rest.join('/') || 'index.html');
    if (!file || !file.startsWith(root)) return res.writeHead(404).end();
    try {
      const body = readFileSync(file);
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() })),
  );
}

export async function measureFloors(browser: Awaited<ReturnType<typeof launchChromium>>, workDir: string): Promise<Floors> {
  const reactDist = path.join(workDir, 'floor-app');
  const out = await build({
    root: path.join(HERE, 'floor-app'),
    base: './',
    logLevel: 'silent',
    configFile: false,
    plugins: [react()],
    build: { outDir: reactDist, emptyOutDir: true, target: 'chrome130', modulePreload: { polyfill: false } },
  });
  const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => ('output' in o ? o.output : []));
  const reactBytes = chunks.reduce((n, c) => n + (c.type === 'chunk' ? Buffer.byteLength(c.code) : 0), 0);
  const entry = /src="\.\/(assets\/index-[^"]+\.js)"/.exec(readFileSync(path.join(RENDERER_DIST, 'index.html'), 'utf8'))?.[1];
  const appShellBytes = entry ? readFileSync(path.join(RENDERER_DIST, entry)).byteLength : NaN;
  const server = await staticServer({ react: reactDist, app: RENDERER_DIST });
  const floors: Floors = { nodeUrl: [], blankPage: [], reactCell: [], appShell: [], appShellBytes, reactBytes };
  try {
    for (let i = 0; i < TIMES; i++) {
      floors.nodeUrl.push(await nodeUrlMs());
      for (const [kind, url, ready] of [
        ['blankPage', `${server.base}/blank`, null],
        ['reactCell', `${server.base}/react/`, '[data-testid="grid-cell"]'],
        ['appShell', `${server.base}/app/`, '#root > *'],
      ] as const) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        try {
          const t0 = performance.now();
          await page.goto(url, { waitUntil: ready ? 'commit' : 'load' });
          if (ready) await page.waitForSelector(ready, { timeout: 30_000 });
          floors[kind].push(performance.now() - t0);
        } finally {
          await page.close();
        }
      }
    }
  } finally {
    server.close();
  }
  return floors;
}
