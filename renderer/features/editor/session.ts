/**
 * One editor for the whole window: it outlives the viewer page, so the tool, the class, the clipboard and the save
 * queue carry over from image to image (and a step still being written when the person leaves the viewer is
 * written all the same).
 */
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.js';
import { Editor, type EditorPrefetch } from '../../editor/editor.js';
import type { EditorState } from '../../editor/types.js';

let editor: Editor | null = null;

export function getEditor(): Editor {
  if (!editor) {
    editor = new Editor({
      transport: {
        call: (name, args) => api.call(name, args),
        onProject: (listener) => api.on('project', listener),
      },
    });
    // Leaving with steps not yet acknowledged: the close waits. A browser asks the person first (the queue keeps
    // writing meanwhile); Electron cancels the close, and the window closes itself once everything is written.
    window.addEventListener('beforeunload', (e) => {
      const ed = editor;
      if (!ed || ed.state.save.pending === 0) return;
      e.preventDefault();
      void ed.flush().then(() => {
        if (api.transport === 'electron') window.close();
      });
    });
    (window as unknown as { sightlineEditor?: Editor }).sightlineEditor = editor;
  }
  return editor;
}

let routePrefetch: EditorPrefetch | null = null;

/**
 * Start reading an image's labels as soon as the address names it, before the viewer has rendered (the viewer's
 * `prefetch` of the same image then takes this read over). Only the latest such read is kept.
 */
export function prefetchImage(id: number): EditorPrefetch {
  const ed = getEditor();
  if (routePrefetch && routePrefetch.imageId !== id) ed.dropPrefetch(routePrefetch);
  return (routePrefetch = ed.prefetch(id));
}

function shallowEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * A slice of the editor's state that re-renders the component only when the slice changes (shallowly). A selector
 * that reads something besides the state names it in `deps`: the slice is taken again when it changes.
 */
export function useEditorSelector<T>(ed: Editor, select: (s: EditorState) => T, deps: readonly unknown[] = []): T {
  const selectRef = useRef(select);
  selectRef.current = select;
  const [value, setValue] = useState(() => select(ed.state));
  const valueRef = useRef(value);
  useEffect(() => {
    const update = (state: EditorState) => {
      const next = selectRef.current(state);
      if (!shallowEqual(valueRef.current, next)) {
        valueRef.current = next;
        setValue(() => next);
      }
    };
    update(ed.state);
    return ed.subscribe((_change, state) => update(state));
  }, [ed, ...deps]);
  return value;
}
