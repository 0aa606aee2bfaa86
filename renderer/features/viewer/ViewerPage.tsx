import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CallResponse, ImageFilter, ImageRow, ImageSort, ReviewStatus } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { ImageViewer, preloadImage, type ImageViewerHandle, type ViewerInteraction } from '../../canvas/ImageViewer.js';
import { EditorLayers } from '../../canvas/labels/EditorLayers.js';
import type { LabelsPainter } from '../../canvas/labels/painter.js';
import type { Viewport } from '../../canvas/viewport.js';
import type { PointerInput, Shape } from '../../editor/types.js';
import { ClassesPanel } from '../editor/ClassesPanel.js';
import { EditorToolbar } from '../editor/EditorToolbar.js';
import { HelpOverlay } from '../editor/HelpOverlay.js';
import { LabelsTextPanel } from '../editor/LabelsTextPanel.js';
import { getEditor, prefetchImage, useEditorSelector } from '../editor/session.js';
import { ShapePanel } from '../editor/ShapePanel.js';
import { HeatmapLayer, type HeatmapLayerHandle } from '../../canvas/layers/HeatmapLayer.js';
import { PredictionsLayer } from '../../canvas/layers/PredictionsLayer.js';
import { CompareLayer } from '../../canvas/layers/CompareLayer.js';
import { matchCompareShortcut } from '../../editor/shortcuts.js';
import { acceptAllCandidates, acceptedShape, describePrediction, matchCompare, predictionAt, prepareCompare, type CompareResult } from '../compare/compare.js';
import { ComparePanel } from '../compare/ComparePanel.js';
import { CaptionCompareSection } from '../compare/CaptionCompareSection.js';
import { compareModeOf } from '../compare/mode.js';
import { SemanticCompareSection } from '../compare/SemanticCompareSection.js';
import { useSemanticCompare } from '../compare/useSemanticCompare.js';
import { SemanticCompareLayer } from '../../canvas/layers/SemanticCompareLayer.js';
import { compareView, toggleCompare, toggleSideBySide } from '../compare/view.js';
import { ViewportBus } from '../../canvas/layers/viewportBus.js';
import { ViewportLink } from '../../canvas/viewportLink.js';
import { navigate } from '../app/route.js';
import { useStore } from '../app/store.js';
import { useAction } from '../app/useAction.js';
import { libraryStore } from '../library/query.js';
import { modelsStore } from '../models/models.js';
import { RunModelControls } from '../models/RunModelControls.js';
import { CaptionsPanel } from '../predictions/CaptionsPanel.js';
import { attentionHeat, scoreMapHeat } from '../predictions/heat.js';
import { PredictionsPanel } from '../predictions/PredictionsPanel.js';
import { isSuppressed, splitPredictions, suppressionNotes, visibleShapes, type CaptionView } from '../predictions/predictions.js';
import { useImagePredictions } from '../predictions/useImagePredictions.js';
import { predictionsView, togglePredictions } from '../predictions/view.js';
import { STATUSES, STATUS_LABELS, baseName, formatBytes, imageVersion } from '../status.js';
import { recentThumbnail } from '../library/thumbLoader.js';

type Neighbors = CallResponse<'images.neighbors'>;

/** The row of the image the address just named, asked for before the page rendered (see `openImageEarly`). */
let earlyRow: { id: number; row: Promise<ImageRow> } | null = null;

/**
 * The app calls this as the address changes to an image, before React renders this page: the image's row and its
 * labels are on their way while the page is drawn. The page takes both reads over.
 */
export function openImageEarly(id: number): void {
  const row = api.call('images.get', { id });
  earlyRow = { id, row };
  const labels = prefetchImage(id);
  // The same URLs as the page's (see imageSrc and previewSrc below). The full image is decoded once the labels are
  // drawn (over the preview), a task after their read: both at once, on two cores, slowed the labels.
  preloadImage('full', api.imageUrl(id), labels.settled.then(() => new Promise((r) => setTimeout(r, 0))));
  // Opened from the grid: its thumbnail's bytes are here already, and so is the URL the page will ask for (the same
  // row version), unless the row changed since; then the row's answer below replaces it.
  const thumb = recentThumbnail(id);
  if (thumb) preloadImage('preview', thumb.url, undefined, thumb.blob);
  row.then(
    (r) => {
      // The viewer may have taken the grid's preview already: asking for the same source again would load it anew.
      const url = api.thumbUrl(id, imageVersion(r));
      if (url !== thumb?.url) preloadImage('preview', url);
    },
    () => undefined, // the page reports it
  );
}

