/**
 * One image on a Konva stage: wheel zooms around the cursor, drag pans. The viewport lives in a ref and is pushed
 * to the stage directly, at most once per animation frame, so zooming never re-renders React. Overlay layers
 * (predictions, heat-maps) are drawn in image pixels under the same stage transform; `onViewport` tells them the
 * new viewport in the same frame, for the few things that keep a constant screen size (labels, handles).
 */
import type Konva from 'konva';
import { useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type MouseEvent, type PointerEvent, type ReactNode, type Ref } from 'react';
import { flushSync } from 'react-dom';
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

/** Decoded pixels: an ImageBitmap (decoded off the main thread), or an <img> where that could not be made. */
type Pixels = ImageBitmap | HTMLImageElement;
type Loaded = { src: string; image: Pixels } | { src: string; error: true };

const widthOf = (p: Pixels) => (p instanceof HTMLImageElement ? p.naturalWidth : p.width);
const heightOf = (p: Pixels) => (p instanceof HTMLImageElement ? p.naturalHeight : p.height);

/** A bitmap holds its decoded pixels until closed (48 MB for 12 MP); an <img> is left to the garbage collector. */
function closePixels(px: Pixels): void {
  if (!(px instanceof HTMLImageElement)) px.close();
}

/**
 * `bytes` decoded off the main thread (createImageBitmap), or null where that cannot be done (no createImageBitmap,
 * bytes it refuses): the caller falls back to an <img>. Rejects with an AbortError once `signal` aborts.
 */
async function bitmapOf(bytes: Blob, signal: AbortSignal): Promise<ImageBitmap | null> {
  let bitmap: ImageBitmap | null = null;
  if (typeof createImageBitmap === 'function') bitmap = await createImageBitmap(bytes).catch(() => null);
  if (signal.aborted) {
    bitmap?.close();
    throw new DOMException('aborted', 'AbortError');
  }
  return bitmap;
}

/** The longest a preloaded image's decode waits for what should show before it (see preloadImage). */
const MAX_DECODE_WAIT_MS = 1500;

/**
 * Fetch the image and decode it off the main thread (createImageBitmap on the bytes), once `after` has settled. An
 * <img> with decode() was not enough: Chromium decoded the 4000×3000 JPEG again, on the main thread, at the first
 * drawImage (hundreds of milliseconds in which nothing else ran, the labels' paint included). Falls back to an <img>
 * when fetch or createImageBitmap fails (an <img> error then says the file cannot be shown).
 */
async function decodePixels(src: string, signal: AbortSignal, after?: Promise<unknown>): Promise<Pixels> {
  if (typeof createImageBitmap === 'function' && typeof fetch === 'function') {
    const blob = await fetch(src, { signal, credentials: 'same-origin' })
      .then((res) => (res.ok ? res.blob() : null))
      .catch(() => null);
    if (blob) {
      if (after) await Promise.race([after, new Promise((r) => setTimeout(r, MAX_DECODE_WAIT_MS))]);
      const bitmap = await bitmapOf(blob, signal);
      if (bitmap) return bitmap;
    }
    // Otherwise the <img> below answers for it (and an error there says the file cannot be shown).
    if (signal.aborted) throw new DOMException('aborted', 'AbortError');
  }
  return loadImg(src, signal);
}

interface Preload {
  src: string;
  stop: AbortController;
  pixels: Promise<Pixels>;
  /** The pixels, once decoded. */
  done: Pixels | null;
}

/** Pixels asked for before a viewer shows them: the latest of each kind, taken by the viewer of the same source. */
const preloads: { full: Preload | null; preview: Preload | null } = { full: null, preview: null };

function release(p: Preload): void {
  p.stop.abort();
  p.pixels.then(
    closePixels,
    () => undefined,
  );
}

/**
 * Start fetching and decoding an image (`full`) or its thumbnail (`preview`) before the viewer that will show it
 * renders: the app calls this as the address changes to an image. A later call for another source drops this one.
 * A full image's bytes are fetched at once, its decode (a large photo's is long, on a machine with few cores it
 * competes with everything else) waits for `after` (what should show first: the labels, over the preview), at
 * most MAX_DECODE_WAIT_MS.
 */
