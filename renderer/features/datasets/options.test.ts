import { describe, expect, it } from 'vitest';
import { ExportFormat, ExportOptions, ImportDatasetOptions, type Job } from '../../../common/api/contract.js';
import {
  EXPORT_FORMATS,
  EXPORT_FORMAT_ORDER,
  buildExportOptions,
  buildImportOptions,
  defaultExportDraft,
  firstOf,
  isAbsolutePath,
  isNewerSnapshot,
  parseFraction,
  parseSeed,
  parseSplit,
  progressText,
  withFormat,
} from './options.js';

describe('split fields', () => {
  it('reads fractions, percentages and empty fields', () => {
    expect(parseFraction('0.8', 'train')).toEqual({ value: 0.8 });
    expect(parseFraction(' .25 ', 'val')).toEqual({ value: 0.25 });
    expect(parseFraction('80%', 'train')).toEqual({ value: 0.8 });
    expect(parseFraction('12.5 %', 'test')).toEqual({ value: 0.125 });
    expect(parseFraction('', 'test')).toEqual({ value: 0 });
    expect(parseFraction('1', 'train')).toEqual({ value: 1 });
  });

  it('names the field and the text it could not read', () => {
    expect(parseFraction('abc', 'val')).toEqual({ error: expect.stringMatching(/^val: "abc" is not a number/) });
    expect(parseFraction('-0.2', 'val')).toHaveProperty('error');
    expect(parseFraction('0.8.1', 'train')).toHaveProperty('error');
    expect(parseFraction('80', 'train')).toEqual({ error: expect.stringContaining('more than the whole') });
    expect(parseFraction('120%', 'train')).toHaveProperty('error');
  });

  it('sends every part (0 for an empty one) and wants them to add up to 1', () => {
    expect(parseSplit({ train: '0.8', val: '0.2', test: '' })).toEqual({ split: { train: 0.8, val: 0.2, test: 0 } });
    expect(parseSplit({ train: '70%', val: '20%', test: '10%' })).toEqual({ split: { train: 0.7, val: 0.2, test: 0.1 } });
    // 0.1 + 0.2 is not exactly 0.3 in floating point: a rounding error is no mistake of the person's.
    expect(parseSplit({ train: '0.7', val: '0.1', test: '0.2' })).toHaveProperty('split');
    expect(parseSplit({ train: '0.8', val: '0.1', test: '' })).toEqual({ error: expect.stringContaining('adds up to 0.9') });
    expect(parseSplit({ train: '', val: '0', test: '' })).toEqual({ error: expect.stringContaining('at least one') });
    expect(parseSplit({ train: 'x', val: '0.2', test: '' })).toEqual({ error: expect.stringMatching(/^train:/) });
  });

  it('reads the seed as a whole number in the API range', () => {
    expect(parseSeed('')).toEqual({ seed: 0 });
    expect(parseSeed(' 42 ')).toEqual({ seed: 42 });
    expect(parseSeed('2147483647')).toEqual({ seed: 2147483647 });
    expect(parseSeed('2147483648')).toHaveProperty('error');
    expect(parseSeed('1.5')).toHaveProperty('error');
    expect(parseSeed('-1')).toHaveProperty('error');
  });
});

describe('paths', () => {
  it('tells absolute paths from relative ones', () => {
    expect(isAbsolutePath('/tmp/out')).toBe(true);
    expect(isAbsolutePath('  /tmp/out ')).toBe(true);
    expect(isAbsolutePath('C:\\data\\out')).toBe(true);
    expect(isAbsolutePath('d:/out')).toBe(true);
    expect(isAbsolutePath('\\\\server\\share')).toBe(true);
    expect(isAbsolutePath('out')).toBe(false);
    expect(isAbsolutePath('./out')).toBe(false);
    expect(isAbsolutePath('~/out')).toBe(false);
  });
});

