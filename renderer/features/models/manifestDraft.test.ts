import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../common/api/contract.js';
import { blankManifest, checkManifestText, errorLines, fileName, formatDims } from './manifestDraft.js';

const good = {
  name: 'my-yolo',
  kind: 'detector',
  decoder: 'yolov8',
  files: { model: 'my-yolo.onnx' },
  input: { resize: 'letterbox', width: 640, height: 640 },
  classes: ['cat', 'dog'],
};

describe('manifest editor checks', () => {
  it('accepts a valid manifest and returns it as typed, without defaults filled in', () => {
    const r = checkManifestText(JSON.stringify(good));
    expect(r.issues).toEqual([]);
    expect(r.manifest).toEqual(good);
  });

  it('names the field of each problem', () => {
    const r = checkManifestText(JSON.stringify({ ...good, decoder: 'yolov9', input: { resize: 'squash' } }));
    expect(r.manifest).toBeNull();
    expect(r.issues.some((i) => i.startsWith('decoder:'))).toBe(true);
    expect(r.issues.some((i) => i.startsWith('input.resize:'))).toBe(true);
  });

  it('reports the cross-field rules (a captioner needs two graphs)', () => {
    const r = checkManifestText(JSON.stringify({ ...good, kind: 'captioner', decoder: 'recurrent-captioner' }));
    expect(r.issues.join('\n')).toMatch(/files: a recurrent-captioner has files \{encoder, decoderStep\}/);
  });

  it('reports JSON syntax errors and non-objects', () => {
    expect(checkManifestText('{"name": ').issues[0]).toMatch(/^Not valid JSON/);
    expect(checkManifestText('[1]').issues).toEqual(['The manifest must be a JSON object ({ … }).']);
  });

  it('proposes a blank manifest that needs only the fields a person knows', () => {
    const m = blankManifest('C:\\models\\My Detector v2.onnx');
    expect(m.name).toBe('my-detector-v2');
    expect(m.files).toEqual({ model: 'My Detector v2.onnx' });
    expect(checkManifestText(JSON.stringify(m)).issues).toEqual([]);
  });
});

describe('display helpers', () => {
  it('formats dims, symbolic and unknown ones included', () => {
    expect(formatDims([1, 3, 640, 640])).toBe('[1, 3, 640, 640]');
    expect(formatDims(['batch', 3, null, null])).toBe('[batch, 3, ?, ?]');
  });

  it('takes file names from either kind of path', () => {
    expect(fileName('/a/b/c.onnx')).toBe('c.onnx');
    expect(fileName('C:\\a\\c.onnx')).toBe('c.onnx');
  });

  it('lists the mismatches of a graph and its manifest under the sentence that introduces them', () => {
    const mismatches = ['no output named "dets"', 'input "images" is [1, 3, 320, 320]; the manifest says 640×640'];
    const err = new ApiError('invalid_file', `/m/model.onnx does not match the manifest of "my-yolo": ${mismatches.join('; ')}.`, { file: '/m/model.onnx', mismatches });
    expect(errorLines(err)).toEqual(['/m/model.onnx does not match the manifest of "my-yolo":', ...mismatches]);
    expect(errorLines(new ApiError('conflict', 'A model named "x" already exists.'))).toEqual(['A model named "x" already exists.']);
    expect(errorLines(new Error('boom'))).toEqual(['boom']);
  });
});
