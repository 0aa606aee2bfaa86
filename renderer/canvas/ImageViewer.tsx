/**
 * One image on a Konva stage: wheel zooms around the cursor, drag pans. The viewport lives in a ref and is pushed
 * to the stage directly, at most once per animation frame, so zooming never re-renders React. Overlay layers
 * (predictions, heat-maps) are drawn in image pixels under the same stage transform; `onViewport` tells them the
 * new viewport in the same frame, for the few things that keep a constant screen size (labels, handles).
 */
import type Konva from 'konva';
import { useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type PointerEvent, type ReactNode, type Ref } from 'react';
import { Image as KonvaImage, Layer, Stage } from 'react-konva';
import {
  actualSize,
  fitViewport,
  formatZoom,
  panBy,
  wheelZoomFactor,
  zoomAt,
  type Size,
  type Viewport,
} from './viewport.js';

export interface ImageViewerHandle {
  fit(): void;
  actualSize(): void;
  zoomBy(factor: number): void;
  viewport(): Viewport;
}

/** At this zoom and above, show crisp pixels: labelers need to see pixel edges, not a blur. */
const PIXELATED_FROM_SCALE = 2;
const BUTTON_ZOOM_STEP = 1.25;

type Loaded = { src: string; image: HTMLImageElement } | { src: string; error: true };

export interface ImageViewerProps {
  src: string;
  alt: string;
  ref?: Ref<ImageViewerHandle>;
  /** Konva layers drawn above the image, in image pixels. */
  layers?: ReactNode;
  /** Called in the animation frame that applies a new viewport, before the stage redraws. */
  onViewport?: (vp: Viewport) => void;
}

export function ImageViewer({ src, alt, ref, layers, onViewport }: ImageViewerProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const stageRef = useRef<Konva.Stage>(null);
  const layerRef = useRef<Konva.Layer>(null);
  const labelRef = useRef<HTMLSpanElement>(null);
  const vpRef = useRef<Viewport>({ scale: 1, x: 0, y: 0 });
  /** While true, the view refits on resize; any zoom or pan by the person ends it. */
  const fittedRef = useRef(true);
  const frameRef = useRef(0);
  const onViewportRef = useRef(onViewport);
  onViewportRef.current = onViewport;
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  const [loaded, setLoaded] = useState<Loaded | null>(null);

  useLayoutEffect(() => {
    const el = containerRef.current!;
    const measure = () => setSize({ width: el.clientWidth, height: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const img = new Image();
    img.decoding = 'async';
    img.onload = () => setLoaded({ src, image: img });
    img.onerror = () => setLoaded({ src, error: true });
    img.src = src;
    return () => {
      img.onload = img.onerror = null;
    };
  }, [src]);

  const image = loaded && 'image' in loaded ? loaded.image : null;
  const imageSize: Size | null = image ? { width: image.naturalWidth, height: image.naturalHeight } : null;

  const draw = () => {
    frameRef.current = 0;
    const stage = stageRef.current;
    const vp = vpRef.current;
    if (stage) {
      stage.scale({ x: vp.scale, y: vp.scale });
      stage.position({ x: vp.x, y: vp.y });
      layerRef.current?.imageSmoothingEnabled(vp.scale < PIXELATED_FROM_SCALE);
      onViewportRef.current?.(vp);
      stage.batchDraw();
    }
    if (labelRef.current) labelRef.current.textContent = formatZoom(vp.scale);
    const el = containerRef.current;
    if (el) {
      el.dataset.scale = String(vp.scale);
      el.dataset.offsetX = String(vp.x);
      el.dataset.offsetY = String(vp.y);
    }
  };

  const setViewport = (vp: Viewport, fitted = false) => {
    vpRef.current = vp;
    fittedRef.current = fitted;
    if (!frameRef.current) frameRef.current = requestAnimationFrame(draw);
  };

  const fit = () => {
    if (imageSize && size.width > 0) setViewport(fitViewport(imageSize, size), true);
  };
  const oneToOne = () => setViewport(actualSize(vpRef.current, size));
  const zoomBy = (factor: number) => setViewport(zoomAt(vpRef.current, factor, { x: size.width / 2, y: size.height / 2 }));

  useImperativeHandle(ref, () => ({ fit, actualSize: oneToOne, zoomBy, viewport: () => vpRef.current }));

  // A new image starts fitted; a resize keeps it fitted unless the person has zoomed or panned.
  const shownImage = useRef<HTMLImageElement | null>(null);
  useLayoutEffect(() => {
    if (!image || size.width === 0) return;
    if (shownImage.current !== image) {
      shownImage.current = image;
      fittedRef.current = true;
    }
    if (fittedRef.current) fit();
    else setViewport(vpRef.current);
  });

  useEffect(() => () => cancelAnimationFrame(frameRef.current), []);

  // React's onWheel is passive, and the page must not scroll while zooming.
  useEffect(() => {
    const el = containerRef.current!;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = el.getBoundingClientRect();
      const anchor = { x: e.clientX - rect.left, y: e.clientY - rect.top };
      setViewport(zoomAt(vpRef.current, wheelZoomFactor(e.deltaY, e.deltaMode), anchor));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, []);

  const drag = useRef<{ id: number; x: number; y: number } | null>(null);
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0 && e.button !== 1) return;
    if ((e.target as HTMLElement).closest('.viewer-controls')) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { id: e.pointerId, x: e.clientX, y: e.clientY };
    e.currentTarget.classList.add('panning');
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    setViewport(panBy(vpRef.current, e.clientX - d.x, e.clientY - d.y));
    d.x = e.clientX;
    d.y = e.clientY;
  };
  const endDrag = (e: PointerEvent<HTMLDivElement>) => {
    if (drag.current?.id !== e.pointerId) return;
    drag.current = null;
    e.currentTarget.classList.remove('panning');
  };

  const failed = loaded?.src === src && 'error' in loaded;
  return (
    <div
      ref={containerRef}
      className="viewer-stage"
      data-testid="viewer-stage"
      data-loaded={image && loaded?.src === src ? 'true' : 'false'}
      role="img"
      aria-label={alt}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={endDrag}
      onPointerCancel={endDrag}
    >
      {size.width > 0 ? (
        <Stage ref={stageRef} width={size.width} height={size.height}>
          <Layer ref={layerRef} listening={false}>
            {image ? <KonvaImage image={image} listening={false} perfectDrawEnabled={false} /> : null}
          </Layer>
          {image && loaded?.src === src ? layers : null}
        </Stage>
      ) : null}
      {failed ? (
        <div className="viewer-message error" role="alert">
          Could not load this image. The file may be missing, moved or unreadable; try Rescan in the library.
        </div>
      ) : loaded?.src !== src ? (
        <div className="viewer-message muted">Loading…</div>
      ) : null}
      <div className="viewer-controls" role="toolbar" aria-label="Zoom">
        <button type="button" className="btn btn-icon" aria-label="Zoom out" onClick={() => zoomBy(1 / BUTTON_ZOOM_STEP)}>
          −
        </button>
        <span ref={labelRef} className="zoom-label" data-testid="zoom-label" aria-live="off">
          —
        </span>
        <button type="button" className="btn btn-icon" aria-label="Zoom in" onClick={() => zoomBy(BUTTON_ZOOM_STEP)}>
          +
        </button>
        <button type="button" className="btn btn-small" aria-label="Fit image to view (F)" title="Fit (F)" onClick={fit}>
          Fit
        </button>
        <button type="button" className="btn btn-small" aria-label="Actual size, 100% (1)" title="1:1 (1)" onClick={oneToOne}>
          1:1
        </button>
      </div>
    </div>
  );
}
