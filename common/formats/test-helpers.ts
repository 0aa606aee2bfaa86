/**
 * Helpers shared by the format tests: Node's zlib for the PNG codec, and for the YAML tests (`yaml*.test.ts`) our
 * reader's value or refusal and PyYAML's `safe_load` of the same texts, where `python3` has PyYAML (Ultralytics
 * reads data.yaml with it, so it is the reference).
 * Not product code: left out of mutation testing (stryker.config.json excludes test-helpers.ts).
 */
import { spawnSync } from 'node:child_process';
import { deflateSync, inflateSync } from 'node:zlib';
import type { Zlib } from './types.js';
import { parseYaml, YamlError } from './yaml.js';

/**
 * Node's zlib as the codec takes it. It ignores `maxLength`: the bound is tested with its own adapters
 * (png.cases.test.ts, and the shipped one in electron/core/datasets/zlib.test.ts).
 */
export const testZlib: Zlib = { deflate: (d) => new Uint8Array(deflateSync(d)), inflate: (d) => new Uint8Array(inflateSync(d)) };

/** parseYaml's value as plain JSON data (mappings without their null prototype). */
export const readYaml = (s: string): unknown => JSON.parse(JSON.stringify(parseYaml(s).value));

/** The YamlError a text gives; fails the test when it gives none or another error. */
export function yamlErrorOf(s: string): YamlError {
  try {
    parseYaml(s);
  } catch (e) {
    if (e instanceof YamlError) return e;
    throw e;
  }
  throw new Error(`no error for:\n${s}`);
}

export const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

/**
 * PyYAML's safe_load of each text, as JSON: NaN and the infinities as the strings "nan", "inf", "-inf"; a text it
 * refuses (or fails on while converting, e.g. "0x_") as `{ error: <the exception's class name> }`.
 */
export function pyYamlLoad(texts: string[]): unknown[] {
  const script = [
    'import sys, json, math, yaml',
    'def fix(v):',
    '    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)): return str(v)',
    '    if isinstance(v, dict): return {k: fix(x) for k, x in v.items()}',
    '    if isinstance(v, list): return [fix(x) for x in v]',
    '    return v',
    'for t in json.load(sys.stdin):',
    '    try: print(json.dumps(fix(yaml.safe_load(t))))',
    '    except Exception as e: print(json.dumps({"error": type(e).__name__}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}
