import { describe, expect, it } from 'vitest';
import { InputPolicy, type InputPolicy as Policy } from './manifest.js';
import { planInput, toInputTensor } from './preprocess.js';
import { mulberry32 } from '../random.js';
import type { RawImage } from './types.js';

const policy = (p: Partial<Policy>): Policy => InputPolicy.parse(p);

describe('planInput', () => {
  it('letterboxes like Ultralytics: fit, centre, odd padding pixel at the bottom', () => {
    const plan = planInput(policy({ resize: 'letterbox', width: 640, height: 640 }), 1280, 720);
    expect(plan).toMatchObject({ resizeWidth: 640, resizeHeight: 360, inputWidth: 640, inputHeight: 640, padLeft: 0, padTop: 140 });
    expect(plan.transform).toEqual({ srcWidth: 1280, srcHeight: 720, inputWidth: 640, inputHeight: 640, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140 });
    // dh = 1.5: Ultralytics puts round(1.4) = 1 row on top and round(1.6) = 2 below.
    expect(planInput(policy({ resize: 'letterbox', width: 4, height: 4 }), 3, 1)).toMatchObject({ resizeWidth: 4, resizeHeight: 1, padTop: 1, padLeft: 0 });
    // Portrait: padding left and right.
    expect(planInput(policy({ resize: 'letterbox', width: 128, height: 128 }), 512, 600)).toMatchObject({ resizeWidth: 109, resizeHeight: 128, padLeft: 9, padTop: 0 });
  });

  it("letterbox: \"ultralytics\" is Ultralytics' LetterBox and scale_boxes, case by case", () => {
    const u = (w: number, h: number) => policy({ resize: 'letterbox', width: w, height: h, letterbox: 'ultralytics' });
    // 1280×720 → 640: r = 0.5, 640×360, dh = 140: top round(139.9) = 140, bottom round(140.1) = 140.
    const hd = planInput(u(640, 640), 1280, 720);
    expect(hd).toMatchObject({ resizeWidth: 640, resizeHeight: 360, inputWidth: 640, inputHeight: 640, padLeft: 0, padTop: 140 });
    expect(hd.transform).toEqual({ srcWidth: 1280, srcHeight: 720, inputWidth: 640, inputHeight: 640, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140 });
    // 1280×721: 721 · 0.5 = 360.5, Python's round gives 360 (half to even; per-axis rounds up to 361 and pads 139).
    expect(planInput(u(640, 640), 1280, 721)).toMatchObject({ resizeWidth: 640, resizeHeight: 360, padTop: 140 });
    expect(planInput(policy({ resize: 'letterbox', width: 640, height: 640 }), 1280, 721)).toMatchObject({ resizeHeight: 361, padTop: 139 });
    // 1280×723: 361.5 → 362 (even); d = 278 → 139 / 139.
    expect(planInput(u(640, 640), 1280, 723)).toMatchObject({ resizeHeight: 362, padTop: 139 });
    // 1280×722: 361, d = 279, dh = 139.5: top round(139.4) = 139, bottom round(139.6) = 140.
    expect(planInput(u(640, 640), 1280, 722)).toMatchObject({ resizeHeight: 361, padTop: 139 });
    // 3×1 → 4×4: r = 4/3, content 4×1, dh = 1.5: the −0.1 puts round(1.4) = 1 row on top (round(1.5) would be 2).
    const tiny = planInput(u(4, 4), 3, 1);
    expect(tiny).toMatchObject({ resizeWidth: 4, resizeHeight: 1, padLeft: 0, padTop: 1 });
    expect(tiny.transform).toMatchObject({ scaleX: 4 / 3, scaleY: 4 / 3, padY: 1 });
    // Portrait 512×600 → 128: r = 128/600, 109.23 → 109, dw = 9.5: left 9, right 10; boxes divided by r (not 109/512).
    const portrait = planInput(u(128, 128), 512, 600);
    expect(portrait).toMatchObject({ resizeWidth: 109, resizeHeight: 128, padLeft: 9, padTop: 0 });
    expect(portrait.transform).toMatchObject({ scaleX: 128 / 600, scaleY: 128 / 600, padX: 9 });
    // A 12-MP photo: r = 0.16, 640×480, pads 80 / 80; 4032×3024 → 640×480 too.
    expect(planInput(u(640, 640), 4000, 3000)).toMatchObject({ resizeWidth: 640, resizeHeight: 480, padTop: 80 });
    expect(planInput(u(640, 640), 4032, 3024)).toMatchObject({ resizeWidth: 640, resizeHeight: 480, padTop: 80 });
    // Enlarging (Ultralytics' scaleup): 320×240 → 640: r = 2.
    expect(planInput(u(640, 640), 320, 240)).toMatchObject({ resizeWidth: 640, resizeHeight: 480, padTop: 80 });
  });

  it('stretches to the input size', () => {
    const plan = planInput(policy({ resize: 'stretch', width: 100, height: 50 }), 400, 400);
    expect(plan).toMatchObject({ resizeWidth: 100, resizeHeight: 50, padLeft: 0, padTop: 0 });
    expect(plan.transform).toMatchObject({ scaleX: 0.25, scaleY: 0.125 });
  });

  it('fit-max shrinks to the longest side, never enlarges, and rounds each side to the multiple (PaddleOCR DetResizeForTest)', () => {
    const p = policy({ resize: 'fit-max', maxSide: 960, multiple: 32 });
    expect(planInput(p, 2000, 1000)).toMatchObject({ resizeWidth: 960, resizeHeight: 480, inputWidth: 960, inputHeight: 480 });
    expect(planInput(p, 100, 50)).toMatchObject({ resizeWidth: 96, resizeHeight: 64 });
    expect(planInput(p, 10, 10)).toMatchObject({ resizeWidth: 32, resizeHeight: 32 });
    // 1921 × 0.4997 = 959.99 → int 959 → 960; 1080 × 0.4997 = 539.7 → int 539 → round(16.84) × 32 = 544.
    const plan = planInput(p, 1921, 1080);
    expect(plan).toMatchObject({ resizeWidth: 960, resizeHeight: 544 });
    expect(plan.transform.scaleX).toBeCloseTo(960 / 1921, 12);
    expect(plan.transform.scaleY).toBeCloseTo(544 / 1080, 12);
  });

  it('height scales to the height, rounds the width up, pads right to the minimum width and the multiple', () => {
    const p = policy({ resize: 'height', height: 48, width: 320 });
    expect(planInput(p, 200, 50)).toMatchObject({ resizeWidth: 192, resizeHeight: 48, inputWidth: 320, inputHeight: 48, padLeft: 0 });
    expect(planInput(p, 1000, 50)).toMatchObject({ resizeWidth: 960, inputWidth: 960 });
    expect(planInput(p, 101, 30)).toMatchObject({ resizeWidth: 162 }); // 161.6 → 162
    expect(planInput(policy({ resize: 'height', height: 32, width: 100, multiple: 8 }), 333, 32)).toMatchObject({ resizeWidth: 333, inputWidth: 336 });
    // A fixed-width graph: maxSide caps the content, longer lines are squeezed.
    expect(planInput(policy({ resize: 'height', height: 48, width: 320, maxSide: 320 }), 1000, 50)).toMatchObject({ resizeWidth: 320, inputWidth: 320 });
  });

  it('refuses a policy without the sizes it needs, and an empty image', () => {
    expect(() => planInput(policy({ resize: 'letterbox', width: 64 }), 10, 10)).toThrow('input policy "letterbox" needs input.height');
    expect(() => planInput(policy({ resize: 'fit-max' }), 10, 10)).toThrow('needs input.maxSide');
    expect(() => planInput(policy({ resize: 'stretch', width: 4, height: 4 }), 0, 10)).toThrow('0×10');
  });
});

