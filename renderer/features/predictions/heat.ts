/** Heat-maps for the viewer: a segmenter's class score map, a caption word's attention. */
import { attentionBitmap, scoreMapBitmap } from '../../canvas/layers/bitmaps.js';
import type { HeatImage } from '../../canvas/layers/HeatmapLayer.js';
import { gridCellRect, inputRectForPolicy, peakIndex } from '../../canvas/layers/heatmap.js';
import type { CaptionView, ScoreMaps } from './predictions.js';

export function scoreMapHeat(scoreMaps: ScoreMaps | undefined, classIndex: number | null): HeatImage | null {
  const map = scoreMaps?.maps.find((m) => m.classIndex === classIndex);
  if (!scoreMaps || !map) return null;
  try {
    const canvas = scoreMapBitmap({ width: scoreMaps.width, height: scoreMaps.height, data: map.data });
    return { canvas, rect: { x: scoreMaps.x, y: scoreMaps.y, width: scoreMaps.w, height: scoreMaps.h }, kind: 'score-map' };
  } catch (err) {
    console.warn(`Score map of class ${map.classIndex}: ${(err as Error).message}`);
    return null;
  }
}

/**
 * One word's attention, upsampled over the part of the image the encoder saw (`inputPolicy`: the captioner's
 * manifest input), with its strongest cell outlined.
 */
export function attentionHeat(c: CaptionView, word: number, inputPolicy: unknown, image: { width: number; height: number }): HeatImage | null {
  const weights = c.attention?.[word];
  if (!weights || !c.featureGrid) return null;
  const [rows, cols] = c.featureGrid;
  const rect = inputRectForPolicy(inputPolicy, image.width, image.height);
  const peak = peakIndex(weights);
  return {
    canvas: attentionBitmap(weights, rows, cols),
    rect,
    kind: 'attention',
    peak: gridCellRect(rect, rows, cols, Math.floor(peak / cols), peak % cols),
  };
}