export function preloadImage(kind: 'full' | 'preview', src: string, after?: Promise<unknown>, bytes?: Blob): void {
  const old = preloads[kind];
  if (old?.src === src) return;
  if (old) release(old);
  const stop = new AbortController();
  const pixels = kind === 'full' ? decodePixels(src, stop.signal, after) : bytes ? decodeBytes(bytes, src, stop.signal) : decodeSmall(src, stop.signal);
  const p: Preload = { src, stop, pixels, done: null };
  p.pixels.then(
    (px) => (p.done = px),
    () => undefined,
  );
  preloads[kind] = p;
}

/** The preload of `src`, now the caller's (null when there is none; another source's is dropped). */
function takePreload(kind: 'full' | 'preview', src: string): Preload | null {
  const p = preloads[kind];
  preloads[kind] = null;
  if (p && p.src !== src) {
    release(p);
    return null;
  }
  return p;
}

/**
 * A small image (a thumbnail): an <img> asked for at high priority and drawn once loaded, without decode() (which
 * queues behind the full image's decode; a thumbnail decodes at its first draw in no time). Not fetched as a blob:
 * a blob URL's bytes go through the browser process, which is slow to answer while megabytes of labels stream in.
 */
function decodeSmall(src: string, signal: AbortSignal): Promise<Pixels> {
  return loadImg(src, signal, false);
}

/**
 * A thumbnail whose bytes the page holds already (the grid's, see recentThumbnail): decoded off the main thread at
 * once. Nothing else is decoding this early in an open (the full image waits for the labels), so nothing is ahead of
 * it in that queue. Falls back to loading `src`.
 */
async function decodeBytes(bytes: Blob, src: string, signal: AbortSignal): Promise<Pixels> {
  return (await bitmapOf(bytes, signal)) ?? decodeSmall(src, signal);
}

function loadImg(src: string, signal: AbortSignal, decode = true): Promise<HTMLImageElement> {
  return new Promise<HTMLImageElement>((resolve, reject) => {
    const img = new Image();
    img.decoding = 'async';
    if (!decode) img.fetchPriority = 'high';
    const done = () => {
      img.onload = img.onerror = null;
      signal.removeEventListener('abort', stop);
    };
    const stop = () => {
      done();
      reject(new DOMException('aborted', 'AbortError'));
    };
    img.onload = () => {
      done();
      if (!decode) return resolve(img);
      img.decode().then(
        () => resolve(img),
        () => resolve(img),
      );
    };
    img.onerror = () => {
      done();
      reject(new Error(`cannot load ${src}`));
    };
    signal.addEventListener('abort', stop);
    img.src = src;
  });
}

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
  /**
   * A small version of the same picture (the library's thumbnail), shown stretched over the image's known size
   * until the full image is decoded: a large photo takes a while to decode, its labels do not.
   */
  previewSrc?: string;
}

