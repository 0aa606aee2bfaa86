/**
 * One image on a Konva stage: wheel zooms around the cursor, drag pans. The viewport lives in a ref and is pushed
 * to the stage directly, at most once per animation frame, so zooming never re-renders React. Overlay layers
 * (predictions, heat-maps) are drawn in image pixels under the same stage transform; `onViewport` tells them the
 * new viewport in the same frame, for the few things that keep a constant screen size (labels, handles).
 */
import type Konva from 'konva';
import { useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type MouseEvent, type PointerEvent, type ReactNode, type Ref } from 'react';
import { Image as KonvaImage, Layer, Rect, Stage } from 'react-konva';
import {
  actualSize,
  fitViewport,
  formatZoom,
  panBy,
  screenToImage,
  wheelZoomFactor,
  type Point,
  zoomAt,
  type Size,
  type Viewport,
} from './viewport.js';
import type { LinkedViewer, ViewportLink } from './viewportLink.js';

export interface ImageViewerHandle {
  fit(): void;
  actualSize(): void;
  zoomBy(factor: number): void;
  viewport(): Viewport;
  /** Set the viewport directly (tests and benchmarks drive pans and zooms through it). */
  setViewport(vp: Viewport): void;
  /** Apply a viewport and draw the stage now, synchronously (benchmarks time it). */
  drawNow(vp: Viewport): void;
}

/**
 * Pointer input for an editing tool, in image pixels. A tool that takes a press (returns true) gets the moves and the
 * release of that pointer; the viewer pans with the middle button, with Space held, or with a press no tool took.
 */
export interface ViewerInteraction {
  pointerDown(e: PointerEvent<HTMLDivElement>, at: Point, vp: Viewport): boolean;
  pointerMove(e: PointerEvent<HTMLDivElement>, at: Point, vp: Viewport, pressed: boolean): void;
  pointerUp(e: PointerEvent<HTMLDivElement>, at: Point, vp: Viewport): void;
  doubleClick(e: MouseEvent<HTMLDivElement>, at: Point, vp: Viewport): void;
  contextMenu(e: MouseEvent<HTMLDivElement>, at: Point, vp: Viewport): void;
  pointerLeave?(): void;
  /**
   * A left press the tool does not take pans the view (a viewer that only points at things). Otherwise such a press
   * stays the tool's (the select tool's rubber band starts on empty space).
   */
  panUntaken?: boolean;
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
  /** An editing tool's pointer input; without one, a left drag pans. */
  interaction?: ViewerInteraction;
  /** CSS cursor over the image. */
  cursor?: string;
  /** data-testid of the Konva stage's own container. */
  stageTestId?: string;
  /**
   * The image's size as the project knows it: the layers show at once, before the pixels are decoded, and over an
   * empty frame when the file cannot be loaded (gone missing).
   */
  fallbackSize?: Size;
  /** Viewers on one link show the same viewport: this one's pans and zooms move the others, and theirs move it. */
  link?: ViewportLink;
  /** data-testid of the viewer's frame (the element that carries the viewport in data-scale / data-offset-x / -y). */
  frameTestId?: string;
}

