/**
 * Compare mode's layer: a run's predictions coloured by how they match the labels (true positive, false positive,
 * ignored; rejected ones grey when shown) and a halo around each missed label. One Konva shape paints it all in
 * image pixels with strokes of constant screen width; the tooltip (IoU and score of the prediction under the
 * pointer) keeps its screen size. The stage container carries `data-compare-tp/fp/fn` (what is drawn).
 */
import type Konva from 'konva';
import { useEffect, useLayoutEffect, useRef } from 'react';
import { Group, Label, Layer, Shape, Tag, Text } from 'react-konva';
import type { Geometry } from '../../../common/api/contract.js';
import { isShown, type CompareResult, type PredictionResult } from '../../features/compare/compare.js';
import { maskBitmap } from './bitmaps.js';
import { COMPARE_COLORS, COMPARE_DASH, hexToRgb } from './colors.js';
import type { Viewport } from '../viewport.js';
import type { ViewportBus } from './viewportBus.js';

export interface CompareLayerProps {
  result: CompareResult | null;
  /** Geometry of the labels (the missed ones get a halo). */
  labelGeometry: (id: number) => Geometry | undefined;
  showRejected: boolean;
  /** The prediction under the pointer or clicked: drawn thicker, with its tooltip. */
  focus: number | null;
  tip: string | null;
  imageSize: { width: number; height: number };
  opacity: number;
  bus: ViewportBus;
  /**
   * What this canvas shows: everything (one canvas), or one side of the side-by-side view: the missed labels' halos
   * beside the editor's labels, or the predictions with their tooltip.
   */
  part?: 'all' | 'labels' | 'predictions';
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

function colorOf(p: PredictionResult): { color: string; dash: readonly number[] } {
  if (p.status === 'tp') return { color: COMPARE_COLORS.tp, dash: COMPARE_DASH.tp };
  if (p.status === 'fp') return { color: COMPARE_COLORS.fp, dash: COMPARE_DASH.fp };
  return { color: COMPARE_COLORS.muted, dash: [3, 3] };
}

function tracePath(ctx: Konva.Context, g: Geometry, bbox: readonly number[]): void {
  ctx.beginPath();
  if (g.type === 'polygon') {
    for (let i = 0; i + 1 < g.points.length; i += 2) (i === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, g.points[i], g.points[i + 1]);
    ctx.closePath();
  } else {
    // Boxes, and the extent of masks and keypoints.
    ctx.rect(bbox[0], bbox[1], bbox[2], bbox[3]);
  }
}

export function CompareLayer(props: CompareLayerProps) {
  const { result, labelGeometry, showRejected, focus, tip, imageSize, opacity, bus, part = 'all' } = props;
  const labels = part !== 'predictions';
  const predictions = part !== 'labels';
  const layerRef = useRef<Konva.Layer>(null);
  const tipRef = useRef<Konva.Group>(null);
  /** Where the tip would start (the focused box's left edge, image pixels). */
  const tipAt = useRef(0);
  const k = 1 / bus.current.scale;

  // The tip stays inside the stage: near the right edge (half a window wide when side by side) it would be cut off.
  const placeTip = (vp: Viewport) => {
    const g = tipRef.current;
    const stage = g?.getStage();
    if (!g || !stage || !g.visible()) return;
    const width = g.getClientRect({ skipTransform: true }).width;
    const left = Math.max(4, Math.min(tipAt.current * vp.scale + vp.x, stage.width() - width - 4));
    g.x((left - vp.x) / vp.scale);
  };
  const placeTipRef = useRef(placeTip);
  placeTipRef.current = placeTip;

  useEffect(
    () =>
      bus.subscribe((vp) => {
        const s = 1 / vp.scale;
        tipRef.current?.scale({ x: s, y: s });
        placeTipRef.current(vp);
        layerRef.current?.batchDraw();
      }),
    [bus],
  );

  useLayoutEffect(() => {
    const container = layerRef.current?.getStage()?.container();
    if (!container) return;
    const shown = predictions ? (result?.predictions.filter((p) => isShown(p, showRejected)) ?? []) : [];
    if (predictions) container.dataset.compareTp = String(shown.filter((p) => p.status === 'tp').length);
    if (predictions) container.dataset.compareFp = String(shown.filter((p) => p.status === 'fp').length);
    if (labels) container.dataset.compareFn = String(result?.labels.filter((l) => l.status === 'fn').length ?? 0);
    return () => {
      delete container.dataset.compareTp;
      delete container.dataset.compareFp;
      delete container.dataset.compareFn;
    };
  });

  const focused = predictions ? (result?.predictions.find((p) => p.prediction.id === focus) ?? null) : null;
  tipAt.current = focused?.bbox[0] ?? 0;
  useLayoutEffect(() => placeTip(bus.current));

  const paint = (ctx: Konva.Context) => {
    if (!result) return;
    const px = 1 / bus.current.scale;
    const stroke = (color: string, width: number, dash: readonly number[], alpha = 1) => {
      ctx.setLineDash(dash.map((d) => d * px));
      ctx.setAttr('globalAlpha', alpha);
      ctx.setAttr('strokeStyle', color);
      ctx.setAttr('lineWidth', width * px);
      ctx.stroke();
    };
    // Missed labels: a wide dotted halo under the label's own outline (drawn by the editor's layers above).
    for (const l of labels ? result.labels : []) {
      if (l.status !== 'fn') continue;
      const g = labelGeometry(l.id);
      if (!g) continue;
      tracePath(ctx, g, l.bbox);
      stroke('#111318', 9, [], 0.45);
      stroke(COMPARE_COLORS.fn, 6, COMPARE_DASH.fn);
    }
    for (const p of predictions ? result.predictions : []) {
      if (!isShown(p, showRejected)) continue;
      const { color, dash } = colorOf(p);
      const g = p.prediction.geometry;
      if (g.type === 'mask') {
        try {
          const bitmap = maskBitmap(p.prediction.id, g, hexToRgb(color));
          ctx.setAttr('globalAlpha', 0.7);
          ctx.drawImage(bitmap.canvas, 0, 0, imageSize.width, imageSize.height);
        } catch {
          // A malformed mask: its box still shows.
        }
      }
      const width = p.prediction.id === focus ? 4 : 2;
      tracePath(ctx, g, p.bbox);
      stroke('#111318', width + 2, [], 0.5);
      stroke(color, width, dash);
      if (g.type === 'keypoints') {
        ctx.setAttr('globalAlpha', 1);
        ctx.setAttr('fillStyle', color);
        for (let i = 0; i + 2 < g.points.length; i += 3) {
          if (g.points[i + 2] <= 0) continue;
          ctx.beginPath();
          ctx.arc(g.points[i], g.points[i + 1], 3 * px, 0, Math.PI * 2);
          ctx.fill();
        }
      }
    }
    ctx.setLineDash([]);
    ctx.setAttr('globalAlpha', 1);
  };

  return (
    <Layer ref={layerRef} opacity={opacity} listening={false} imageSmoothingEnabled={false}>
      <Shape sceneFunc={paint} listening={false} perfectDrawEnabled={false} />
      {/* Under the box: above it sits the label's own class tag once accepted. */}
      <Group
        ref={tipRef}
        visible={!!(focused && tip)}
        x={focused?.bbox[0] ?? 0}
        y={focused ? focused.bbox[1] + focused.bbox[3] : 0}
        scaleX={k}
        scaleY={k}
        listening={false}
      >
        <Label y={6}>
          <Tag fill="rgba(17, 19, 24, 0.92)" cornerRadius={3} />
          <Text text={tip ?? ''} fontFamily={FONT} fontSize={12} padding={5} fill="#e3e6ec" />
        </Label>
      </Group>
    </Layer>
  );
}