describe('toInputTensor', () => {
  // 2×1 pixels: (10, 20, 30) and (40, 50, 60), letterboxed into 2×2: one padding row below.
  const img: RawImage = { data: Uint8Array.from([10, 20, 30, 40, 50, 60]), width: 2, height: 1, channels: 3 };
  const raw = { scale: 1, padValue: 114 };
  const box = (p: Partial<Policy>) => policy({ resize: 'letterbox', width: 2, height: 2, ...raw, ...p });

  it('lays out NCHW RGB with padding', () => {
    const p = box({});
    const t = toInputTensor(img, planInput(p, 2, 1), p);
    expect(t.dims).toEqual([1, 3, 2, 2]);
    expect(Array.from(t.data)).toEqual([10, 40, 114, 114, 20, 50, 114, 114, 30, 60, 114, 114]);
  });

  it('lays out NHWC BGR', () => {
    const p = box({ layout: 'NHWC', channels: 'BGR' });
    const t = toInputTensor(img, planInput(p, 2, 1), p);
    expect(t.dims).toEqual([1, 2, 2, 3]);
    expect(Array.from(t.data)).toEqual([30, 20, 10, 60, 50, 40, 114, 114, 114, 114, 114, 114]);
  });

  it('normalises with scale, then mean and std per output channel, padding included', () => {
    const p = box({ scale: 1 / 255, mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2], channels: 'BGR', padValue: 0 });
    const t = toInputTensor(img, planInput(p, 2, 1), p);
    expect(t.data).toBeInstanceOf(Float32Array);
    const f = (v: number, c: number) => Math.fround((v / 255 - p.mean[c]) / p.std[c]);
    // Output channel 0 is blue (30, 60) normalised with mean[0], std[0].
    expect(Array.from(t.data)).toEqual([
      f(30, 0), f(60, 0), f(0, 0), f(0, 0),
      f(20, 1), f(50, 1), f(0, 1), f(0, 1),
      f(10, 2), f(40, 2), f(0, 2), f(0, 2),
    ]);
  });

  it('BlazeFace range: 2/255 − 1 maps 0..255 onto −1..1', () => {
    const p = policy({ resize: 'stretch', width: 2, height: 1, scale: 2 / 255, mean: [1, 1, 1], layout: 'NHWC' });
    const t = toInputTensor({ data: Uint8Array.from([0, 255, 0, 255, 0, 255]), width: 2, height: 1, channels: 3 }, planInput(p, 2, 1), p);
    expect(Array.from(t.data)).toEqual([-1, 1, -1, 1, -1, 1]);
  });

  it('writes uint8 tensors without normalising, skips an alpha channel, and pads centred columns', () => {
    const rgba: RawImage = { data: Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255]), width: 1, height: 2, channels: 4 };
    const p = policy({ resize: 'letterbox', width: 3, height: 2, dtype: 'uint8', padValue: 7, scale: 1 / 255, mean: [0.5, 0.5, 0.5] });
    const plan = planInput(p, 1, 2);
    expect(plan).toMatchObject({ resizeWidth: 1, padLeft: 1 });
    const t = toInputTensor(rgba, plan, p);
    expect(t.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(t.data)).toEqual([7, 1, 7, 7, 4, 7, 7, 2, 7, 7, 5, 7, 7, 3, 7, 7, 6, 7]);
  });

  it('refuses an image that was not resized to the plan', () => {
    const p = box({});
    expect(() => toInputTensor(img, planInput(p, 4, 2), p)).not.toThrow();
    expect(() => toInputTensor(img, planInput(policy({ resize: 'stretch', width: 3, height: 3 }), 2, 1), p)).toThrow('the resized image is 2×1, the plan expects 3×3');
  });
});

