/** Helpers shared by the benchmarks: cache and work folders, a seeded PRNG, a bounded pool, timing. */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../common/random.js';

/** Generated inputs survive between runs here, one entry per parameter set, so a rerun skips generation. */
export const CACHE_DIR = path.join(os.tmpdir(), 'sightline-bench-cache');

export interface Row {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
}

export interface BenchResult {
  rows: Row[];
  /** facts of this run worth keeping next to the numbers (file sizes, generation time, ...) */
  facts: string[];
  /** Markdown printed as is after the facts (a table, say) */
  details?: string[];
}

export interface Bench {
  id: string;
  title: string;
  /** row name -> what the row measures, for the report */
  labels: Record<string, string>;
  method: string[];
  run(): Promise<BenchResult>;
}

/**
 * The cached path for `key`, built on first use. `build` writes into a temporary sibling that is renamed into place
 * only when it finished, so an interrupted generation is never mistaken for a complete one.
 */
export async function cached(key: string, build: (tmpPath: string) => Promise<void>): Promise<{ path: string; built: boolean }> {
  const final = path.join(CACHE_DIR, key);
  if (existsSync(final)) return { path: final, built: false };
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${final}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await build(tmp);
    renameSync(tmp, final);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { path: final, built: true };
}

export async function withWorkDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `sightline-bench-${prefix}-`));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { mulberry32 as prng };

export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** A positive whole number from the environment (a benchmark's size), or the default. */
export function positiveIntEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${raw} is not a positive whole number.`);
  return n;
}
