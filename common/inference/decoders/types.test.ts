import { describe, expect, it } from 'vitest';
import { ModelManifest } from '../manifest.js';
import type { InputTransform, Tensor } from '../types.js';
import { outputFor, toImageX, toImageY, type DecodeContext } from './types.js';

const t = (n: number): Tensor => ({ data: new Float32Array(n), dims: [n] });
const ctx = (outputs: Record<string, string> = {}): DecodeContext => {
  const manifest = ModelManifest.parse({ name: 'm', kind: 'detector', decoder: 'yolov8', files: { model: 'm.onnx' }, input: {}, outputs });
  return { manifest, transform: { srcWidth: 1, srcHeight: 1, inputWidth: 1, inputHeight: 1, scaleX: 1, scaleY: 1, padX: 0, padY: 0 }, thresholds: manifest.thresholds };
};

describe('outputFor', () => {
  it('takes the mapped name, else the default name, else the output at the index', () => {
    const a = t(1), b = t(2), c = t(3);
    expect(outputFor({ a, b, c }, ctx({ role: 'c' }), 'role', 0)).toBe(c);
    expect(outputFor({ a, b, role: c }, ctx(), 'role', 0)).toBe(c);
    expect(outputFor({ a, b, out0: c }, ctx(), 'role', 0, 'out0')).toBe(c);
    expect(outputFor({ a, b, c }, ctx(), 'role', 1)).toBe(b);
  });

  it('names a mapping to a missing output and a role with nothing at its index', () => {
    expect(() => outputFor({ a: t(1), b: t(1) }, ctx({ role: 'z' }), 'role', 0)).toThrow(
      'm: the manifest maps output role "role" to "z", which the graph does not produce (outputs: a, b)',
    );
    expect(() => outputFor({ a: t(1) }, ctx(), 'role', 1)).toThrow(`m: no output for role "role" (outputs: a); map it in the manifest's "outputs"`);
    expect(() => outputFor({ a: t(1) }, ctx(), 'role', -1)).toThrow('no output for role "role"');
  });
});

describe('toImageX and toImageY', () => {
  it('undo the padding and scale, each on its own axis, clamped to the image', () => {
    const tr: InputTransform = { srcWidth: 100, srcHeight: 50, inputWidth: 64, inputHeight: 64, scaleX: 0.5, scaleY: 0.25, padX: 4, padY: 8 };
    expect(toImageX(24, tr)).toBe(40);
    expect(toImageY(18, tr)).toBe(40);
    expect(toImageX(0, tr)).toBe(0);
    expect(toImageY(0, tr)).toBe(0);
    expect(toImageX(64, tr)).toBe(100);
    expect(toImageY(64, tr)).toBe(50);
  });
});
