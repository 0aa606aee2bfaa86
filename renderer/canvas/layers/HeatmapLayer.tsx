/**
 * One heat-map over the image: a small bitmap (a score map at the model's output resolution, an attention grid of
 * a few cells) stretched over its rect in image pixels, with the browser's smooth upsampling. A hovered heat-map
 * (a caption word's attention) is set imperatively and shows over the base one until the pointer leaves.
 */
import type Konva from 'konva';
import { useEffect, useImperativeHandle, useLayoutEffect, useRef, type Ref } from 'react';
import { Image as KonvaImage, Layer, Rect as KonvaRect } from 'react-konva';
import type { Rect } from './heatmap.js';

export interface HeatImage {
  canvas: HTMLCanvasElement;
  rect: Rect;
  /** What it shows, for the stage's `data-heatmap` (tests, debugging). */
  kind: 'score-map' | 'attention';
  /** A cell to outline: smooth upsampling blurs where the peak is. */
  peak?: Rect;
}

export interface HeatmapLayerHandle {
  setHover(heat: HeatImage | null): void;
}

export function HeatmapLayer({ base, opacity, ref }: { base: HeatImage | null; opacity: number; ref?: Ref<HeatmapLayerHandle> }) {
  const imageRef = useRef<Konva.Image>(null);
  const peakRef = useRef<Konva.Rect>(null);
  const hover = useRef<HeatImage | null>(null);
  const baseRef = useRef(base);
  baseRef.current = base;

  const apply = () => {
    const node = imageRef.current;
    if (!node) return;
    const heat = hover.current ?? baseRef.current;
    node.visible(heat !== null);
    // The layer too: a shown layer is a canvas the page composites on every frame, empty or not.
    node.getLayer()?.visible(heat !== null);
    if (heat) node.setAttrs({ image: heat.canvas, ...heat.rect });
    peakRef.current?.visible(Boolean(heat?.peak));
    if (heat?.peak) peakRef.current?.setAttrs(heat.peak);
    const container = node.getStage()?.container();
    if (container) container.dataset.heatmap = heat?.kind ?? 'none';
    node.getLayer()?.batchDraw();
  };

  useImperativeHandle(ref, () => ({
    setHover(heat) {
      hover.current = heat;
      apply();
    },
  }));
  useLayoutEffect(apply, [base]);
  useEffect(() => {
    const container = imageRef.current?.getStage()?.container();
    return () => {
      if (container) delete container.dataset.heatmap;
    };
  }, []);

  return (
    <Layer listening={false} opacity={opacity}>
      <KonvaImage ref={imageRef} image={undefined} visible={false} listening={false} />
      <KonvaRect ref={peakRef} name="heat-peak" visible={false} listening={false} stroke="#ffffff" strokeWidth={1.5} strokeScaleEnabled={false} dash={[5, 4]} />
    </Layer>
  );
}