describe('planInput refusals and edges', () => {
  it('names every size a policy needs', () => {
    expect(() => planInput(policy({ resize: 'letterbox', height: 64 }), 10, 10)).toThrow('input policy "letterbox" needs input.width');
    expect(() => planInput(policy({ resize: 'stretch', height: 64 }), 10, 10)).toThrow('input policy "stretch" needs input.width');
    expect(() => planInput(policy({ resize: 'stretch', width: 64 }), 10, 10)).toThrow('input policy "stretch" needs input.height');
    expect(() => planInput(policy({ resize: 'fit-max' }), 10, 10)).toThrow('input policy "fit-max" needs input.maxSide');
    expect(() => planInput(policy({ resize: 'height' }), 10, 10)).toThrow('input policy "height" needs input.height');
    expect(() => planInput(policy({ resize: 'stretch', width: 4, height: 4 }), 10, 0)).toThrow('cannot plan the input for an image of 10×0 pixels');
    expect(() => planInput(policy({ resize: 'stretch', width: 4, height: 4 }), NaN, 10)).toThrow('NaN×10');
  });

  it('fit-max shrinks by the longer side even when the shorter one fits', () => {
    expect(planInput(policy({ resize: 'fit-max', maxSide: 60 }), 100, 50)).toMatchObject({ resizeWidth: 60, resizeHeight: 30 });
    expect(planInput(policy({ resize: 'fit-max', maxSide: 60 }), 50, 100)).toMatchObject({ resizeWidth: 30, resizeHeight: 60 });
  });
});

