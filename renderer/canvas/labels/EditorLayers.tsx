/**
 * The editor's two Konva layers (static labels, active edits), each one Konva shape whose scene function paints
 * through `LabelsPainter`: React renders them once; edits and pointer moves only ask Konva for a redraw.
 */
import type Konva from 'konva';
import { useEffect, useRef } from 'react';
import { Layer, Shape } from 'react-konva';
import type { Editor } from '../../editor/editor.js';
import type { ViewportBus } from '../layers/viewportBus.js';
import { LabelsPainter } from './painter.js';

export function EditorLayers({ editor, bus, painterRef }: { editor: Editor; bus: ViewportBus; painterRef?: { current: LabelsPainter | null } }) {
  const staticLayer = useRef<Konva.Layer>(null);
  const activeLayer = useRef<Konva.Layer>(null);
  const painter = useRef<LabelsPainter | null>(null);
  if (!painter.current) painter.current = new LabelsPainter(editor, () => bus.current);
  const p = painter.current;

  useEffect(() => {
    p.staticLayer = staticLayer.current;
    p.activeLayer = activeLayer.current;
    if (painterRef) painterRef.current = p;
    const off = editor.subscribe((change) => p.onChange(change));
    p.syncVisibility();
    // While the labels are on their way, not in the middle of their arrival.
    const idle = typeof requestIdleCallback === 'function' ? requestIdleCallback(() => p.prepareBitmap(), { timeout: 1000 }) : null;
    staticLayer.current?.batchDraw();
    activeLayer.current?.batchDraw();
    return () => {
      if (idle !== null) cancelIdleCallback(idle);
      off();
      p.dispose();
      if (painterRef) painterRef.current = null;
    };
  }, [editor, p, painterRef]);

  return (
    <>
      <Layer ref={staticLayer} listening={false}>
        <Shape sceneFunc={p.paintStatic} listening={false} perfectDrawEnabled={false} />
      </Layer>
      <Layer ref={activeLayer} listening={false}>
        <Shape sceneFunc={p.paintActive} listening={false} perfectDrawEnabled={false} />
      </Layer>
    </>
  );
}
