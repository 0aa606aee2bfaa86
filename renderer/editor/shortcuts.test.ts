import { describe, expect, it } from 'vitest';
import { matchCompareShortcut, matchShortcut, SHORTCUTS } from './shortcuts.js';
import type { KeyInput } from './types.js';

const k = (key: string, o: Partial<KeyInput> = {}): KeyInput => ({ key, ctrl: false, shift: false, alt: false, ...o });

describe('SHORTCUTS', () => {
  it('lists each binding once, and every editor row with a key is reachable by it', () => {
    const seen = new Set<string>();
    const seenCompare = new Set<string>();
    for (const s of SHORTCUTS) {
      expect(s.key.length).toBeGreaterThan(0);
      expect(s.description.length).toBeGreaterThan(0);
      for (const b of s.bindings) {
        const id = `${b.ctrl ? 'C' : ''}${b.shift ? 'S' : ''}${b.alt ? 'A' : ''}+${b.key}`;
        const set = s.compare ? seenCompare : seen;
        expect(set.has(id), id).toBe(false);
        set.add(id);
        const input = k(b.key, { ctrl: !!b.ctrl, shift: !!b.shift, alt: !!b.alt });
        expect(matchShortcut(input)).toBe(s.compare ? (id === '+x' ? 'keypoint.skip' : null) : s.command);
        if (s.compare) expect(matchCompareShortcut(input)).toBe(s.compare);
      }
      if (!s.bindings.length) expect(s.command).toBeNull(); // a mouse gesture
    }
    // The one key the compare view shares with the editor: X, which the editor takes only while keypoints are drawn.
    expect([...seenCompare].filter((id) => seen.has(id))).toEqual(['+x']);
  });

  it('compare keys: C, A, Shift+A, X, and not the page\'s other letters', () => {
    expect(matchCompareShortcut(k('c'))).toBe('compare.toggle');
    expect(matchCompareShortcut(k('C', { shift: true }))).toBe('compare.sideBySide');
    expect(matchCompareShortcut(k('a'))).toBe('compare.accept');
    expect(matchCompareShortcut(k('A', { shift: true }))).toBe('compare.acceptAll');
    expect(matchCompareShortcut(k('X'))).toBe('compare.reject');
    expect(matchCompareShortcut(k('a', { ctrl: true }))).toBeNull(); // select all
    expect(matchCompareShortcut(k('c', { ctrl: true }))).toBeNull(); // copy
    expect(matchCompareShortcut(k('d'))).toBeNull();
    expect(matchShortcut(k('c'))).toBeNull();
    expect(matchShortcut(k('a'))).toBeNull();
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
