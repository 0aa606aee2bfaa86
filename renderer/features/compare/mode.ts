/** How compare mode measures a run against the labels: shapes matched one by one, class maps pixel by pixel, or captions. */
import type { Prediction } from '../../../common/api/contract.js';

export type CompareMode = 'instance' | 'semantic' | 'caption';

/**
 * As the evaluation picks its type (`defaultEvalType`): a semantic segmenter's run is compared as class maps, a run
 * of captions as captions; every other run shape by shape. Without the model (removed since), a semantic run is
 * still known by its score maps and a caption run by captions with no shapes.
 */
export function compareModeOf(modelKind: string | undefined, split: { shapes: readonly Prediction[]; captions: readonly unknown[]; extras: { scoreMaps?: unknown } }): CompareMode {
  if (modelKind === 'semantic-segmenter' || (modelKind === undefined && split.extras.scoreMaps !== undefined)) return 'semantic';
  if (modelKind === 'captioner' || (split.captions.length > 0 && split.shapes.length === 0)) return 'caption';
  return 'instance';
}