export function ImageViewer({ src, alt, ref, layers, onViewport, interaction, cursor, stageTestId, fallbackSize, link, frameTestId = 'viewer-stage' }: ImageViewerProps) {
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
  const linkRef = useRef(link);
  linkRef.current = link;
  /** This viewer as its link sees it; the link calls `follow` while another member leads. */
  const memberRef = useRef<LinkedViewer | null>(null);
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
    let live = true;
    // Decode off the main thread before the first draw: a 4000×3000 JPEG decoded by drawImage blocked the page for
    // about half a second (the labels' requests waited behind it).
    img.onload = () =>
      img.decode().then(
        () => live && setLoaded({ src, image: img }),
        () => live && setLoaded({ src, image: img }),
      );
    img.onerror = () => setLoaded({ src, error: true });
    img.src = src;
    return () => {
      live = false;
      img.onload = img.onerror = null;
    };
  }, [src]);

  const image = loaded && 'image' in loaded ? loaded.image : null;
  const failedNow = loaded?.src === src && 'error' in loaded;
  const known = fallbackSize && fallbackSize.width > 0 ? fallbackSize : null;
  const fallback = failedNow ? known : null;
  const current = image && loaded?.src === src ? image : null;
  const imageSize: Size | null = current ? { width: current.naturalWidth, height: current.naturalHeight } : known;

  const draw = (sync = false) => {
    frameRef.current = 0;
    const stage = stageRef.current;
    const vp = vpRef.current;
    if (stage) {
      stage.scale({ x: vp.scale, y: vp.scale });
      stage.position({ x: vp.x, y: vp.y });
      layerRef.current?.imageSmoothingEnabled(vp.scale < PIXELATED_FROM_SCALE);
      onViewportRef.current?.(vp);
      // The linked viewers follow in this frame (the link ignores their echo while they do).
      linkRef.current?.moved(memberRef.current, vp, fittedRef.current);
      if (sync) stage.draw();
      else stage.batchDraw();
    }
    if (labelRef.current) labelRef.current.textContent = formatZoom(vp.scale);
    const el = containerRef.current;
    if (el) {
      el.dataset.scale = String(vp.scale);
      el.dataset.offsetX = String(vp.x);
      el.dataset.offsetY = String(vp.y);
    }
  };

  const drawRef = useRef(draw);
  drawRef.current = draw;

  const setViewport = (vp: Viewport, fitted = false) => {
    vpRef.current = vp;
    fittedRef.current = fitted;
    if (!frameRef.current) frameRef.current = requestAnimationFrame(() => draw());
  };

  const fit = () => {
    if (imageSize && size.width > 0) setViewport(fitViewport(imageSize, size), true);
  };
  const oneToOne = () => setViewport(actualSize(vpRef.current, size));
  const zoomBy = (factor: number) => setViewport(zoomAt(vpRef.current, factor, { x: size.width / 2, y: size.height / 2 }));

  useImperativeHandle(ref, () => ({ fit, actualSize: oneToOne, zoomBy, viewport: () => vpRef.current,
    setViewport: (vp: Viewport) => setViewport(vp),
    drawNow: (vp: Viewport) => {
      vpRef.current = vp;
      fittedRef.current = false;
      cancelAnimationFrame(frameRef.current);
      draw(true);
    },
  }));

  useEffect(() => {
    if (!link) return;
    const member: LinkedViewer = {
      viewport: () => vpRef.current,
      follow: (vp, fitted) => {
        vpRef.current = vp;
        fittedRef.current = fitted;
        cancelAnimationFrame(frameRef.current);
        drawRef.current();
      },
    };
    memberRef.current = member;
    const leave = link.join(member);
    return () => {
      leave();
      memberRef.current = null;
    };
  }, [link]);

  // A new image starts fitted; a resize keeps it fitted unless the person has zoomed or panned.
  // Keyed by source and size, so the decoded pixels arriving under labels already shown do not refit the view.
  const shownImage = useRef<string | null>(null);
  const shown = imageSize ? `${src}:${imageSize.width}x${imageSize.height}` : null;
  useLayoutEffect(() => {
    if (!shown || size.width === 0) return;
    if (shownImage.current !== shown) {
      const joining = shownImage.current === null ? linkRef.current?.current : null;
      shownImage.current = shown;
      fittedRef.current = true;
      // A viewer opened beside a linked one (side by side) starts where that one is, unless it is just fitted.
      if (joining && !joining.fitted) {
        vpRef.current = joining.vp;
        fittedRef.current = false;
      }
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
  const toolPointer = useRef<number | null>(null);
  const spaceHeld = useRef(false);
  const interactionRef = useRef(interaction);
  interactionRef.current = interaction;

  // Space held turns a left drag into a pan, as in every drawing program.
  useEffect(() => {
    const typing = (t: EventTarget | null) => t instanceof HTMLElement && t.closest('input, select, textarea, [contenteditable="true"]') !== null;
    const down = (e: KeyboardEvent) => {
      if (e.code === 'Space' && !typing(e.target)) {
        spaceHeld.current = true;
        containerRef.current?.classList.add('space-pan');
        e.preventDefault();
      }
    };
    const up = (e: KeyboardEvent) => {
      if (e.code === 'Space') {
        spaceHeld.current = false;
        containerRef.current?.classList.remove('space-pan');
      }
    };
    const blur = () => {
      spaceHeld.current = false;
      containerRef.current?.classList.remove('space-pan');
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', blur);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', blur);
    };
  }, []);

  const imagePoint = (e: { clientX: number; clientY: number }): Point => {
    const rect = containerRef.current!.getBoundingClientRect();
    return screenToImage(vpRef.current, { x: e.clientX - rect.left, y: e.clientY - rect.top });
  };

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if ((e.target as HTMLElement).closest('.viewer-controls')) return;
    const tool = interactionRef.current;
    const panGesture = e.button === 1 || (e.button === 0 && spaceHeld.current);
    if (!panGesture && tool && imageSize && tool.pointerDown(e, imagePoint(e), vpRef.current)) {
      e.currentTarget.setPointerCapture(e.pointerId);
      toolPointer.current = e.pointerId;
      return;
    }
    if (e.button !== 0 && e.button !== 1) return;
    if (tool && !panGesture && !tool.panUntaken) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { id: e.pointerId, x: e.clientX, y: e.clientY };
    e.currentTarget.classList.add('panning');
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (d && d.id === e.pointerId) {
      setViewport(panBy(vpRef.current, e.clientX - d.x, e.clientY - d.y));
      d.x = e.clientX;
      d.y = e.clientY;
      return;
    }
    const tool = interactionRef.current;
    if (tool && imageSize) tool.pointerMove(e, imagePoint(e), vpRef.current, toolPointer.current === e.pointerId);
  };
  const endDrag = (e: PointerEvent<HTMLDivElement>) => {
    if (toolPointer.current === e.pointerId) {
      toolPointer.current = null;
      interactionRef.current?.pointerUp(e, imagePoint(e), vpRef.current);
      return;
    }
    if (drag.current?.id !== e.pointerId) return;
    drag.current = null;
    e.currentTarget.classList.remove('panning');
  };
  const onDoubleClick = (e: MouseEvent<HTMLDivElement>) => {
    if ((e.target as HTMLElement).closest('.viewer-controls')) return;
    if (interactionRef.current && imageSize) interactionRef.current.doubleClick(e, imagePoint(e), vpRef.current);
  };
  const onContextMenu = (e: MouseEvent<HTMLDivElement>) => {
    if (!interactionRef.current || !imageSize) return;
    e.preventDefault();
    interactionRef.current.contextMenu(e, imagePoint(e), vpRef.current);
  };

  // The Konva stage's own container carries the test id scripts look for.
  useEffect(() => {
    const container = stageRef.current?.container();
    if (container && stageTestId) container.dataset.testid = stageTestId;
  });

  const failed = loaded?.src === src && 'error' in loaded;
  return (
    <div
      ref={containerRef}
      className="viewer-stage"
      data-testid={frameTestId}
      data-loaded={image && loaded?.src === src ? 'true' : 'false'}
      role="img"
      aria-label={alt}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={endDrag}
      onPointerCancel={endDrag}
      onPointerLeave={() => interactionRef.current?.pointerLeave?.()}
      onDoubleClick={onDoubleClick}
      onContextMenu={onContextMenu}
      style={cursor ? { cursor } : undefined}
    >
      {size.width > 0 ? (
        <Stage ref={stageRef} width={size.width} height={size.height}>
          <Layer ref={layerRef} listening={false}>
            {current ? <KonvaImage image={current} listening={false} perfectDrawEnabled={false} /> : null}
            {!image && fallback ? <Rect width={fallback.width} height={fallback.height} fill="#1d2027" stroke="#ff6b6b" strokeWidth={2} strokeScaleEnabled={false} dash={[8, 6]} listening={false} /> : null}
          </Layer>
          {imageSize ? layers : null}
        </Stage>
      ) : null}
      {failed ? (
        <div className={`viewer-message error${fallback ? ' viewer-message-top' : ''}`} role="alert">
          {fallback
            ? 'The image file is missing: its labels are shown and stay editable. Rescan the library once the file is back.'
            : 'Could not load this image. The file may be missing, moved or unreadable; try Rescan in the library.'}
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
        <button type="button" className="btn btn-small" aria-label="Actual size, 100% (0)" title="1:1 (0)" onClick={oneToOne}>
          1:1
        </button>
      </div>
    </div>
  );
}
