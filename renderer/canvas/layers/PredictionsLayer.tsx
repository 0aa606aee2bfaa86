/**
 * Model predictions as their own read-only Konva layer, in image pixels under the viewer's transform: boxes,
 * polygons, masks, keypoints, NMS-suppressed candidates (dashed grey) and region proposals (thin grey).
 * Strokes keep their screen width (strokeScaleEnabled = false); labels and keypoint dots keep their screen size by
 * counter-scaling on each viewport frame, without a React render. The stage container carries
 * `data-prediction-count`: how many prediction shapes are drawn right now.
 */
import type Konva from 'konva';
import { useEffect, useLayoutEffect, useRef } from 'react';
import { Circle, Group, Image as KonvaImage, Label, Layer, Line, Rect, Shape, Tag, Text } from 'react-konva';
import type { Prediction } from '../../../common/api/contract.js';
import { maskBitmap } from './bitmaps.js';
import { CANDIDATE_GREY, hexToRgb, labelColor, predictionKey } from './colors.js';
import type { ViewportBus } from './viewportBus.js';

export type ProposalBox = readonly [number, number, number, number];

export interface PredictionsLayerProps {
  predictions: readonly Prediction[];
  /** Region proposals [x, y, w, h] in image pixels, or null to hide them. */
  proposals: readonly ProposalBox[] | null;
  imageSize: { width: number; height: number };
  visible: boolean;
  opacity: number;
  /** Tooltips of NMS-suppressed candidates, by prediction id. */
  notes: ReadonlyMap<number, string>;
  /** Keypoint index pairs to join, from the model's manifest. */
  skeleton: readonly (readonly [number, number])[];
  bus: ViewportBus;
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const LABEL_H = 18;
/** Screen pixels: the label text, dot radius and tooltip do not grow with zoom. */
const FIXED = 'fixed-size';
const PREDICTION = 'prediction';

type ShowTip = (x: number, y: number, text: string) => void;

export function PredictionsLayer(props: PredictionsLayerProps) {
  const { predictions, proposals, imageSize, visible, opacity, notes, skeleton, bus } = props;
  const layerRef = useRef<Konva.Layer>(null);
  const tipRef = useRef<Konva.Group>(null);
  const tipText = useRef<Konva.Text>(null);
  const fixedNodes = useRef<Konva.Node[]>([]);
  const k = 1 / bus.current.scale;
  const hasContent = predictions.length > 0 || (proposals?.length ?? 0) > 0;

  useLayoutEffect(() => {
    const layer = layerRef.current!;
    fixedNodes.current = layer.find(`.${FIXED}`);
    const container = layer.getStage()?.container();
    if (container) container.dataset.predictionCount = String(visible ? layer.find(`.${PREDICTION}`).length : 0);
  });
  useEffect(() => {
    const container = layerRef.current!.getStage()?.container();
    return () => {
      if (container) delete container.dataset.predictionCount;
    };
  }, []);

  useEffect(
    () =>
      bus.subscribe((vp) => {
        const s = 1 / vp.scale;
        for (const n of fixedNodes.current) n.scale({ x: s, y: s });
      }),
    [bus],
  );

  const showTip: ShowTip = (x, y, text) => {
    const tip = tipRef.current!;
    tipText.current!.text(text);
    tip.position({ x, y });
    tip.visible(true);
    tip.getLayer()?.batchDraw();
  };
  const hideTip = () => {
    const tip = tipRef.current;
    if (!tip) return;
    tip.visible(false);
    tip.getLayer()?.batchDraw();
  };

  return (
    // Hidden and deaf while it has nothing to draw: a shown layer is a canvas the page composites on every frame, and
    // a listening one keeps a second, stage-sized canvas for hit tests.
    <Layer ref={layerRef} visible={visible && hasContent} listening={hasContent} opacity={opacity} imageSmoothingEnabled={false}>
      {proposals && proposals.length > 0 ? (
        <Shape
          listening={false}
          stroke={CANDIDATE_GREY}
          strokeWidth={1}
          strokeScaleEnabled={false}
          opacity={0.7}
          perfectDrawEnabled={false}
          sceneFunc={(ctx, shape) => {
            ctx.beginPath();
            for (const [x, y, w, h] of proposals) ctx.rect(x, y, w, h);
            ctx.strokeShape(shape);
          }}
        />
      ) : null}
      {drawOrder(predictions).map((p) => (
        <PredictionShape key={p.id} p={p} k={k} imageSize={imageSize} note={notes.get(p.id)} skeleton={skeleton} showTip={showTip} hideTip={hideTip} />
      ))}
      {/* Only pointing at a prediction shows the tip: without any, its nodes (text measured on creation) are not made. */}
      {hasContent ? (
        <Group ref={tipRef} name={FIXED} visible={false} listening={false} scaleX={k} scaleY={k}>
          <Label x={8} y={-LABEL_H - 6}>
            <Tag fill="rgba(17, 19, 24, 0.92)" cornerRadius={3} />
            <Text ref={tipText} text="" fontFamily={FONT} fontSize={12} padding={4} fill="#e3e6ec" />
          </Label>
        </Group>
      ) : null}
    </Layer>
  );
}

/** Bottom to top: NMS candidates, masks, polygons, boxes, keypoints; so nothing hides what is smaller than it. */
const KIND_ORDER: Record<string, number> = { mask: 1, polygon: 2, box: 3, keypoints: 4 };
function drawOrder(predictions: readonly Prediction[]): Prediction[] {
  const rank = (p: Prediction) => (p.extras.suppressed === true ? 0 : (KIND_ORDER[p.kind] ?? 5));
  return [...predictions].sort((a, b) => rank(a) - rank(b));
}

function TextLabel({ x, y, text, color, k }: { x: number; y: number; text: string; color: string; k: number }) {
  return (
    <Group name={FIXED} x={x} y={y} scaleX={k} scaleY={k} listening={false}>
      <Label y={-LABEL_H}>
        <Tag fill={color} cornerRadius={2} />
        <Text text={text} fontFamily={FONT} fontSize={12} padding={3} fill="#111318" />
      </Label>
    </Group>
  );
}

function labelText(p: Prediction): string {
  const name = typeof p.extras.text === 'string' ? p.extras.text : (p.label ?? '');
  const score = p.score === null ? '' : ` ${p.score.toFixed(2)}`;
  return `${name}${score}`.trim();
}

function PredictionShape(props: {
  p: Prediction;
  k: number;
  imageSize: { width: number; height: number };
  note: string | undefined;
  skeleton: readonly (readonly [number, number])[];
  showTip: ShowTip;
  hideTip: () => void;
}) {
  const { p, k, imageSize, note, skeleton, showTip, hideTip } = props;
  const suppressed = p.extras.suppressed === true;
  const color = suppressed ? CANDIDATE_GREY : labelColor(predictionKey(p));
  const stroke = {
    stroke: color,
    strokeWidth: suppressed ? 1 : 2,
    strokeScaleEnabled: false,
    dash: suppressed ? [6, 4] : undefined,
    listening: false,
    perfectDrawEnabled: false,
  };
  const text = labelText(p);
  const g = p.geometry;

  // Candidates NMS removed pile up on the kept box: no label each, the tooltip says what one is.
  if (suppressed) {
    if (g.type !== 'box') return null;
    return (
      <Rect
        name={PREDICTION}
        x={g.x}
        y={g.y}
        width={g.w}
        height={g.h}
        {...stroke}
        listening
        hitStrokeWidth={6}
        onMouseEnter={() => showTip(g.x, g.y, note ?? `${text}: removed by NMS`)}
        onMouseLeave={hideTip}
      />
    );
  }

  switch (g.type) {
    case 'box':
      return (
        <>
          <Rect name={PREDICTION} x={g.x} y={g.y} width={g.w} height={g.h} {...stroke} />
          {text ? <TextLabel x={g.x} y={g.y} text={text} color={color} k={k} /> : null}
        </>
      );
    case 'polygon': {
      let minX = Infinity;
      let minY = Infinity;
      for (let i = 0; i < g.points.length; i += 2) {
        minX = Math.min(minX, g.points[i]);
        minY = Math.min(minY, g.points[i + 1]);
      }
      return (
        <>
          <Line name={PREDICTION} points={g.points} closed fill={`${color}2e`} {...stroke} />
          {text ? <TextLabel x={minX} y={minY} text={text} color={color} k={k} /> : null}
        </>
      );
    }
    case 'mask': {
      let bitmap;
      try {
        bitmap = maskBitmap(p.id, g, hexToRgb(color));
      } catch (err) {
        // One malformed mask must not take the other predictions down with it.
        console.warn(`Prediction ${p.id}: ${(err as Error).message}`);
        return null;
      }
      const sx = imageSize.width / g.width;
      const sy = imageSize.height / g.height;
      return (
        <>
          <KonvaImage name={PREDICTION} image={bitmap.canvas} x={0} y={0} width={imageSize.width} height={imageSize.height} listening={false} />
          {text && bitmap.anchor ? <TextLabel x={bitmap.anchor.x * sx} y={bitmap.anchor.y * sy} text={text} color={color} k={k} /> : null}
        </>
      );
    }
    case 'keypoints': {
      const pts = g.points;
      const at = (i: number) => (pts[i * 3 + 2] > 0 ? [pts[i * 3], pts[i * 3 + 1]] : null);
      const n = pts.length / 3;
      return (
        <Group name={PREDICTION}>
          {skeleton.map(([a, b], i) => {
            const pa = a < n ? at(a) : null;
            const pb = b < n ? at(b) : null;
            return pa && pb ? <Line key={`s${i}`} points={[...pa, ...pb]} {...stroke} /> : null;
          })}
          {Array.from({ length: n }, (_, i) => {
            const pt = at(i);
            if (!pt) return null;
            const name = g.names?.[i] ?? `point ${i + 1}`;
            return (
              <Circle
                key={i}
                name={FIXED}
                x={pt[0]}
                y={pt[1]}
                radius={4}
                scaleX={k}
                scaleY={k}
                fill={color}
                stroke="#111318"
                strokeWidth={1}
                hitStrokeWidth={8}
                onMouseEnter={() => showTip(pt[0], pt[1], `${name}${p.label ? ` · ${p.label}` : ''}`)}
                onMouseLeave={hideTip}
              />
            );
          })}
        </Group>
      );
    }
    default:
      return null;
  }
}