describe('toInputTensor against a plain per-element reference', () => {
  it('matches for every layout, dtype, channel order, alpha and padding', () => {
    const rand = mulberry32(5);
    let checked = 0;
    for (const layout of ['NCHW', 'NHWC'] as const) {
      for (const dtype of ['float32', 'uint8'] as const) {
        for (const channels of ['RGB', 'BGR'] as const) {
          for (const [srcC, wide] of [[3, true], [4, false], [3, false], [4, true]] as const) {
            // Wide images get padding above and below, tall ones left and right.
            const sw = wide ? 20 + Math.floor(rand() * 9) : 3 + Math.floor(rand() * 4), sh = wide ? 3 + Math.floor(rand() * 4) : 20 + Math.floor(rand() * 9);
            const p = policy({ resize: 'letterbox', width: 12, height: 10, layout, dtype, channels, padValue: 77, scale: 1 / 200, mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] });
            const plan = planInput(p, sw, sh);
            const { resizeWidth: rw, resizeHeight: rh, inputWidth: iw, inputHeight: ih, padLeft, padTop } = plan;
            expect(wide ? padTop : padLeft).toBeGreaterThan(0);
            const img: RawImage = { data: Uint8Array.from({ length: rw * rh * srcC }, () => Math.floor(rand() * 256)), width: rw, height: rh, channels: srcC };
            const t = toInputTensor(img, plan, p);
            expect(t.dims).toEqual(layout === 'NCHW' ? [1, 3, ih, iw] : [1, ih, iw, 3]);
            const norm = (v: number, c: number) => (dtype === 'uint8' ? v : Math.fround(v * (p.scale / p.std[c]) - p.mean[c] / p.std[c]));
            const pad = (c: number) => (dtype === 'uint8' ? 77 : Math.fround((77 * p.scale - p.mean[c]) / p.std[c]));
            for (let y = 0; y < ih; y++) {
              for (let x = 0; x < iw; x++) {
                for (let c = 0; c < 3; c++) {
                  const sx = x - padLeft, sy = y - padTop;
                  const inside = sx >= 0 && sx < rw && sy >= 0 && sy < rh;
                  const srcChannel = channels === 'BGR' ? 2 - c : c;
                  const want = inside ? norm(img.data[(sy * rw + sx) * srcC + srcChannel], c) : pad(c);
                  const at = layout === 'NCHW' ? c * iw * ih + y * iw + x : (y * iw + x) * 3 + c;
                  if (t.data[at] !== want) throw new Error(`${layout} ${dtype} ${channels} ${srcC}: (${x}, ${y}, ${c}) is ${t.data[at]}, want ${want}`);
                  checked++;
                }
              }
            }
          }
        }
      }
    }
    expect(checked).toBe(32 * 12 * 10 * 3);
  });

  it('refuses an image off the plan by width or by height alone', () => {
    const p = policy({ resize: 'stretch', width: 2, height: 2 });
    const plan = planInput(p, 2, 2);
    expect(() => toInputTensor({ data: new Uint8Array(9), width: 3, height: 1, channels: 3 }, { ...plan, resizeHeight: 1 }, p)).toThrow('the resized image is 3×1, the plan expects 2×1');
    expect(() => toInputTensor({ data: new Uint8Array(6), width: 2, height: 1, channels: 3 }, plan, p)).toThrow('the resized image is 2×1, the plan expects 2×2');
  });
});
