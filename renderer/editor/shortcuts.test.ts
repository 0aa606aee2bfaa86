import { describe, expect, it } from 'vitest';
import { matchShortcut, SHORTCUTS } from './shortcuts.js';
import type { KeyInput } from './types.js';

const k = (key: string, o: Partial<KeyInput> = {}): KeyInput => ({ key, ctrl: false, shift: false, alt: false, ...o });

describe('SHORTCUTS', () => {
  it('lists each binding once, and every editor row with a key is reachable by it', () => {
    const seen = new Set<string>();
    for (const s of SHORTCUTS) {
      expect(s.key.length).toBeGreaterThan(0);
      expect(s.description.length).toBeGreaterThan(0);
      for (const b of s.bindings) {
        const id = `${b.ctrl ? 'C' : ''}${b.shift ? 'S' : ''}${b.alt ? 'A' : ''}+${b.key}`;
        expect(seen.has(id), id).toBe(false);
        seen.add(id);
        expect(matchShortcut(k(b.key, { ctrl: !!b.ctrl, shift: !!b.shift, alt: !!b.alt }))).toBe(s.command);
      }
      if (!s.bindings.length) expect(s.command).toBeNull(); // a mouse gesture
    }
  });

  it('matches the keys the issue names, letters in either case, and nothing with extra modifiers', () => {
    expect(matchShortcut(k('V'))).toBe('tool.select');
    expect(matchShortcut(k('b'))).toBe('tool.box');
    expect(matchShortcut(k('Z', { ctrl: true, shift: true }))).toBe('redo');
    expect(matchShortcut(k('z', { ctrl: true }))).toBe('undo');
    expect(matchShortcut(k('y', { ctrl: true }))).toBe('redo');
    expect(matchShortcut(k('ArrowLeft', { shift: true }))).toBe('nudge.left10');
    expect(matchShortcut(k('5'))).toBe('class.5');
    expect(matchShortcut(k('Enter', { ctrl: true }))).toBeNull(); // the page's "done and next"
    expect(matchShortcut(k('d'))).toBeNull(); // the page's "next image"
    expect(matchShortcut(k('v', { alt: true }))).toBeNull();
    expect(matchShortcut(k('?', { shift: true }))).toBeNull();
  });

  it('has a row for every editor command', () => {
    const listed = new Set(SHORTCUTS.map((s) => s.command));
    for (const c of ['tool.select', 'tool.box', 'tool.polygon', 'tool.polyline', 'tool.brush', 'tool.eraser', 'tool.keypoints', 'undo', 'redo', 'copy', 'paste', 'duplicate', 'selectAll', 'delete', 'finish', 'cancel', 'labels.toggle', 'keypoint.skip', 'keypoint.visibility', 'brush.smaller', 'brush.larger', 'class.1', 'class.9']) {
      expect(listed.has(c as never), c).toBe(true);
    }
  });
});
