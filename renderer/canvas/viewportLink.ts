/**
 * Viewers that show the same image-pixel viewport (compare mode's side by side): when one draws a new viewport (a
 * pan, a zoom, a fit, a resize), the others take it in the same frame, without React. Plain code, no DOM: each
 * viewer joins with how to read its viewport and how to take one.
 */
import type { Viewport } from './viewport.js';

export interface LinkedViewer {
  viewport(): Viewport;
  /** Show `vp` now (no refit, no echo needed): `fitted` says whether it is the leader's fit, to keep refitting on resize. */
  follow(vp: Viewport, fitted: boolean): void;
}

/** Equal up to float noise: a follower that reports back what it was given must not start another round. */
export function sameViewport(a: Viewport, b: Viewport): boolean {
  const px = 1e-6;
  return Math.abs(a.scale - b.scale) <= 1e-9 * Math.max(a.scale, b.scale) && Math.abs(a.x - b.x) <= px && Math.abs(a.y - b.y) <= px;
}

export class ViewportLink {
  /** The last viewport any member drew: a viewer that joins later starts from it. */
  current: { vp: Viewport; fitted: boolean } | null = null;
  private readonly members = new Set<LinkedViewer>();
  /** Set while the others follow: what they report back in that time is the leader's own viewport, not news. */
  private syncing = false;

  join(viewer: LinkedViewer): () => void {
    this.members.add(viewer);
    return () => this.members.delete(viewer);
  }

  get size(): number {
    return this.members.size;
  }

  /** `from` drew `vp`: every other member that shows something else follows. */
  moved(from: LinkedViewer | null, vp: Viewport, fitted: boolean): void {
    if (this.syncing) return;
    this.current = { vp, fitted };
    this.syncing = true;
    try {
      for (const m of this.members) if (m !== from && !sameViewport(m.viewport(), vp)) m.follow(vp, fitted);
    } finally {
      this.syncing = false;
    }
  }
}
