/** Helpers the dataset formats' tests (common/formats/*.test.ts) share; here, so common/ holds no Node code. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Geometry } from '../common/api/contract.js';
import { FormatError, type FormatObject } from '../common/formats/types.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), '../common/formats/testdata');

/** A golden file's text: testdata/<format>/<name>. */
export const golden = (format: string, name: string): string => readFileSync(path.join(TESTDATA, format, name), 'utf8');

/** The FormatError `fn` throws (the test fails if it throws anything else, or nothing). */
export function refusal(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

let nextId = 1;
/** An object of a record with a fresh id; `extra` overrides any field (attributes, score, id). */
export const formatObject = (cls: string | null, geometry: Geometry, extra: Partial<FormatObject> = {}): FormatObject => ({
  id: nextId++,
  class: cls,
  kind: geometry.type,
  geometry,
  attributes: {},
  score: null,
  ...extra,
});
