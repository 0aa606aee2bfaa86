/**
 * Compare mode for a semantic segmenter in the viewer: the run's class map once per run and image, the labels' map
 * and the image's numbers again whenever the labels change (an edit shows at once), the overlay again when classes
 * are switched on or off. Nothing is computed while compare mode is off or the run is not a semantic segmenter's.
 */
import { useMemo } from 'react';
import type { LabelClass, Prediction } from '../../../common/api/contract.js';
import type { Shape } from '../../editor/types.js';
import { prepareSemanticPredictions, semanticCompare, semanticOverlay, type OverlayCounts, type SemanticCompare } from './semantic.js';

export interface SemanticOverlay {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  counts: OverlayCounts;
}

export function useSemanticCompare(args: {
  on: boolean;
  image: { width: number; height: number } | null;
  labels: ReadonlyMap<number, Shape>;
  classes: readonly LabelClass[];
  predictions: readonly Prediction[];
  hidden: ReadonlySet<number>;
}): { compare: SemanticCompare | null; overlay: SemanticOverlay | null } {
  const { on, labels, classes, predictions, hidden } = args;
  // By size, not by row: the row is read again on every annotation event.
  const width = on ? (args.image?.width ?? 0) : 0;
  const height = on ? (args.image?.height ?? 0) : 0;
  const run = useMemo(() => (width && height ? prepareSemanticPredictions(predictions, classes, { width, height }) : null), [width, height, predictions, classes]);
  const compare = useMemo(() => (run ? semanticCompare([...labels.values()], run, classes, { width, height }) : null), [run, labels, classes, width, height]);
  const overlay = useMemo(() => {
    if (!compare) return null;
    const { rgba, counts } = semanticOverlay(compare, hidden);
    return { rgba, counts, width: compare.width, height: compare.height };
  }, [compare, hidden]);
  return { compare, overlay };
}