describe('export request', () => {
  it('knows every format of the contract, and preselects copies for YOLO and VOC only', () => {
    expect([...EXPORT_FORMAT_ORDER].sort()).toEqual([...ExportFormat.options].sort());
    for (const f of ExportFormat.options) expect(defaultExportDraft(f).images).toBe(f === 'yolo' || f === 'voc' ? 'copy' : 'none');
    expect(EXPORT_FORMAT_ORDER.filter((f) => EXPORT_FORMATS[f].split)).toEqual(['coco', 'yolo', 'voc']);
  });

  it('builds options the contract accepts, with no split unless asked for', () => {
    const r = buildExportOptions({ ...defaultExportDraft('coco'), out: ' /tmp/out ' });
    expect(r).toEqual({ options: { format: 'coco', out: '/tmp/out', source: 'labels', images: 'none', upright: false, overwrite: false } });
    if ('options' in r) expect(ExportOptions.safeParse(r.options).success).toBe(true);
  });

  it('sends the split and seed for a format with a split layout', () => {
    const draft = { ...defaultExportDraft('yolo'), out: '/tmp/y', splitOn: true, split: { train: '0.7', val: '0.2', test: '0.1' }, seed: '7', source: 'run:3', upright: true, overwrite: true };
    const r = buildExportOptions(draft);
    expect(r).toEqual({
      options: { format: 'yolo', out: '/tmp/y', source: 'run:3', split: { train: 0.7, val: 0.2, test: 0.1 }, seed: 7, images: 'copy', upright: true, overwrite: true },
    });
    if ('options' in r) expect(ExportOptions.safeParse(r.options).success).toBe(true);
  });

  it('sends a two-part split in the shape the contract accepts (every name present)', () => {
    const r = buildExportOptions({ ...defaultExportDraft('coco'), out: '/tmp/c', splitOn: true, split: { train: '80%', val: '20%', test: '' } });
    expect(r).toHaveProperty('options.split', { train: 0.8, val: 0.2, test: 0 });
    if ('options' in r) expect(ExportOptions.safeParse(r.options).success).toBe(true);
  });

  it('drops the split when switching to a format without one, and takes the new format’s image default', () => {
    const yolo = { ...defaultExportDraft('yolo'), splitOn: true };
    const labelme = withFormat(yolo, 'labelme');
    expect(labelme.splitOn).toBe(false);
    expect(labelme.images).toBe('none');
    expect(withFormat(yolo, 'voc')).toMatchObject({ splitOn: true, images: 'copy' });
    // A stale splitOn never reaches the request for a format without a split.
    const r = buildExportOptions({ ...defaultExportDraft('masks'), out: '/x', splitOn: true });
    expect(r).toHaveProperty('options');
    if ('options' in r) expect(r.options.split).toBeUndefined();
  });

  it('lists every problem of the form at once, by field', () => {
    const r = buildExportOptions({ ...defaultExportDraft('coco'), out: 'relative/out', splitOn: true, split: { train: '0.5', val: '0.2', test: '' }, seed: 'x' });
    expect(r).toEqual({ errors: { out: expect.stringContaining('absolute'), split: expect.stringContaining('0.7'), seed: expect.stringContaining('"x"') } });
    expect(buildExportOptions({ ...defaultExportDraft('coco'), out: '' })).toEqual({ errors: { out: 'Type the output folder.' } });
  });

  it('wants a run as the source of a COCO results file', () => {
    expect(buildExportOptions({ ...defaultExportDraft('coco-results'), out: '/x' })).toEqual({ errors: { source: expect.stringContaining('choose a run') } });
    expect(buildExportOptions({ ...defaultExportDraft('coco-results'), out: '/x', source: 'run:12' })).toHaveProperty('options');
    expect(buildExportOptions({ ...defaultExportDraft('coco'), out: '/x', source: 'run:0' })).toHaveProperty('errors.source');
  });
});

describe('import request', () => {
  it('checks the path and passes the dry-run flag', () => {
    const draft = { format: 'yolo' as const, from: ' /data/set ', as: 'predictions' as const, dryRunFirst: true };
    const dry = buildImportOptions(draft, true);
    expect(dry).toEqual({ options: { format: 'yolo', from: '/data/set', as: 'predictions', dryRun: true } });
    if ('options' in dry) expect(ImportDatasetOptions.safeParse(dry.options).success).toBe(true);
    expect(buildImportOptions(draft, false)).toHaveProperty('options.dryRun', false);
    expect(buildImportOptions({ ...draft, from: 'data' }, true)).toEqual({ error: expect.stringContaining('absolute') });
    expect(buildImportOptions({ ...draft, from: '  ' }, true)).toEqual({ error: 'Type the dataset path.' });
  });
});

describe('job snapshots', () => {
  const job = (p: Partial<Job>): Job => ({
    id: 'a', kind: 'export', title: 'Export', state: 'running', done: 0, total: 10, message: '', startedAt: 0, finishedAt: null, error: null, ...p,
  });

  it('takes newer progress and the end, never an older snapshot', () => {
    expect(isNewerSnapshot(null, job({}))).toBe(true);
    expect(isNewerSnapshot(job({ done: 3 }), job({ done: 5 }))).toBe(true);
    expect(isNewerSnapshot(job({ done: 5 }), job({ done: 3 }))).toBe(false);
    expect(isNewerSnapshot(job({ done: 5 }), job({ done: 5, message: 'later' }))).toBe(true);
    expect(isNewerSnapshot(job({ done: 5 }), job({ done: 2, state: 'done' }))).toBe(true);
    expect(isNewerSnapshot(job({ state: 'failed' }), job({ done: 9 }))).toBe(false);
    expect(isNewerSnapshot(job({ state: 'done' }), job({ state: 'done', done: 10 }))).toBe(false);
    expect(isNewerSnapshot(job({ id: 'a', state: 'done' }), job({ id: 'b' }))).toBe(true);
  });

  it('writes progress with a percentage where the total is known', () => {
    expect(progressText({ done: 3, total: 12 })).toBe('3 / 12 (25%)');
    expect(progressText({ done: 1500, total: null })).toBe('1,500');
    expect(progressText({ done: 0, total: 0 })).toBe('0');
    expect(progressText({ done: 12, total: 10 })).toBe('12 / 10 (100%)');
  });

  it('cuts long lists and says how many more there are', () => {
    expect(firstOf([1, 2, 3], 20)).toEqual({ shown: [1, 2, 3], more: 0 });
    expect(firstOf(Array.from({ length: 25 }, (_, i) => i), 20)).toEqual({ shown: Array.from({ length: 20 }, (_, i) => i), more: 5 });
  });
});
