/**
 * Keypoints (K): the active class's template says which points, in which order. Each click places the next point,
 * visible (v = 2), or occluded (v = 1) with Shift; X skips a point (v = 0, not labeled). When the last point is
 * placed, or on Enter, the shape is made in one step (points not reached are not labeled). Backspace takes back
 * the last point, Esc drops the draft.
 */
import { clampPoint } from '../shapes.js';
import type { Draft, PointerInput } from '../types.js';
import { BaseTool, change } from './tool.js';

type KeypointsDraft = Extract<Draft, { kind: 'keypoints' }>;

export class KeypointsTool extends BaseTool {
  readonly name = 'keypoints' as const;

  private draft(): KeypointsDraft | null {
    const d = this.host.state.draft;
    return d && d.kind === 'keypoints' ? d : null;
  }

  override busy(): boolean {
    return this.draft() !== null;
  }

  /** The draft, started from the active class's template; null (with a notice) when it has none. */
  private ensureDraft(): KeypointsDraft | null {
    const d = this.draft();
    if (d) return d;
    const c = this.host.activeClass();
    if (!c?.keypoints) {
      this.host.notice(
        c
          ? `Class "${c.name}" has no keypoint template. Give it one in the classes panel, or pick a class that has one.`
          : 'Pick a class with a keypoint template first (classes panel, or keys 1–9).',
        'warning',
      );
      return null;
    }
    return { kind: 'keypoints', classId: c.id, points: [], names: [...c.keypoints.names], edges: c.keypoints.edges.map(([a, b]) => [a, b]), cursor: null };
  }

  override pointerDown(p: PointerInput): boolean {
    if (p.button !== 0 || !this.host.width) return false;
    const d = this.ensureDraft();
    if (!d) return true;
    const at = clampPoint(p, this.host.width, this.host.height);
    this.place(d, [at.x, at.y, p.shift ? 1 : 2]);
    return true;
  }

  override pointerMove(p: PointerInput): boolean {
    this.host.setCursor('crosshair');
    const d = this.draft();
    if (!d) return false;
    this.host.setDraft({ ...d, cursor: clampPoint(p, this.host.width, this.host.height) });
    return true;
  }

  override pointerUp(_p: PointerInput): boolean {
    return this.draft() !== null;
  }

  override skip(): boolean {
    const d = this.ensureDraft();
    if (!d) return true;
    this.place(d, [0, 0, 0]);
    return true;
  }

  override finish(): boolean {
    const d = this.draft();
    if (!d) return false;
    this.create(d);
    return true;
  }

  override cancel(): boolean {
    if (!this.draft()) return false;
    this.host.setDraft(null);
    return true;
  }

  override deleteKey(): boolean {
    const d = this.draft();
    if (!d) return false;
    this.host.setDraft(d.points.length <= 3 ? null : { ...d, points: d.points.slice(0, -3) });
    return true;
  }

  private place(d: KeypointsDraft, triple: [number, number, number]): void {
    const next = { ...d, points: [...d.points, ...triple] };
    if (next.points.length / 3 >= next.names.length) this.create(next);
    else this.host.setDraft(next);
  }

  private create(d: KeypointsDraft): void {
    const host = this.host;
    const points = d.points.slice();
    while (points.length / 3 < d.names.length) points.push(0, 0, 0);
    let labeled = 0;
    for (let i = 2; i < points.length; i += 3) if (points[i] > 0) labeled++;
    if (labeled === 0) {
      host.setDraft({ ...d, points: d.points });
      host.notice('No point is placed yet (all were skipped); click to place one, or Esc to cancel.', 'warning');
      if (d.points.length / 3 >= d.names.length) host.setDraft(null);
      return;
    }
    host.setDraft(null);
    host.withIds(1, ([id]) => {
      const s = host.newShape('keypoints', { type: 'keypoints', points, names: d.names }, d.classId);
      if (host.commit('Place keypoints', [change(id, null, s)])) host.select([id]);
    });
  }
}