export function ImageViewer({ src, alt, ref, layers, onViewport, interaction, cursor, stageTestId, fallbackSize, link, frameTestId = 'viewer-stage', previewSrc }: ImageViewerProps) {
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
  /** The preview of `src` (the image it stands in for, and its pixels). */
  const [preview, setPreview] = useState<{ src: string; image: Pixels } | null>(null);

  useLayoutEffect(() => {
    const el = containerRef.current!;
    const measure = () => setSize({ width: el.clientWidth, height: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    // Decoded before the first draw, off the main thread: the labels' requests and paint do not wait behind it.
    const early = takePreload('full', src);
    const stop = early?.stop ?? new AbortController();
    (early?.pixels ?? decodePixels(src, stop.signal)).then(
      (image) => {
        if (stop.signal.aborted) {
          closePixels(image);
        } else setLoaded({ src, image });
      },
      () => !stop.signal.aborted && setLoaded({ src, error: true }),
    );
    return () => stop.abort();
  }, [src]);

  useEffect(() => {
    if (!previewSrc) return;
    const early = takePreload('preview', previewSrc);
    const stop = early?.stop ?? new AbortController();
    // Not preloaded from the grid's bytes: an <img>, since a thumbnail decodes in no time on the main thread, while
    // createImageBitmap would queue it behind the full image's decode.
    (early?.pixels ?? decodeSmall(previewSrc, stop.signal)).then(
      (image) => {
        if (stop.signal.aborted) {
          closePixels(image);
          return;
        }
        // Shown now (the stage drawn at the present viewport), not after whatever the page renders next (an image's
        // labels arriving, say).
        flushSync(() => setPreview({ src, image }));
        cancelAnimationFrame(frameRef.current);
        drawRef.current(true);
      },
      () => undefined, // no preview: the full image shows when it is decoded
    );
    return () => stop.abort();
  }, [src, previewSrc]);

  const image = loaded && 'image' in loaded ? loaded.image : null;
  // A bitmap holds its decoded pixels (48 MB for 12 MP) until closed: free it once the next one is shown.
  useEffect(() => () => {
    if (image) closePixels(image);
  }, [image]);
  const failedNow = loaded?.src === src && 'error' in loaded;
  const known = fallbackSize && fallbackSize.width > 0 ? fallbackSize : null;
  const fallback = failedNow ? known : null;
  const current = image && loaded?.src === src ? image : null;
  const imageSize: Size | null = current ? { width: widthOf(current), height: heightOf(current) } : known;
  // The preview stands in only while the full image is on its way, and only where the image's size is known.
  // A preview decoded ahead of this render is shown in it, not a render later.
  const early = previewSrc && preloads.preview?.src === previewSrc ? preloads.preview.done : null;
  const previewNow = !current && !failedNow && known ? (preview?.src === src ? preview.image : early) : null;
  useEffect(() => () => {
    if (preview) closePixels(preview.image);
  }, [preview]);
  useEffect(() => {
    if (current && preview) setPreview(null);
  }, [current, preview]);
  /** What the base layer shows now: scripts and benchmarks read when it was first drawn (data-image-drawn-at). */
  const shownPixels = useRef<{ src: string; kind: 'full' | 'preview' | null }>({ src, kind: null });
  shownPixels.current = { src, kind: current ? 'full' : previewNow ? 'preview' : null };

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
    const fresh = shownImage.current !== shown;
    if (fresh) {
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
    // The layers learn a new image's viewport now, not at the next frame: its labels may be painted before that.
    if (fresh) onViewportRef.current?.(vpRef.current);
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

  // When the image (or its preview) first reached the screen for this source: `data-image-drawn` says which is shown,
  // `data-image-drawn-at` and `data-full-image-drawn-at` (page clock) when each was first drawn.
  const stampedFor = useRef<{ src: string; any: boolean; full: boolean }>({ src: '', any: false, full: false });
  useEffect(() => {
    const layer = layerRef.current;
    if (!layer) return;
    const onDraw = () => {
      const { src: now, kind } = shownPixels.current;
      const el = containerRef.current;
      if (!el) return;
      let st = stampedFor.current;
      if (st.src !== now) {
        st = stampedFor.current = { src: now, any: false, full: false };
        delete el.dataset.imageDrawnAt;
        delete el.dataset.fullImageDrawnAt;
      }
      el.dataset.imageDrawn = kind ?? 'none';
      if (!kind) return;
      const at = String(performance.now());
      if (!st.any) {
        st.any = true;
        el.dataset.imageDrawnAt = at;
      }
      if (kind === 'full' && !st.full) {
        st.full = true;
        el.dataset.fullImageDrawnAt = at;
      }
    };
    layer.on('draw.stamp', onDraw);
    return () => {
      layer.off('draw.stamp');
    };
  }, [size.width > 0]);

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
            {previewNow && known ? <KonvaImage image={previewNow} width={known.width} height={known.height} listening={false} perfectDrawEnabled={false} /> : null}
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
