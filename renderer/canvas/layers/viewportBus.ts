import type { Viewport } from '../viewport.js';

/**
 * The viewer's current viewport for overlay layers, without React: the viewer emits once per frame, layers read
 * `current` when they build nodes and subscribe to rescale their constant-size nodes.
 */
export class ViewportBus {
  current: Viewport = { scale: 1, x: 0, y: 0 };
  private readonly listeners = new Set<(vp: Viewport) => void>();

  readonly emit = (vp: Viewport): void => {
    this.current = vp;
    for (const l of this.listeners) l(vp);
  };

  subscribe(listener: (vp: Viewport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
