/**
 * Compare mode's layer for a semantic segmenter: one bitmap at the image's size (false-positive and false-negative
 * pixels, true positives faint; renderer/features/compare/semantic.ts) drawn under the labels without smoothing, so
 * each image pixel stays a sharp square when zoomed in. The stage container carries
 * `data-compare-tp-pixels / -fp-pixels / -fn-pixels` (what is drawn).
 */
import type Konva from 'konva';
import { useLayoutEffect, useMemo, useRef } from 'react';
import { Image as KonvaImage, Layer } from 'react-konva';
import type { SemanticOverlay } from '../../features/compare/useSemanticCompare.js';
import { rgbaCanvas } from './bitmaps.js';

export function SemanticCompareLayer({ overlay, imageSize, opacity }: { overlay: SemanticOverlay; imageSize: { width: number; height: number }; opacity: number }) {
  const layerRef = useRef<Konva.Layer>(null);
  const canvas = useMemo(() => rgbaCanvas(overlay.rgba, overlay.width, overlay.height), [overlay]);

  useLayoutEffect(() => {
    const container = layerRef.current?.getStage()?.container();
    if (!container) return;
    container.dataset.compareTpPixels = String(overlay.counts.tp);
    container.dataset.compareFpPixels = String(overlay.counts.fp);
    container.dataset.compareFnPixels = String(overlay.counts.fn);
    return () => {
      delete container.dataset.compareTpPixels;
      delete container.dataset.compareFpPixels;
      delete container.dataset.compareFnPixels;
    };
  }, [overlay]);

  return (
    <Layer ref={layerRef} name="compare-semantic" opacity={opacity} listening={false} imageSmoothingEnabled={false}>
      <KonvaImage image={canvas} x={0} y={0} width={imageSize.width} height={imageSize.height} listening={false} />
    </Layer>
  );
}
