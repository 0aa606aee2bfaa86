/**
 * The CLI compiled ahead (issue 10, scripts/cli-build.mjs): when bin/sightline.mjs runs the bundle and when it falls
 * back to tsx, and that the bundle works as a user runs it. The process tests build a copy of the sources in a temp
 * folder (node_modules linked), so they neither depend on nor disturb the checkout's own dist-cli/, which goes stale
 * whenever a source is edited.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../electron/server/client.js';
import { CLI_BUILD_DIR, compiledCli, staleInput } from '../scripts/cli-build.mjs';

const ROOT = path.resolve(__dirname, '..');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('compiledCli: the bundle runs only while every file it was built from is as it was', () => {
  let dir: string;
  const manifest = (inputs: Record<string, [number, number]>, extra: Record<string, unknown> = {}) => {
    mkdirSync(path.join(dir, CLI_BUILD_DIR), { recursive: true });
    writeFileSync(path.join(dir, CLI_BUILD_DIR, 'manifest.json'), JSON.stringify({ version: 1, entry: 'cli.js', inputs, ...extra }));
  };
  const stamp = (rel: string): [number, number] => {
    const st = statSync(path.join(dir, rel));
    return [st.mtimeMs, st.size];
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-fresh-'));
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src/a.ts'), 'export const a = 1;\n');
    writeFileSync(path.join(dir, 'src/b.ts'), 'export const b = 2;\n');
    utimesSync(path.join(dir, 'src/a.ts'), 1_700_000_000, 1_700_000_000);
    utimesSync(path.join(dir, 'src/b.ts'), 1_700_000_100, 1_700_000_100);
    mkdirSync(path.join(dir, CLI_BUILD_DIR));
    writeFileSync(path.join(dir, CLI_BUILD_DIR, 'cli.js'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('no build: tsx, and says how to build', () => {
    const r = compiledCli(path.join(dir, 'src'));
    expect(r.file).toBeNull();
    expect(r.why).toMatch(/not built.*npm run build:cli/);
  });

  it('every input unchanged: the bundle', () => {
    manifest({ 'src/a.ts': stamp('src/a.ts'), 'src/b.ts': stamp('src/b.ts') });
    expect(compiledCli(dir)).toEqual({ file: path.join(dir, CLI_BUILD_DIR, 'cli.js'), why: expect.stringContaining('up to date') });
    // The root as bin/sightline.mjs computes it, with a trailing separator.
    expect(compiledCli(dir + path.sep).file).toBe(path.join(dir, CLI_BUILD_DIR, 'cli.js'));
  });

  it('a source touched after the build: tsx, naming the file', () => {
    manifest({ 'src/a.ts': stamp('src/a.ts'), 'src/b.ts': stamp('src/b.ts') });
    utimesSync(path.join(dir, 'src/b.ts'), 1_700_000_200, 1_700_000_200);
    expect(compiledCli(dir)).toEqual({ file: null, why: 'src/b.ts changed since the CLI was compiled' });
    utimesSync(path.join(dir, 'src/b.ts'), 1_700_000_100, 1_700_000_100);
    expect(compiledCli(dir).file).not.toBeNull();
  });

  it('an older mtime (a file put back) or another size also counts as a change', () => {
    manifest({ 'src/a.ts': stamp('src/a.ts') });
    utimesSync(path.join(dir, 'src/a.ts'), 1_600_000_000, 1_600_000_000);
    expect(staleInput(dir, { 'src/a.ts': [1_700_000_000_000, stamp('src/a.ts')[1]] })).toBe('src/a.ts');
    utimesSync(path.join(dir, 'src/a.ts'), 1_700_000_000, 1_700_000_000);
    expect(staleInput(dir, { 'src/a.ts': [stamp('src/a.ts')[0], 999] })).toBe('src/a.ts');
    expect(staleInput(dir, { 'src/a.ts': stamp('src/a.ts') })).toBeNull();
  });

  it('an input that is gone, a manifest of another format or a missing entry: tsx', () => {
    manifest({ 'src/a.ts': stamp('src/a.ts'), 'src/gone.ts': [1, 1] });
    expect(compiledCli(dir).why).toBe('src/gone.ts changed since the CLI was compiled');
    manifest({ 'src/a.ts': stamp('src/a.ts') }, { version: 0 });
    expect(compiledCli(dir).file).toBeNull();
    manifest({ 'src/a.ts': stamp('src/a.ts') }, { entry: 'nothing.js' });
    expect(compiledCli(dir).why).toMatch(/nothing\.js is missing/);
    writeFileSync(path.join(dir, CLI_BUILD_DIR, 'manifest.json'), '{ torn');
    expect(compiledCli(dir).file).toBeNull();
  });

  it('npm install builds it (prepare), and build:cli reruns it', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepare).toContain('scripts/cli-build.mjs');
    expect(pkg.scripts['build:cli']).toContain('scripts/cli-build.mjs');
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8')).toMatch(new RegExp(`^/?${CLI_BUILD_DIR}/$`, 'm'));
  });
});

describe('the compiled CLI as a user runs it (a built copy of the sources)', () => {
  const TOUCHED = 'electron/core/project/store.ts';
  const STAMP = 1_750_000_000;
  let copy: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let loadLog: string;
  let preload: string;

  function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []) {
    const r = spawnSync(process.execPath, [...nodeArgs, path.join(copy, 'bin/sightline.mjs'), ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8', cwd: work });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  beforeAll(() => {
    copy = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sightline-cli-build-')));
    for (const p of ['package.json', 'bin', 'scripts', 'electron', 'common', 'demo/photos', 'demo/generate.ts', 'migrations', 'models/blazeface']) {
      cpSync(path.join(ROOT, p), path.join(copy, p), { recursive: true });
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    work = path.join(copy, 'work');
    mkdirSync(work);
    cpSync(path.join(ROOT, 'test/fixtures/images'), path.join(work, 'photos'), { recursive: true });
    env = { ...process.env, SIGHTLINE_HOME: path.join(work, 'home'), SIGHTLINE_DEBUG: '1' };
    delete env.SIGHTLINE_CLI;
    // What a command loads: ESM modules through a resolve hook, CommonJS packages through Module._load.
    loadLog = path.join(work, 'loaded.txt');
    const hooks = path.join(work, 'hooks.mjs');
    writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(loadLog)}, r.url + '\\n'); return r; }\n`);
    preload = path.join(work, 'preload.mjs');
    writeFileSync(
      preload,
      `import { register, createRequire } from 'node:module';\nimport { appendFileSync } from 'node:fs';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n` +
        `const M = createRequire(import.meta.url)('node:module');\nconst load = M._load;\nM._load = function (req, ...rest) { appendFileSync(${JSON.stringify(loadLog)}, 'require:' + req + '\\n'); return load.call(this, req, ...rest); };\n`,
    );
    // A whole second, so that the test below can put it back exactly (the build records mtimes to the nanosecond).
    utimesSync(path.join(copy, TOUCHED), STAMP, STAMP);
    const b = spawnSync(process.execPath, [path.join(copy, 'scripts/cli-build.mjs'), '--strict'], { cwd: copy, encoding: 'utf8' });
    expect(b.status, b.stderr + b.stdout).toBe(0);
    expect(b.stdout).toMatch(/compiled the CLI into dist-cli/);
  }, 120_000);
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('--version prints package.json\'s version without loading the CLI', () => {
    const r = run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${VERSION}\n`);
    expect(r.stderr).toBe(''); // no "running the compiled CLI" line: nothing but package.json was read
    expect(run(['-v']).stdout).toBe(`${VERSION}\n`);
  });

  it('import and info --json run compiled, and info loads neither sharp, the server, the datasets nor the inference code', () => {
    const imp = run(['import', 'photos', '--project', 'p.sightline', '--json']);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stderr).toContain('running the compiled CLI');
    expect(JSON.parse(imp.stdout).imported).toBeGreaterThanOrEqual(8);

    rmSync(loadLog, { force: true });
    const r = run(['info', '--project', 'p.sightline', '--json'], {}, ['--import', pathToFileURL(preload).href]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('running the compiled CLI');
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'p', images: JSON.parse(imp.stdout).imported, schemaVersion: expect.any(Number) });
    const loaded = readFileSync(loadLog, 'utf8').split('\n').filter(Boolean);
    expect(loaded.some((l) => l.endsWith('/dist-cli/cli.js'))).toBe(true);
    expect(loaded.filter((l) => l.startsWith('file:') && !l.includes('/dist-cli/') && !l.includes('/node_modules/better-sqlite3/') && !l.endsWith('/scripts/cli-build.mjs') && !l.endsWith('/bin/sightline.mjs'))).toEqual([]);
    expect(loaded).toContain('require:better-sqlite3');
    for (const pkg of ['sharp', 'onnxruntime-node', 'tsx', 'esbuild']) expect(loaded.filter((l) => l.includes(pkg))).toEqual([]);
    // The chunks it read hold none of the code of other commands (dist-cli/meta.json says what is in each).
    const meta = JSON.parse(readFileSync(path.join(copy, 'dist-cli/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
    const inputs = loaded
      .filter((l) => l.includes('/dist-cli/'))
      .flatMap((l) => Object.keys(Object.entries(meta.outputs).find(([o]) => o.endsWith(`/${path.basename(l)}`))?.[1].inputs ?? {}));
    expect(inputs).toContain('electron/core/app.ts');
    const heavy = /node_modules\/ws\/|electron\/server\/|electron\/core\/datasets\/(export|import)|common\/formats\/(coco|yolo|labelme)|electron\/core\/inference\/(pipeline|sessions|worker)|demo\/generate|electron\/cli-(inference|datasets|eval)|electron\/core\/shapes|zod\/v4\/locales\/(?!en\.js|index\.js)/;
    expect(inputs.filter((i) => heavy.test(i))).toEqual([]);
  }, 60_000);

  it('demo finds demo/ and migrations/ from the bundle', () => {
    const r = run(['demo']);
    expect(r.code, r.stderr).toBe(0);
    const file = r.stdout.trim();
    expect(file).toBe(path.join(work, 'home', 'demo', 'demo.sightline'));
    const info = JSON.parse(run(['info', '--project', file, '--json']).stdout);
    expect(info.name).toBe('Sightline demo');
    expect(info.images).toBeGreaterThan(4);
    expect(info.roots.every((root: { available: boolean }) => root.available)).toBe(true);
  }, 120_000);

  it('serve --no-build prints the URL first and answers on it', async () => {
    const child = spawn(process.execPath, [path.join(copy, 'bin/sightline.mjs'), 'serve', '--project', 'p.sightline', '--no-build'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d) => {
          buf += d;
          const nl = buf.indexOf('\n');
          if (nl >= 0) resolve(buf.slice(0, nl));
        });
        child.once('exit', (c) => reject(new Error(`serve exited ${c}: ${stderr}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#code=/);
      expect((await createHttpClient(url).call('app.info')).project?.name).toBe('p');
      expect(stderr).toContain('running the compiled CLI');
      // The renderer was not copied: the message names where the bundle looked for it, the copy's renderer/dist.
      expect(stderr).toContain(path.join(copy, 'renderer', 'dist'));
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);

  it('predict runs the bundled inference threads', () => {
    rmSync(loadLog, { force: true });
    const r = run(['predict', '--project', 'p.sightline', '--model', 'blazeface', '--all', '--provider', 'cpu', '--json'], {}, ['--import', pathToFileURL(preload).href]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('running the compiled CLI');
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ model: 'blazeface', provider: 'cpu', cancelled: false, errors: [] });
    expect(out.predictions.some((p: { path: string; kind: string }) => p.path.endsWith('astronaut.png') && p.kind === 'box')).toBe(true);
    const loaded = readFileSync(loadLog, 'utf8');
    expect(loaded).toContain('/dist-cli/inference-worker.js');
    expect(loaded).toContain('/dist-cli/inference-decoder.js');
    expect(loaded).not.toMatch(/\.ts$/m);
  }, 120_000);

  it('a source changed after the build: the same command runs from source through tsx, and SIGHTLINE_CLI=compiled refuses', () => {
    const file = path.join(copy, TOUCHED);
    expect(statSync(file).mtimeMs).toBe(STAMP * 1000);
    utimesSync(file, STAMP + 60, STAMP + 60);
    try {
      const r = run(['info', '--project', 'p.sightline', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('running from source through tsx (electron/core/project/store.ts changed since the CLI was compiled)');
      expect(JSON.parse(r.stdout).name).toBe('p');
      const strict = run(['info', '--project', 'p.sightline', '--json'], { SIGHTLINE_CLI: 'compiled' });
      expect(strict.code).toBe(2);
      expect(strict.stderr).toMatch(/SIGHTLINE_CLI=compiled, but electron\/core\/project\/store\.ts changed/);
    } finally {
      utimesSync(file, STAMP, STAMP);
    }
    expect(run(['info', '--project', 'p.sightline', '--json']).stderr).toContain('running the compiled CLI');
    expect(run(['info', '--project', 'p.sightline', '--json'], { SIGHTLINE_CLI: 'source' }).stderr).toContain('running from source through tsx (SIGHTLINE_CLI=source)');
  }, 120_000);

  it('the bundle is in an ignored folder and leaves no temporary folders behind', () => {
    expect(existsSync(path.join(copy, 'dist-cli/manifest.json'))).toBe(true);
    const left = spawnSync('ls', [copy], { encoding: 'utf8' }).stdout.split('\n').filter((n) => n.startsWith('dist-cli.'));
    expect(left).toEqual([]);
  });
});
