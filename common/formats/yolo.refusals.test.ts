/** YOLO refusals that must name the right value: a negative height beside a zero width, and kpt_shape's form. */
import { refusal } from '../../test/formats-testkit.js';
import { describe, expect, it } from 'vitest';
import { parseYoloDataYaml, parseYoloLabel } from './yolo.js';

describe('YOLO refusals name the right value', () => {
  it('says the height is negative when the width is 0 and the height is below 0', () => {
    const e = refusal(() => parseYoloLabel('0 0.5 0.5 0 -0.00005', 'labels/b.txt', { names: ['a'], width: 200, height: 100, kptShape: null }));
    expect([e.file, e.where, e.problem]).toEqual(['labels/b.txt', 'line 1', "the box's height is negative"]);
  });

  for (const [what, value] of [['a 2-character string', 'ab'], ['three values', '[17, 3, 1]']]) {
    it(`refuses a kpt_shape of ${what}`, () => {
      const e = refusal(() => parseYoloDataYaml(`names: [a]\nkpt_shape: ${value}`, 'ds/data.yaml'));
      expect([e.file, e.where, e.problem]).toEqual(['ds/data.yaml', 'line 2', 'kpt_shape must be [number of keypoints, 2 or 3], e.g. [17, 3]']);
    });
  }
});
