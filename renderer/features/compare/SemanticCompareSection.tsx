/**
 * Compare mode's panel for a semantic segmenter: the image's mIoU, pixel accuracy and FP / FN pixels (the numbers
 * `eval.run` computes for this image), the colour legend, and per class its IoU with a toggle that hides its
 * pixels from the overlay (the numbers stay the evaluation's). Confidence and IoU thresholds do not apply to a class
 * map: every pixel has exactly one predicted class.
 */
import { COMPARE_COLORS } from '../../canvas/layers/colors.js';
import { useStore } from '../app/store.js';
import type { SemanticCompare } from './semantic.js';
import { compareView } from './view.js';

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null) => (v === null ? '—' : v.toFixed(3));

function Swatch({ color, alpha = 1 }: { color: string; alpha?: number }) {
  return <span className="swatch" aria-hidden style={{ background: color, opacity: alpha }} />;
}

/** A number shown rounded, with its exact value in `data-value` (tests and copy). */
function Value({ v, testId, format }: { v: number | null; testId: string; format: (v: number | null) => string }) {
  return (
    <strong data-testid={testId} data-value={v === null ? '' : String(v)}>
      {format(v)}
    </strong>
  );
}

export function SemanticCompareSection({ compare }: { compare: SemanticCompare | null }) {
  const view = useStore(compareView);
  if (!compare) return <p className="muted small">Waiting for the labels and the run's class map…</p>;
  const { metrics } = compare;
  // Classes with an IoU here (labeled or predicted on this image): the ones the mIoU averages.
  const present = compare.classes.filter((c) => c.iou !== null);
  const toggle = (id: number) =>
    compareView.set((v) => {
      const next = new Set(v.hiddenClasses);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return { hiddenClasses: next };
    });
  return (
    <div className="compare-semantic" data-testid="compare-semantic">
      <dl className="facts">
        <dt title="Mean over the classes labeled or predicted on this image of TP / (TP + FP + FN) pixels">mIoU</dt>
        <dd>
          <Value v={metrics.mIoU} testId="compare-miou" format={num} />
        </dd>
        <dt>Pixel accuracy</dt>
        <dd>
          <Value v={metrics.pixelAcc} testId="compare-pixel-acc" format={pct} />
        </dd>
      </dl>
      <ul className="legend" data-testid="compare-legend" aria-label="Pixel counts">
        <li title="Predicted a class where the label is another class or background">
          <Swatch color={COMPARE_COLORS.fp} />
          FP px <strong data-testid="compare-fp-pixels">{compare.fp}</strong>
        </li>
        <li title="Labeled a class where the prediction is another class, background or no class">
          <Swatch color={COMPARE_COLORS.fn} />
          FN px <strong data-testid="compare-fn-pixels">{compare.fn}</strong>
        </li>
        <li title="Predicted as labeled (drawn faint)">
          <Swatch color={COMPARE_COLORS.tp} alpha={0.4} />
          TP
        </li>
      </ul>
      <table className="io-table" data-testid="compare-semantic-classes" aria-label="Classes compared">
        <thead>
          <tr>
            <th>Class</th>
            <th>IoU</th>
            <th title="Pixels predicted this class, labeled otherwise">FP</th>
            <th title="Pixels labeled this class, predicted otherwise">FN</th>
          </tr>
        </thead>
        <tbody>
          {present.map((c) => (
            <tr key={c.index} data-testid={`compare-class-${c.name}`}>
              <td>
                {c.classId === null ? (
                  <span className="muted" title="Background is not drawn: its errors are the other classes' FP and FN">
                    {c.name}
                  </span>
                ) : (
                  <label className="check">
                    <input type="checkbox" checked={!view.hiddenClasses.has(c.classId)} onChange={() => toggle(c.classId!)} aria-label={`Show ${c.name} pixels`} />
                    {c.name}
                  </label>
                )}
              </td>
              <td>
                <Value v={c.iou} testId={`compare-iou-${c.name}`} format={num} />
              </td>
              <td>{c.fp}</td>
              <td>{c.fn}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {compare.unknownLabels.length ? (
        <p className="muted small">
          Predicted {compare.unknownLabels.join(', ')}: no project class has {compare.unknownLabels.length === 1 ? 'that name' : 'those names'}, so those pixels predict no class.
        </p>
      ) : null}
      <p className="muted small" data-testid="compare-semantic-note">
        Pixel by pixel, as the evaluation counts them: pixels under no label are background{compare.ignoreClass ? `, ${compare.ignoreClass} pixels are left out` : ''}. A class
        map gives each pixel one class, so the confidence and IoU sliders do not apply. Unticking a class hides its pixels; the numbers stay the image's.
      </p>
    </div>
  );
}
