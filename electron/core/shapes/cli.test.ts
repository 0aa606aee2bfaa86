/** `sightline shapes` as a user runs it: a real process through bin/sightline.mjs. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../../bin/sightline.mjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-shapes-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp, env: { ...process.env, SIGHTLINE_HOME: path.join(tmp, 'home') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sightline shapes', () => {
  it('writes a dataset and reports it as JSON', () => {
    const r = run(['shapes', '--seed', '4', '--count', '2', '--out', 'ds', '--size', '128', '--max-shapes', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ out: path.join(tmp, 'ds'), images: 2 });
    const doc = JSON.parse(readFileSync(path.join(tmp, 'ds/annotations.json'), 'utf8'));
    expect(doc.info).toMatchObject({ seed: 4, count: 2, size: 128, max_shapes: 3 });
    expect(existsSync(path.join(tmp, 'ds/labels/000001.png'))).toBe(true);
  });

  it('is listed in --help and refuses bad arguments with exit code 2', () => {
    expect(run(['--help']).stdout).toContain('sightline shapes --seed S --count N --out DIR');
    const missing = run(['shapes', '--seed', '1', '--out', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--count');
    const bad = run(['shapes', '--seed', '1', '--count', 'many', '--out', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--count must be a non-negative integer, not "many"');
    const zero = run(['shapes', '--seed', '1', '--count', '0', '--out', 'x']);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain('count must be a positive integer');
  });
});
