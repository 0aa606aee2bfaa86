import { describe, expect, it } from 'vitest';
import type { Prediction } from '../../../common/api/contract.js';
import { hexToRgb, labelColor, predictionKey } from './colors.js';

describe('label colours', () => {
  it('are stable per label, valid hex, and spread over the palette', () => {
    expect(labelColor('circle')).toBe(labelColor('circle'));
    expect(labelColor('circle')).toMatch(/^#[0-9a-f]{6}$/);
    const many = new Set(['circle', 'square', 'triangle', 'face', 'text', 'person'].map(labelColor));
    expect(many.size).toBeGreaterThan(2);
  });

  it('convert to RGB', () => {
    expect(hexToRgb('#ff6b01')).toEqual([255, 107, 1]);
  });
});

describe('prediction keys', () => {
  const p = (label: string | null, extras: Record<string, unknown> = {}): Prediction => ({
    id: 1, runId: 1, imageId: 1, classId: null, label, kind: 'polygon', geometry: { type: 'polygon', points: [0, 0, 1, 0, 1, 1] }, score: null, extras,
  });
  it('name a prediction by label, read text, or kind', () => {
    expect(predictionKey(p('cat'))).toBe('cat');
    expect(predictionKey(p(null, { text: 'EXIT' }))).toBe('text');
    expect(predictionKey(p(null))).toBe('polygon');
  });
});
