/** How the predictions layer is shown: one set of choices for the whole session, kept while stepping through images. */
import { createStore } from '../app/store.js';

export interface PredictionsView {
  visible: boolean;
  opacity: number;
  /** The confidence slider: scored predictions below it are hidden. */
  minScore: number;
  showSuppressed: boolean;
  showProposals: boolean;
  /** The run shown; null: the newest run with predictions on the image shown. */
  runId: number | null;
  /** Class whose score map is drawn as a heat-map (semantic segmenters); null: none. */
  scoreMapClass: number | null;
}

export const predictionsView = createStore<PredictionsView>({
  visible: true,
  opacity: 1,
  minScore: 0,
  showSuppressed: false,
  showProposals: false,
  runId: null,
  scoreMapClass: null,
});

export const togglePredictions = () => predictionsView.set((v) => ({ visible: !v.visible }));
