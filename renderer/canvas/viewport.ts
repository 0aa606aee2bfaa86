/**
 * Zoom and pan as pure math. A viewport maps image pixels to screen (stage) pixels:
 *   screen = image * scale + offset
 * Geometry is stored in image pixels, so every tool converts pointer positions with `screenToImage`.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

export interface Viewport {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 1 / 64;
export const MAX_SCALE = 64;
/** One wheel notch zooms by this factor. */
export const WHEEL_ZOOM_STEP = 1.1;

export function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

export function screenToImage(vp: Viewport, p: Point): Point {
  return { x: (p.x - vp.x) / vp.scale, y: (p.y - vp.y) / vp.scale };
}

export function imageToScreen(vp: Viewport, p: Point): Point {
  return { x: p.x * vp.scale + vp.x, y: p.y * vp.scale + vp.y };
}

/** Set the scale (clamped) so that the image point under `anchor` (screen) stays under it. */
export function zoomTo(vp: Viewport, scale: number, anchor: Point): Viewport {
  const next = clampScale(scale);
  const at = screenToImage(vp, anchor);
  return { scale: next, x: anchor.x - at.x * next, y: anchor.y - at.y * next };
}

export function zoomAt(vp: Viewport, factor: number, anchor: Point): Viewport {
  return zoomTo(vp, vp.scale * factor, anchor);
}

export function panBy(vp: Viewport, dx: number, dy: number): Viewport {
  return { scale: vp.scale, x: vp.x + dx, y: vp.y + dy };
}

/**
 * Zoom factor for a wheel event. Browsers report a mouse notch as ~100 px (deltaMode 0) or 3 lines (deltaMode 1);
 * trackpads send small pixel deltas, which become fractional notches and so zoom smoothly.
 */
export function wheelZoomFactor(deltaY: number, deltaMode = 0): number {
  const notches = deltaMode === 1 ? deltaY / 3 : deltaMode === 2 ? deltaY : deltaY / 100;
  return Math.pow(WHEEL_ZOOM_STEP, -notches);
}

/** The whole image centred in the view, with `padding` screen pixels around it. */
export function fitViewport(image: Size, view: Size, padding = 16): Viewport {
  if (image.width <= 0 || image.height <= 0) return { scale: 1, x: view.width / 2, y: view.height / 2 };
  const availW = Math.max(1, view.width - 2 * padding);
  const availH = Math.max(1, view.height - 2 * padding);
  const scale = clampScale(Math.min(availW / image.width, availH / image.height));
  return centred(image, view, scale);
}

/** One image pixel per screen pixel, centred on the image point now at the view's centre. */
export function actualSize(vp: Viewport, view: Size): Viewport {
  return zoomTo(vp, 1, { x: view.width / 2, y: view.height / 2 });
}

function centred(image: Size, view: Size, scale: number): Viewport {
  return { scale, x: (view.width - image.width * scale) / 2, y: (view.height - image.height * scale) / 2 };
}

/** "100%", "12.5%", "0.4%": enough digits to tell neighbouring zoom steps apart. */
export function formatZoom(scale: number): string {
  const pct = scale * 100;
  if (pct >= 100) return `${Math.round(pct)}%`;
  if (pct >= 10) return `${Math.round(pct * 10) / 10}%`;
  return `${Math.round(pct * 100) / 100}%`;
}