function takeEarlyRow(id: number): Promise<ImageRow> | null {
  const early = earlyRow?.id === id ? earlyRow.row : null;
  earlyRow = null;
  return early;
}

// A checkbox or a radio takes only Space: after ticking one in the side panel, the shortcuts should still work.
const isTyping = (t: EventTarget | null) =>
  t instanceof HTMLElement &&
  t.closest('input:not([type="checkbox"]):not([type="radio"]):not([type="range"]):not([type="color"]), select, textarea, [contenteditable="true"]') !== null;

const NO_SHAPES: ReadonlyMap<number, Shape> = new Map();

function pointerInput(e: { clientX: number; clientY: number; button: number; shiftKey: boolean; ctrlKey: boolean; metaKey: boolean; altKey: boolean; timeStamp: number }, at: { x: number; y: number }, vp: Viewport): PointerInput {
  return { x: at.x, y: at.y, button: e.button, shift: e.shiftKey, ctrl: e.ctrlKey || e.metaKey, alt: e.altKey, scale: vp.scale, time: e.timeStamp };
}

/** Side by side, the predictions are drawn (and pointed at) on the right only: the left is the labels'. */
function predictionsOnLeft(): boolean {
  const v = compareView.get();
  return !(v.on && v.sideBySide);
}

export function ViewerPage({ id }: { id: number }) {
  const { filter, sort } = useStore(libraryStore);
  const [row, setRow] = useState<ImageRow | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [neighborsOf, setNeighbors] = useState<(Neighbors & { of: number }) | null>(null);
  // The neighbours of the image shown, never the last one's: A or D pressed before they arrive does nothing.
  const neighbors = neighborsOf?.of === id ? neighborsOf : null;
  const viewer = useRef<ImageViewerHandle>(null);
  const bus = useMemo(() => new ViewportBus(), []);
  // Side by side: the predictions' viewer on the right, its own bus, and the link that keeps both on one viewport.
  const rightViewer = useRef<ImageViewerHandle>(null);
  const rightBus = useMemo(() => new ViewportBus(), []);
  const link = useMemo(() => new ViewportLink(), []);
  const heat = useRef<HeatmapLayerHandle>(null);
  const editor = getEditor();
  const painter = useRef<LabelsPainter | null>(null);
  const cursor = useEditorSelector(editor, (st) => st.cursor);
  const notice = useEditorSelector(editor, (st) => st.notice);
  const [help, setHelp] = useState(false);
  const view = useStore(predictionsView);
  const { models } = useStore(modelsStore);
  const { runs, runId, predictions, error: predictionsError } = useImagePredictions(id, view.runId);
  const split = useMemo(() => splitPredictions(predictions), [predictions]);
  const shapes = useMemo(
    () => visibleShapes(split.shapes, { minScore: view.minScore, showSuppressed: view.showSuppressed }),
    [split, view.minScore, view.showSuppressed],
  );
  const notes = useMemo(() => suppressionNotes(split.shapes), [split]);

  // Compare mode: the labels (as the editor shows them, so an accept is matched at once) against the run shown.
  const cmp = useStore(compareView);
  const sideBySide = cmp.on && cmp.sideBySide;
  // Wrapped: the selector compares shallowly, and a Map has no own keys to compare. Only compare mode reads the
  // labels here: otherwise a change to them (opening an image, every edit) does not render the whole page again.
  const { labelShapes } = useEditorSelector(editor, (st) => ({ labelShapes: cmp.on ? st.shapes : NO_SHAPES }), [cmp.on]);
  const labelClasses = useEditorSelector(editor, (st) => st.classes);
  const editorImage = useEditorSelector(editor, (st) => st.image?.id ?? null);
  // The side panels (and the predictions' and heat-maps' layers) come once the first image's labels are drawn:
  // rendering them is a good part of opening the viewer, and the labels should not wait for it. They stay from then
  // on, image to image.
  const docReady = useEditorSelector(editor, (st) => st.image?.id === id && !st.loading, [id]);
  const [panelsOn, setPanelsOn] = useState(false);
  useEffect(() => {
    if (!docReady || panelsOn) return;
    // After the frame that paints the labels (Konva draws in an animation frame asked for when they arrived; this one
    // runs after it), not in the same render as their arrival: two more layers' canvases and the panels' first render
    // took 40–60 ms there, all before the labels could show.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setPanelsOn(true), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [docReady, panelsOn]);
  // Class maps and captions are compared their own way (compare/semantic.ts, eval.imageCaption), not shape by shape.
  const compareMode = compareModeOf(models?.find((m) => m.name === runs.find((r) => r.id === runId)?.model)?.kind, split);
  const semantic = useSemanticCompare({
    on: cmp.on && compareMode === 'semantic' && row?.id === id && editorImage === id,
    image: row,
    labels: labelShapes,
    classes: labelClasses,
    predictions: split.shapes,
    hidden: cmp.hiddenClasses,
  });
  const prepared = useMemo(() => {
    if (!cmp.on || compareMode !== 'instance' || !row || row.id !== id || editorImage !== id) return null;
    return prepareCompare({ labels: [...labelShapes.values()], predictions: split.shapes, classes: labelClasses, image: row, rejected: cmp.rejected });
  }, [cmp.on, compareMode, row, id, editorImage, labelShapes, labelClasses, split, cmp.rejected]);
  const compared = useMemo<CompareResult | null>(
    () => (prepared ? matchCompare(prepared, { iouThreshold: cmp.iouThreshold, minScore: view.minScore, hiddenClasses: cmp.hiddenClasses }) : null),
    [prepared, cmp.iouThreshold, view.minScore, cmp.hiddenClasses],
  );
  const comparedRef = useRef(compared);
  comparedRef.current = compared;
  const [hoveredPrediction, setHoveredPrediction] = useState<number | null>(null);
  const hoverRef = useRef<number | null>(null);
  const setHover = useCallback((pid: number | null) => {
    if (hoverRef.current === pid) return;
    hoverRef.current = pid;
    setHoveredPrediction(pid);
  }, []);
  useEffect(() => {
    setHover(null);
    compareView.set({ selected: null, lastRejected: null });
  }, [id, setHover]);
  const focus = cmp.on ? (hoveredPrediction ?? cmp.selected) : null;
  const focused = compared?.predictions.find((p) => p.prediction.id === focus) ?? null;
  const className = (category: number) => prepared?.classes.find((c) => c.id === category)?.name ?? '?';
  const tip = focused ? describePrediction(focused, className(focused.category)) : null;
  const acceptAll = compared ? acceptAllCandidates(compared) : [];

  useEffect(() => {
    let live = true;
    setLoadError(null);
    // The labels are read beside the image's row, not after it: the editor needs the row's size to show them, not
    // to read them.
    const early = editor.prefetch(id);
    (takeEarlyRow(id) ?? api.call('images.get', { id })).then(
      (r) => {
        if (!live) return;
        // Rendered in slices: the page with the row is most of the work of opening an image, and the labels' bytes,
        // streaming in meanwhile, are read between the slices rather than after all of it.
        startTransition(() => setRow(r));
        // The editor follows the image shown (its tool, class and clipboard stay from the last one). Started here,
        // not after the page has rendered the row, so the labels are on their way while React works.
        editor.load({ id: r.id, width: r.width, height: r.height, missing: r.missing, status: r.status }, early).catch((err) => live && setLoadError(errorMessage(err)));
      },
      (err) => live && setLoadError(errorMessage(err)),
    );
    return () => {
      live = false;
      editor.dropPrefetch(early);
    };
  }, [id, editor]);

  useEffect(() => {
    let live = true;
    api.call('images.neighbors', { id, filter, sort }).then(
      (n) => {
        if (!live) return;
        // Not urgent: rendered with the row, in slices, rather than on its own in the middle of the labels' arrival.
        startTransition(() => setNeighbors({ ...n, of: id }));
        libraryStore.set({ lastIndex: n.index });
      },
      () => live && setNeighbors(null),
    );
    return () => {
      live = false;
    };
  }, [id, filter, sort]);

  // Annotation edits elsewhere (another window, a model run) change the count shown here.
  useEffect(
    () =>
      api.on('project', (e) => {
        if (e.reason === 'annotations' && (!e.imageIds || e.imageIds.includes(id))) {
          api.call('images.get', { id }).then(setRow, () => undefined);
        }
      }),
    [id],
  );

  // Warm the browser cache so → shows the next image at once (same URL as the viewer's: no version, the server's ETag revalidates).
  useEffect(() => {
    if (!neighbors?.next) return;
    const img = new Image();
    img.src = api.imageUrl(neighbors.next);
  }, [neighbors?.next]);

  const current = row?.id === id ? row : null;
  // One URL per image: a signed URL renewed on a later render would make the viewer load the image again.
  const imageSrc = useMemo(() => api.imageUrl(id), [id]);
  // The library's thumbnail, shown (stretched) until the full image is decoded: a large photo takes a while. The
  // grid's URL for it, so the browser usually has it already.
  const thumbVersion = current ? imageVersion(current) : null;
  // Opened from the grid: its thumbnail and the row's size are known before this page's row has rendered (a
  // transition, see above), so the preview shows that much sooner. The row's URL is the same one unless it changed.
  const fromGrid = useMemo(() => {
    const thumb = recentThumbnail(id);
    // Opened before the viewer's code was here (openImageEarly did not run): decoded from the grid's bytes all the
    // same, started before the viewer's effect takes it (a second call for the same source does nothing).
    if (thumb) preloadImage('preview', thumb.url, undefined, thumb.blob);
    return thumb;
  }, [id]);
  const previewSrc = useMemo(() => (thumbVersion === null ? fromGrid?.url : api.thumbUrl(id, thumbVersion)), [id, thumbVersion, fromGrid]);
  const knownSize = current ? { width: current.width, height: current.height } : fromGrid ? { width: fromGrid.width, height: fromGrid.height } : undefined;


  // Scripts and benchmarks reach the viewer through this (zoom, pan, synchronous draws); nothing in the app reads it.
  useEffect(() => {
    const w = window as unknown as { sightlineViewer?: unknown };
    w.sightlineViewer = { viewer: () => viewer.current, right: () => rightViewer.current, painter: () => painter.current };
    return () => {
      delete w.sightlineViewer;
    };
  }, []);

  const interaction = useMemo<ViewerInteraction>(
    () => ({
      pointerDown: (e, at, vp) => {
        const r = predictionsOnLeft() ? comparedRef.current : null;
        if (r && e.button === 0) {
          const hit = predictionAt(r, at.x, at.y, 4 / vp.scale, compareView.get().showRejected);
          compareView.set({ selected: hit?.prediction.id ?? null });
        }
        return editor.pointerDown(pointerInput(e, at, vp));
      },
      pointerMove: (e, at, vp) => {
        painter.current?.setPointer(at);
        const r = predictionsOnLeft() ? comparedRef.current : null;
        setHover(r ? (predictionAt(r, at.x, at.y, 4 / vp.scale, compareView.get().showRejected)?.prediction.id ?? null) : null);
        editor.pointerMove(pointerInput(e, at, vp));
      },
      pointerUp: (e, at, vp) => {
        editor.pointerUp(pointerInput(e, at, vp));
      },
      doubleClick: (e, at, vp) => {
        editor.doubleClick(pointerInput(e, at, vp));
      },
      contextMenu: (e, at, vp) => {
        editor.contextMenu(pointerInput({ ...e, button: 2 }, at, vp));
      },
      pointerLeave: () => {
        painter.current?.setPointer(null);
        setHover(null);
      },
    }),
    [editor, setHover],
  );
  // The right side of side by side: pointing at a prediction shows its tip (A and X act on it), a click selects it,
  // and a drag anywhere pans (both sides, through the link).
  const predictionsInteraction = useMemo<ViewerInteraction>(
    () => ({
      pointerDown: (e, at, vp) => {
        const r = comparedRef.current;
        if (r && e.button === 0) compareView.set({ selected: predictionAt(r, at.x, at.y, 4 / vp.scale, compareView.get().showRejected)?.prediction.id ?? null });
        return false;
      },
      pointerMove: (_e, at, vp) => {
        const r = comparedRef.current;
        setHover(r ? (predictionAt(r, at.x, at.y, 4 / vp.scale, compareView.get().showRejected)?.prediction.id ?? null) : null);
      },
      pointerUp: () => undefined,
      doubleClick: () => undefined,
      contextMenu: () => undefined,
      pointerLeave: () => setHover(null),
      panUntaken: true,
    }),
    [setHover],
  );
  const shownRun = runs.find((r) => r.id === runId);
  const runModel = models?.find((m) => m.name === shownRun?.model);
  const skeleton = useMemo(() => {
    const kp = runModel?.manifest.keypoints as { skeleton?: [number, number][] } | undefined;
    return kp?.skeleton ?? [];
  }, [runModel]);

  const scoreHeat = useMemo(() => scoreMapHeat(split.extras.scoreMaps, view.scoreMapClass), [split, view.scoreMapClass]);
  const onWord = useCallback(
    (c: CaptionView, word: number | null) =>
      heat.current?.setHover(word === null || !current ? null : attentionHeat(c, word, runModel?.manifest.input, current)),
    [current, runModel],
  );
  useEffect(() => heat.current?.setHover(null), [id]);

  // A: the prediction under the pointer, else the one clicked, becomes a label (one undoable step).
  const target = () => {
    const r = comparedRef.current;
    const pid = hoverRef.current ?? compareView.get().selected;
    return r && pid !== null ? (r.predictions.find((p) => p.prediction.id === pid) ?? null) : null;
  };
  const acceptOne = useCallback(() => {
    const t = target();
    if (!t || !row) return editor.say('Point at a prediction (or click it) first, then press A.');
    void editor.acceptPredictions([acceptedShape(t, row)]);
  }, [editor, row]);
  const acceptAllShown = useCallback(() => {
    const r = comparedRef.current;
    if (!r || !row) return;
    const all = acceptAllCandidates(r);
    if (!all.length) return editor.say('No unmatched prediction above the confidence slider is left to accept.');
    void editor.acceptPredictions(all.map((p) => acceptedShape(p, row))).then((ids) => {
      if (ids.length) editor.say(`Accepted ${ids.length} prediction${ids.length === 1 ? '' : 's'} as labels (Ctrl+Z takes them back).`);
    });
  }, [editor, row]);
  const setRejected = useCallback(
    (ids: number[], rejected: boolean, text: string | null) => {
      const before = compareView.get().rejected;
      const next = new Map(before);
      for (const pid of ids) next.set(pid, rejected);
      compareView.set({ rejected: next, lastRejected: text ? { ids, text } : null });
      api.call('predictions.reject', { ids, rejected }).catch((err) => {
        compareView.set({ rejected: before, lastRejected: null });
        editor.say(`The prediction could not be ${rejected ? 'rejected' : 'restored'}: ${errorMessage(err)}`, 'error');
      });
    },
    [editor, id],
  );
  // X: reject the prediction under the pointer (else the one clicked); on a rejected one (shown), take it back.
  const rejectOne = useCallback(() => {
    const t = target();
    if (!t) return editor.say('Point at a prediction (or click it) first, then press X.');
    const name = prepared?.classes.find((c) => c.id === t.category)?.name ?? 'prediction';
    if (t.rejected) setRejected([t.prediction.id], false, null);
    else setRejected([t.prediction.id], true, `Rejected ${name}${t.prediction.score === null ? '' : ` ${t.prediction.score.toFixed(2)}`}.`);
    setHover(null);
    if (compareView.get().selected === t.prediction.id) compareView.set({ selected: null });
  }, [editor, prepared, setRejected, setHover]);
  const undoReject = useCallback(() => {
    const last = compareView.get().lastRejected;
    if (last) setRejected(last.ids, false, null);
  }, [setRejected]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || help) return;
      if (e.key === '?') {
        setHelp(true);
        e.preventDefault();
        return;
      }
      const keyInput = { key: e.key, ctrl: e.ctrlKey || e.metaKey, shift: e.shiftKey, alt: e.altKey };
      if (editor.keyDown(keyInput)) {
        e.preventDefault();
        return;
      }
      // Compare keys: C always; A, Shift+A and X only in compare mode (A is "previous image" otherwise).
      const cc = matchCompareShortcut(keyInput);
      if (cc === 'compare.toggle' || cc === 'compare.sideBySide' || (cc && compareView.get().on)) {
        e.preventDefault();
        if (cc === 'compare.toggle') toggleCompare();
        else if (cc === 'compare.sideBySide') toggleSideBySide();
        else if (cc === 'compare.accept') acceptOne();
        else if (cc === 'compare.acceptAll') acceptAllShown();
        else rejectOne();
        return;
      }
      const ctrl = e.ctrlKey || e.metaKey;
      const go = (target: number | null | undefined) => target && navigate({ name: 'image', id: target }, true);
      if (ctrl && e.key === 'Enter') {
        e.preventDefault();
        void (async () => {
          await api.call('images.setStatus', { ids: [id], status: 'done' });
          setRow((r) => (r && r.id === id ? { ...r, status: 'done' } : r));
          go(neighbors?.next);
        })().catch((err) => setLoadError(errorMessage(err)));
        return;
      }
      if (ctrl || e.altKey) return;
      switch (e.key) {
        case 'ArrowLeft':
        case 'a':
        case 'A':
          go(neighbors?.prev);
          break;
        case 'ArrowRight':
        case 'd':
        case 'D':
          go(neighbors?.next);
          break;
        case 'n':
        case 'N':
          void nextUnlabeled(id, filter, sort).then(
            (next) => (next ? go(next) : editor.say('Every image in this view has labels.')),
            (err) => setLoadError(errorMessage(err)),
          );
          break;
        case 'Escape':
          navigate({ name: 'library' });
          break;
        case 'f':
        case 'F':
          viewer.current?.fit();
          break;
        case '0':
          viewer.current?.actualSize();
          break;
        case 'P':
          if (!e.shiftKey) return;
          togglePredictions();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [neighbors, editor, help, id, filter, sort, acceptOne, acceptAllShown, rejectOne]);

  /** What the compare layer draws, the same on either side of side by side (each side picks its part and bus). */
  const compareLayerProps = (image: ImageRow) => ({
    result: compared,
    labelGeometry: (lid: number) => labelShapes.get(lid)?.geometry,
    showRejected: cmp.showRejected,
    focus,
    tip,
    imageSize: { width: image.width, height: image.height },
    opacity: view.opacity,
  });

  return (
    <div className="viewer">
      <div className="viewer-main">
        {help ? <HelpOverlay onClose={() => setHelp(false)} /> : null}
        <div className="viewer-nav" role="toolbar" aria-label="Image navigation">
          <button type="button" className="btn" aria-label="Back to the library (Esc)" onClick={() => navigate({ name: 'library' })}>
            ← Library
          </button>
          <button
            type="button"
            className="btn btn-icon"
            aria-label="Previous image (←)"
            disabled={!neighbors?.prev}
            onClick={() => neighbors?.prev && navigate({ name: 'image', id: neighbors.prev }, true)}
          >
            ‹
          </button>
          <span className="muted" data-testid="viewer-position">
            {neighbors ? `${(neighbors.index + 1).toLocaleString()} / ${neighbors.total.toLocaleString()}` : ''}
          </span>
          <button
            type="button"
            className="btn btn-icon"
            aria-label="Next image (→)"
            disabled={!neighbors?.next}
            onClick={() => neighbors?.next && navigate({ name: 'image', id: neighbors.next }, true)}
          >
            ›
          </button>
          <span className="viewer-title">{current ? current.relPath : ''}</span>
          <button
            type="button"
            className={`btn btn-small${cmp.on ? ' btn-primary' : ''}`}
            aria-pressed={cmp.on}
            data-testid="compare-toggle"
            title="Compare the labels with a run's predictions (C)"
            onClick={toggleCompare}
          >
            Compare <kbd>C</kbd>
          </button>
          {cmp.on ? (
            <button
              type="button"
              className={`btn btn-small${sideBySide ? ' btn-primary' : ''}`}
              aria-pressed={sideBySide}
              data-testid="compare-side-toggle"
              title="Labels and predictions side by side, pan and zoom linked (Shift+C)"
              onClick={toggleSideBySide}
            >
              Side by side <kbd>Shift+C</kbd>
            </button>
          ) : null}
        </div>
        <EditorToolbar editor={editor} onHelp={() => setHelp(true)} />
        {notice ? (
          <div key={notice.at} className={`editor-notice notice-${notice.level}`} role={notice.level === 'error' ? 'alert' : 'status'} data-testid="editor-notice">
            {notice.text}
          </div>
        ) : null}
        {loadError ? (
          <div className="viewer-message error" role="alert">
            {loadError}
          </div>
        ) : (
          <div className={`viewer-panes${sideBySide ? ' side-by-side' : ''}`}>
            <div className="viewer-pane">
              {sideBySide ? <span className="viewer-pane-label">Labels</span> : null}
              <ImageViewer
                ref={viewer}
                src={imageSrc}
                previewSrc={previewSrc}
                alt={current ? baseName(current.relPath) : 'Image'}
                onViewport={bus.emit}
                link={link}
                interaction={interaction}
                cursor={cursor === 'default' ? undefined : cursor}
                stageTestId="editor-stage"
                fallbackSize={knownSize}
                layers={
                  <>
                    {current ? (
                      <>
                        {/* A semantic run's FP / FN pixels, under the labels being edited (side by side: on the right). */}
                        {semantic.overlay && !sideBySide ? <SemanticCompareLayer overlay={semantic.overlay} imageSize={{ width: current.width, height: current.height }} opacity={view.opacity} /> : null}
                        {cmp.on ? (
                          <CompareLayer part={sideBySide ? 'labels' : 'all'} bus={bus} {...compareLayerProps(current)} />
                        ) : null}
                        {/* With the panels (see panelsOn): each layer is a canvas to make, and the labels come first. */}
                        {panelsOn ? (
                          <PredictionsLayer
                            predictions={cmp.on ? [] : shapes}
                            proposals={view.showProposals ? (split.extras.proposals ?? null) : null}
                            imageSize={{ width: current.width, height: current.height }}
                            visible={view.visible}
                            opacity={view.opacity}
                            notes={notes}
                            skeleton={skeleton}
                            bus={bus}
                          />
                        ) : null}
                        {/* Above the shapes: a score map or a word's attention is what the person asked to see. */}
                        {panelsOn ? <HeatmapLayer ref={heat} base={view.visible ? scoreHeat : null} opacity={view.opacity} /> : null}
                      </>
                    ) : null}
                    {/* The labels' layers, on top, as soon as the image's size is known (the viewer shows layers from
                        then): opened from the grid that is before the row has rendered, so their canvases are made
                        while the labels are on their way, and the labels are painted the moment they arrive. */}
                    <EditorLayers editor={editor} bus={bus} painterRef={painter} />
                  </>
                }
              />
            </div>
            {sideBySide ? (
              <div className="viewer-pane" data-testid="compare-right-pane">
                <span className="viewer-pane-label" data-testid="compare-right-label">
                  Predictions · {shownRun ? `run #${shownRun.id} ${shownRun.model}` : 'no run yet'}
                </span>
                <ImageViewer
                  ref={rightViewer}
                  src={imageSrc}
                  alt={current ? `Predictions on ${baseName(current.relPath)}` : 'Predictions'}
                  onViewport={rightBus.emit}
                  link={link}
                  interaction={predictionsInteraction}
                  stageTestId="compare-right-stage"
                  frameTestId="compare-right-viewer"
                  fallbackSize={current ? { width: current.width, height: current.height } : undefined}
                  layers={
                    current && semantic.overlay ? (
                      <SemanticCompareLayer overlay={semantic.overlay} imageSize={{ width: current.width, height: current.height }} opacity={view.opacity} />
                    ) : current ? (
                      <CompareLayer part="predictions" bus={rightBus} {...compareLayerProps(current)} />
                    ) : null
                  }
                />
              </div>
            ) : null}
          </div>
        )}
      </div>
      <aside className="side-panel" aria-label="Image details">
        {current ? (
          <>
            <Details row={current} onChange={setRow} />
            {panelsOn ? (
              <>
                <ComparePanel
                  runs={runs}
                  runId={runId}
                  classes={prepared?.classes ?? []}
                  result={compared}
                  acceptAllCount={acceptAll.length}
                  onAcceptAll={acceptAllShown}
                  onUndoReject={undoReject}
                  client={editor.client}
                  onAcceptedAcrossProject={() => void editor.reload().catch(() => undefined)}
                  special={
                    compareMode === 'semantic' ? <SemanticCompareSection compare={semantic.compare} /> : compareMode === 'caption' ? <CaptionCompareSection runId={runId} imageId={id} /> : undefined
                  }
                />
                <ShapePanel editor={editor} />
                <ClassesPanel editor={editor} />
                <LabelsTextPanel editor={editor} />
                <section className="side-section" aria-label="Run model">
                  <h3>Run model</h3>
                  <RunModelControls
                    layout="stack"
                    buttons={[{ label: 'Run on this image', testId: 'run-model-button', target: { imageIds: [id] } }]}
                    onStarted={({ runId: started }) => predictionsView.set({ runId: started })}
                  />
                </section>
                <CaptionsPanel captions={split.captions} onWord={onWord} />
                <PredictionsPanel
                  runs={runs}
                  runId={runId}
                  split={split}
                  drawn={shapes.filter((p) => !isSuppressed(p)).length}
                  error={predictionsError}
                />
              </>
            ) : null}
          </>
        ) : null}
      </aside>
    </div>
  );
}

/** The next image without labels after `id` in the library's order, wrapping to the first; null when none is left. */
async function nextUnlabeled(id: number, filter: ImageFilter, sort: ImageSort): Promise<number | null> {
  const unlabeled = { ...filter, labeled: false };
  const n = await api.call('images.neighbors', { id, filter: unlabeled, sort });
  if (n.next) return n.next;
  const first = await api.call('images.list', { offset: 0, limit: 2, filter: unlabeled, sort });
  return first.items.find((r) => r.id !== id)?.id ?? null;
}

function Details({ row, onChange }: { row: ImageRow; onChange: (row: ImageRow) => void }) {
  const setStatus = useAction(async (status: ReviewStatus) => {
    await api.call('images.setStatus', { ids: [row.id], status });
    onChange({ ...row, status });
  });
  return (
    <>
      <h2 className="side-title" title={row.relPath}>
        {baseName(row.relPath)}
      </h2>
      {row.missing ? <p className="badge badge-missing">File missing</p> : null}
      <dl className="facts">
        <dt>Path</dt>
        <dd className="path">{row.relPath}</dd>
        <dt>Dimensions</dt>
        <dd>
          {row.width} × {row.height} px
        </dd>
        <dt>Size</dt>
        <dd>{formatBytes(row.byteSize)}</dd>
        <dt>Format</dt>
        <dd>{row.format.toUpperCase()}</dd>
        {row.orientation !== 1 ? (
          <>
            <dt>EXIF orientation</dt>
            <dd>{row.orientation} (shown upright)</dd>
          </>
        ) : null}
        <dt>Modified</dt>
        <dd>{new Date(row.mtimeMs).toLocaleString()}</dd>
        <dt>Annotations</dt>
        <dd data-testid="annotation-count">{row.annotationCount.toLocaleString()}</dd>
      </dl>
      <label className="field">
        <span>Status</span>
        <select
          value={row.status}
          aria-label="Review status"
          className={`status-select status-${row.status}`}
          disabled={setStatus.pending}
          onChange={(e) => setStatus.run(e.target.value as ReviewStatus)}
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
      </label>
      {setStatus.error ? <p className="error" role="alert">{setStatus.error}</p> : null}
    </>
  );
}
