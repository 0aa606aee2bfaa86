/**
 * The Evaluation page (issue 9 part 7): a run measured against the labels by the core's `eval.run` — the COCO table
 * (or the semantic / caption numbers), per class, PR curves and the confusion heat-map drawn with ECharts — optionally
 * beside a second run with the differences, and every count that has images behind it opens them in a side panel.
 * The chosen runs and type live in the hash (`#/evaluation?run=3&compare=2&type=bbox`), so Back from the viewer
 * returns to the same comparison.
 */
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { EvalReport, EvalType, ModelRun } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { EVALUATION_TYPES, navigate, type EvaluationType, type Route } from '../app/route.js';
import { EChart, type ChartClick } from './EChart.js';
import { ImagesPanel } from './ImagesPanel.js';
import { confusionOption, heatmapHeight, heatmapMax, prCurveOption } from './chartOptions.js';
import {
  classImagesSelection,
  confusionCellSelection,
  defaultRun,
  drawablePrCurves,
  formatCount,
  formatMetric,
  isCountColumn,
  isUndefinedMetric,
  metricDelta,
  metricDescription,
  metricNames,
  metricTooltip,
  perClassColumns,
  perClassRow,
  perImageSelection,
  perImageTotals,
  runLabel,
  UNDEFINED_TOOLTIP,
  type ImageSelection,
} from './report.js';
import './evaluation.css';
import { useRuns } from '../app/useRuns.js';

type EvaluationRoute = Extract<Route, { name: 'evaluation' }>;

const TYPE_LABELS: Record<EvaluationType, string> = {
  auto: 'Automatic',
  bbox: 'Boxes (COCO bbox)',
  segm: 'Masks (COCO segm)',
  keypoints: 'Keypoints (COCO OKS)',
  semantic: 'Semantic segmentation',
  caption: 'Captions (BLEU, CIDEr-D)',
  text: 'Text recognition (CER, WER)',
};

const SECTION_TITLES: Record<EvalType, string> = {
  bbox: 'COCO box metrics',
  segm: 'COCO mask metrics',
  keypoints: 'COCO keypoint metrics',
  semantic: 'Semantic segmentation metrics',
  caption: 'Caption metrics',
  text: 'Text recognition metrics',
};

interface Evaluation {
  report: EvalReport | null;
  error: string | null;
  loading: boolean;
}

/** `eval.run` for a run, again whenever the run, the type or `nonce` changes; nothing while `runId` is undefined. */
function useEvaluation(runId: number | undefined, iouType: EvalType | undefined, nonce: number): Evaluation {
  const key = runId === undefined ? '' : `${runId}:${iouType ?? 'auto'}:${nonce}`;
  const [state, setState] = useState<{ key: string; report: EvalReport | null; error: string | null }>({ key: '', report: null, error: null });
  useEffect(() => {
    if (runId === undefined) return;
    let live = true;
    api.call('eval.run', { runId, ...(iouType ? { iouType } : {}) }).then(
      (report) => live && setState({ key, report, error: null }),
      (err) => live && setState({ key, report: null, error: errorMessage(err) }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  if (!key) return { report: null, error: null, loading: false };
  if (state.key !== key) return { report: null, error: null, loading: true };
  return { report: state.report, error: state.error, loading: false };
}

export function EvaluationPage({ route }: { route: EvaluationRoute }) {
  const [nonce, setNonce] = useState(0);
  const { runs, runsError } = useRuns(nonce);
  const [selection, setSelection] = useState<{ n: number; sel: ImageSelection } | null>(null);


  const update = useCallback((patch: Partial<Omit<EvaluationRoute, 'name'>>) => navigate({ ...route, ...patch }, true), [route]);

  // With no run in the hash, show the newest finished one (and put it in the hash, so Back returns to it).
  const fallback = runs && route.run === undefined ? defaultRun(runs) : undefined;
  useEffect(() => {
    if (fallback) update({ run: fallback.id });
  }, [fallback?.id]);

  const runId = route.run ?? fallback?.id;
  const type: EvaluationType = route.type ?? 'auto';
  const compareId = route.compare !== undefined && route.compare !== runId ? route.compare : undefined;

  const main = useEvaluation(runId, type === 'auto' ? undefined : type, nonce);
  // The compared run is measured the same way as the first: with "automatic", by the type the first one got.
  const compareType: EvalType | undefined = type !== 'auto' ? type : (main.report?.iouType ?? undefined);
  const other = useEvaluation(compareId !== undefined && compareType !== undefined ? compareId : undefined, compareType, nonce);

  const show = useCallback((sel: ImageSelection | null) => setSelection((prev) => (sel ? { n: (prev?.n ?? 0) + 1, sel } : null)), []);
  // A new comparison closes the list of the old one.
  useEffect(() => setSelection(null), [runId, compareId, type]);

  const runName = (id: number | undefined) => {
    const r = runs?.find((x) => x.id === id);
    return r ? `#${r.id} ${r.model}` : id !== undefined ? `#${id}` : '';
  };
  const a = main.report;
  const b = compareId !== undefined ? other.report : null;

  return (
    <div className="eval-page" data-testid="evaluation-page">
      <div className="eval-main">
        <header className="eval-controls">
          <h2>Evaluation</h2>
          <label className="field">
            <span>Run</span>
            <select
              data-testid="eval-run"
              value={runId ?? ''}
              title={runs?.find((r) => r.id === runId) ? runLabel(runs.find((r) => r.id === runId)!) : undefined}
              disabled={!runs || runs.length === 0}
              onChange={(e) => update({ run: Number(e.target.value) || undefined })}
            >
              {runId === undefined ? <option value="">No run</option> : null}
              {runs?.map((r) => (
                <option key={r.id} value={r.id}>
                  {runLabel(r)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Evaluate as</span>
            <select data-testid="eval-type" value={type} onChange={(e) => update({ type: e.target.value === 'auto' ? undefined : (e.target.value as EvaluationType) })}>
              {EVALUATION_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t === 'auto' && a && type === 'auto' ? `Automatic: ${TYPE_LABELS[a.iouType]}` : TYPE_LABELS[t]}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Compare with</span>
            <select
              data-testid="eval-compare"
              value={compareId ?? ''}
              title={runs?.find((r) => r.id === compareId) ? runLabel(runs.find((r) => r.id === compareId)!) : undefined}
              disabled={!runs || runs.length < 2}
              onChange={(e) => update({ compare: Number(e.target.value) || undefined })}
            >
              <option value="">No other run</option>
              {runs
                ?.filter((r) => r.id !== runId)
                .map((r) => (
                  <option key={r.id} value={r.id}>
                    {runLabel(r)}
                  </option>
                ))}
            </select>
          </label>
          <button
            type="button"
            className="btn"
            data-testid="eval-refresh"
            disabled={runId === undefined || main.loading}
            title="Measure again: labels edited since are taken into account"
            onClick={() => setNonce((n) => n + 1)}
          >
            Evaluate again
          </button>
        </header>

        {runsError ? (
          <p className="error" role="alert">
            Could not list the model runs: {runsError}
          </p>
        ) : null}
        {runs && runs.length === 0 ? (
          <div className="eval-empty" data-testid="eval-no-runs">
            <p>This project has no model runs to evaluate yet.</p>
            <p className="muted">
              Run a model on images from the <a href="#/library">library</a> or the viewer, or import a COCO results file as predictions (Import → COCO
              results).
            </p>
          </div>
        ) : null}

        <div role="status" aria-live="polite" className="eval-status" data-testid="eval-status">
          {main.loading ? `Evaluating run ${runName(runId)}…` : other.loading ? `Evaluating run ${runName(compareId)}…` : ''}
        </div>
        {main.error ? (
          <p className="error" role="alert" data-testid="eval-error">
            Could not evaluate run {runName(runId)}: {main.error}
          </p>
        ) : null}
        {other.error ? (
          <p className="error" role="alert" data-testid="eval-compare-error">
            Could not evaluate run {runName(compareId)}: {other.error}
          </p>
        ) : null}

        {a ? (
          <Results
            key={`${a.run}:${a.iouType}`}
            a={a}
            b={b}
            nameA={runName(a.run)}
            nameB={b ? runName(b.run) : ''}
            busy={main.loading || other.loading}
            onShow={show}
          />
        ) : null}
      </div>
      {selection ? <ImagesPanel key={selection.n} selection={selection.sel} onClose={() => setSelection(null)} /> : null}
    </div>
  );
}

function Results(props: { a: EvalReport; b: EvalReport | null; nameA: string; nameB: string; busy: boolean; onShow: (s: ImageSelection | null) => void }) {
  const { a, b, nameA, nameB, onShow } = props;
  const notes = [...a.notes.map((n) => ({ run: nameA, n })), ...(b ? b.notes.map((n) => ({ run: nameB, n })) : [])];
  const hasPr = (a.prCurves?.length ?? 0) > 0;
  const perClass =
    a.perClass.length > 0 ? (
      <section className="eval-card eval-per-class" aria-labelledby="eval-per-class-title">
        <h3 id="eval-per-class-title">Per class</h3>
        <PerClassTable a={a} b={b} nameB={nameB} onShow={onShow} />
      </section>
    ) : null;
  return (
    <div className="eval-results" aria-busy={props.busy} data-testid="eval-results" data-iou-type={a.iouType}>
      <div className="eval-row">
        <section className="eval-card eval-summary" aria-labelledby="eval-summary-title">
          <h3 id="eval-summary-title">
            {SECTION_TITLES[a.iouType]}{' '}
            <span className="muted small">
              · {a.images.toLocaleString('en-US')} image{a.images === 1 ? '' : 's'} evaluated
            </span>
          </h3>
          <MetricsTable a={a} b={b} nameA={nameA} nameB={nameB} />
          <CountsStrip report={a} name={b ? nameA : ''} onShow={onShow} />
          {b ? <CountsStrip report={b} name={nameB} onShow={onShow} /> : null}
          {notes.length > 0 ? (
            <ul className="eval-notes" data-testid="eval-notes" aria-label="Notes">
              {notes.map(({ run, n }, i) => (
                <li key={i}>
                  {b ? <span className="muted">{run}: </span> : null}
                  {n}
                </li>
              ))}
            </ul>
          ) : null}
        </section>
        {/* Beside the summary: the PR curves where there are any, else the (short) per-class table. */}
        {hasPr ? <PrCurves a={a} b={b} nameA={nameA} nameB={nameB} /> : perClass}
      </div>
      {hasPr && perClass ? <div className="eval-row eval-row-full">{perClass}</div> : null}
      {a.textLines && a.textLines.length > 0 ? (
        <div className="eval-row eval-row-full">
          <TextLines report={a} />
        </div>
      ) : null}
      {a.confusion ? (
        <div className="eval-row eval-row-full">
          <Confusion report={a} name={nameA} other={b} nameB={nameB} onShow={onShow} />
        </div>
      ) : null}
    </div>
  );
}

/** "#3" of "#3 yolov8n": the column headers of a comparison (the full name is in their tooltip and the captions). */
const runTag = (name: string) => name.split(' ')[0];

/** A metric's value, or an em dash that says it is undefined. */
function Metric({ v }: { v: number | string | null | undefined }) {
  if (isUndefinedMetric(v)) {
    return (
      <span className="metric-undefined" title={UNDEFINED_TOOLTIP}>
        <span aria-hidden="true">—</span>
        <span className="sr-only">undefined</span>
      </span>
    );
  }
  return <span title={metricTooltip(v)}>{formatMetric(v)}</span>;
}

function Delta({ a, b, name, nameB }: { a: number | string | null | undefined; b: number | string | null | undefined; name: string; nameB: string }) {
  const d = metricDelta(a, b, name);
  if (!d) return <span className="muted">—</span>;
  const cls = d.better === null ? 'delta-same' : d.better ? 'delta-better' : 'delta-worse';
  const arrow = d.trend === 'up' ? '▲' : d.trend === 'down' ? '▼' : '';
  return (
    <span className={`delta ${cls}`} title={`${d.better === null ? 'No change' : d.better ? 'Better' : 'Worse'} than ${nameB}: ${d.value}`} data-trend={d.trend}>
      {arrow ? <span aria-hidden="true">{arrow} </span> : null}
      {d.text}
    </span>
  );
}

function MetricsTable({ a, b, nameA, nameB }: { a: EvalReport; b: EvalReport | null; nameA: string; nameB: string }) {
  const names = metricNames(a);
  for (const n of b ? metricNames(b) : []) if (!names.includes(n)) names.push(n);
  return (
    <table className="eval-table eval-metrics" data-testid="eval-metrics">
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col" className="num" title={b ? nameA : undefined}>
            {b ? runTag(nameA) : 'Value'}
          </th>
          {b ? (
            <>
              <th scope="col" className="num" title={nameB}>
                {runTag(nameB)}
              </th>
              <th scope="col" className="num" title={`${nameA} minus ${nameB}: green where ${runTag(nameA)} is better`}>
                Δ
              </th>
            </>
          ) : null}
          <th scope="col">What it measures</th>
        </tr>
      </thead>
      <tbody>
        {names.map((n) => (
          <tr key={n}>
            <th scope="row">{n}</th>
            <td className="num" data-testid={`eval-metric-${n}`} data-value={a.metrics[n] ?? ''}>
              <Metric v={a.metrics[n]} />
            </td>
            {b ? (
              <>
                <td className="num" data-testid={`eval-metric-b-${n}`} data-value={b.metrics[n] ?? ''}>
                  <Metric v={b.metrics[n]} />
                </td>
                <td className="num" data-testid={`eval-delta-${n}`}>
                  <Delta a={a.metrics[n]} b={b.metrics[n]} name={n} nameB={nameB} />
                </td>
              </>
            ) : null}
            <td className="muted small">{metricDescription(n, a.iouType)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A count that opens its images; a plain number where none stand behind it. */
function CountButton(props: { value: number | string | null | undefined; selection: () => ImageSelection | null; label: string; testId: string; onShow: (s: ImageSelection) => void }) {
  const text = formatCount(props.value);
  const sel = typeof props.value === 'number' && props.value > 0 ? props.selection() : null;
  if (!sel || sel.imageIds.length === 0) return <span data-testid={props.testId}>{text}</span>;
  return (
    <button type="button" className="count-link" data-testid={props.testId} aria-label={`${text} ${props.label}: list the images`} onClick={() => props.onShow(sel)}>
      {text}
    </button>
  );
}

/** Evaluated images and true / false positives and misses at IoU 0.5, each opening its images. */
/** Text recognition: the lines read wrong, most edits first; each opens its image. */
function TextLines({ report }: { report: EvalReport }) {
  return (
    <section className="eval-card" aria-labelledby="eval-text-lines-title">
      <h3 id="eval-text-lines-title">
        Lines with errors <span className="muted small">· most character edits first{report.textLines!.length === 200 ? ' · the first 200' : ''}</span>
      </h3>
      <table className="eval-table" data-testid="eval-text-lines">
        <thead>
          <tr>
            <th scope="col">Image</th>
            <th scope="col">Labeled</th>
            <th scope="col">Read</th>
            <th scope="col" className="num" title="Character edits (Levenshtein)">Edits</th>
            <th scope="col" className="num" title={metricDescription('CER', 'text')}>CER</th>
          </tr>
        </thead>
        <tbody>
          {report.textLines!.map((l, i) => (
            <tr key={i}>
              <td>
                <a href={`#/image/${l.imageId}`}>#{l.imageId}</a>
              </td>
              <td className="eval-text">{l.reference === '' ? <span className="muted">(none labeled)</span> : l.reference}</td>
              <td className="eval-text">{l.hypothesis === '' ? <span className="muted">(not read)</span> : l.hypothesis}</td>
              <td className="num">{l.charEdits}</td>
              <td className="num">{formatMetric(l.cer)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function CountsStrip({ report, name, onShow }: { report: EvalReport; name: string; onShow: (s: ImageSelection) => void }) {
  const totals = perImageTotals(report);
  if (!totals) return null;
  const suffix = name ? `-${report.run}` : '';
  const at = report.iouType === 'keypoints' ? 'OKS' : 'IoU';
  return (
    <dl className="eval-counts" data-testid={`eval-counts${suffix}`}>
      {name ? <dt className="eval-counts-run">{name}</dt> : null}
      <div>
        <dt>Images</dt>
        <dd>
          <CountButton value={report.perImage!.length} label="evaluated images" testId={`eval-count-images${suffix}`} selection={() => perImageSelection(report, 'all')} onShow={onShow} />
        </dd>
      </div>
      <div title={`True positives: predictions matched to a label at ${at} 0.5`}>
        <dt>TP</dt>
        <dd>
          <CountButton value={totals.tp} label="true positives" testId={`eval-count-tp${suffix}`} selection={() => perImageSelection(report, 'tp')} onShow={onShow} />
        </dd>
      </div>
      <div title={`False positives: predictions not matched at ${at} 0.5`}>
        <dt>FP</dt>
        <dd>
          <CountButton value={totals.fp} label="false positives" testId={`eval-count-fp${suffix}`} selection={() => perImageSelection(report, 'fp')} onShow={onShow} />
        </dd>
      </div>
      <div title={`Misses: labels no prediction matched at ${at} 0.5`}>
        <dt>FN</dt>
        <dd>
          <CountButton value={totals.fn} label="misses" testId={`eval-count-fn${suffix}`} selection={() => perImageSelection(report, 'fn')} onShow={onShow} />
        </dd>
      </div>
      <div className="muted small">at {at} 0.5</div>
    </dl>
  );
}

function PerClassTable({ a, b, nameB, onShow }: { a: EvalReport; b: EvalReport | null; nameB: string; onShow: (s: ImageSelection) => void }) {
  const columns = perClassColumns(a);
  const cell = (row: Record<string, unknown>, k: string, value: ReactNode) => (
    <td key={k} className="num" data-col={k} data-value={String(row[k] ?? '')}>
      {value}
    </td>
  );
  return (
    <div className="eval-table-scroll">
      <table className="eval-table eval-per-class-table" data-testid="eval-per-class">
        <thead>
          <tr>
            <th scope="col">Class</th>
            {columns.map((k) => (
              <th key={k} scope="col" className="num" title={metricDescription(k, a.iouType)}>
                {k}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {a.perClass.map((row) => {
            const cls = String(row.class);
            const other = b ? perClassRow(b, cls) : undefined;
            return (
              <tr key={cls} data-testid="eval-per-class-row" data-class={cls}>
                <th scope="row">{cls}</th>
                {columns.map((k) => {
                  const v = row[k];
                  const main = isCountColumn(k) ? (
                    <CountButton
                      value={v}
                      label={k === 'numGt' ? `labels of ${cls}` : `predictions of ${cls}`}
                      testId={`eval-class-${k}`}
                      selection={() => classImagesSelection(a, cls, k as 'numGt' | 'numDt')}
                      onShow={onShow}
                    />
                  ) : (
                    <Metric v={v} />
                  );
                  if (!b) return cell(row, k, main);
                  return cell(
                    row,
                    k,
                    <div className="eval-cmp">
                      {main}
                      <span className="eval-cmp-other" title={nameB}>
                        {isCountColumn(k) ? formatCount(other?.[k]) : formatMetric(other?.[k])}
                      </span>
                      {isCountColumn(k) ? null : <Delta a={v} b={other?.[k]} name={k} nameB={nameB} />}
                    </div>,
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
      {b ? <p className="muted small">Each cell: this run, then {nameB} below it, and the difference.</p> : null}
    </div>
  );
}

function PrCurves({ a, b, nameA, nameB }: { a: EvalReport; b: EvalReport | null; nameA: string; nameB: string }) {
  const measure = a.iouType === 'keypoints' ? 'OKS' : 'IoU';
  const option = useMemo(
    () =>
      prCurveOption(
        [{ report: a, suffix: b ? runTag(nameA) : undefined }, ...(b ? [{ report: b, suffix: runTag(nameB), dashed: true }] : [])],
        measure,
      ),
    [a, b, nameA, nameB, measure],
  );
  const drawn = drawablePrCurves(a);
  const hidden = (a.prCurves?.length ?? 0) - drawn.length;
  return (
    <section className="eval-card eval-plot" aria-labelledby="eval-pr-title">
      <h3 id="eval-pr-title">
        Precision–recall at {measure} 0.5{b ? <span className="muted small"> · {nameB} dashed</span> : null}
      </h3>
      {drawn.length === 0 && !(b && drawablePrCurves(b).length > 0) ? (
        <p className="muted">No class has labels on the evaluated images: there is no curve to draw.</p>
      ) : (
        <EChart
          option={option}
          height={360}
          testId="eval-pr-chart"
          label={`Precision against recall at ${measure} 0.5 for ${drawn.map((c) => c.class).join(', ')}. The per-class table gives AP50 for each.`}
        />
      )}
      {hidden > 0 ? (
        <p className="muted small" data-testid="eval-pr-hidden">
          {hidden} class{hidden === 1 ? '' : 'es'} without labels (precision undefined) not drawn.
        </p>
      ) : null}
    </section>
  );
}

function Confusion(props: { report: EvalReport; name: string; other: EvalReport | null; nameB: string; onShow: (s: ImageSelection) => void }) {
  const { report, other, onShow } = props;
  const both = other?.confusion ? [report, other] : [report];
  // Both heat-maps share one colour scale, so the same colour is the same count.
  const max = Math.max(...both.map((r) => heatmapMax(r.confusion!.counts)));
  return (
    <section className="eval-card eval-plot" aria-labelledby="eval-confusion-title">
      <h3 id="eval-confusion-title">
        Confusion matrix at IoU {report.confusion!.iouThreshold}{' '}
        <span className="muted small">· rows labelled, columns predicted · click a cell for its images</span>
      </h3>
      <div className={both.length > 1 ? 'eval-heatmaps eval-heatmaps-2' : 'eval-heatmaps'}>
        {both.map((r) => (
          <Heatmap key={r.run} report={r} name={r === report ? props.name : props.nameB} showName={both.length > 1} max={max} onShow={onShow} testSuffix={r === report ? '' : '-b'} />
        ))}
      </div>
    </section>
  );
}

function Heatmap(props: { report: EvalReport; name: string; showName: boolean; max: number; testSuffix: string; onShow: (s: ImageSelection) => void }) {
  const { report, max, onShow, testSuffix } = props;
  const confusion = report.confusion!;
  const option = useMemo(() => confusionOption(confusion, max), [confusion, max]);
  const open = useCallback(
    (row: number, col: number) => {
      const sel = confusionCellSelection(report, row, col);
      if (sel && sel.count > 0) onShow(sel);
    },
    [report, onShow],
  );
  const onItemClick = useCallback(
    (e: ChartClick) => {
      const d = e.value;
      if (Array.isArray(d)) open(d[1] as number, d[0] as number);
    },
    [open],
  );
  const n = confusion.names.length;
  return (
    <div className="eval-heatmap">
      {props.showName ? <h4>{props.name}</h4> : null}
      <EChart
        option={option}
        height={heatmapHeight(n)}
        testId={`eval-confusion-chart${testSuffix}`}
        label={`Confusion matrix of ${props.name} at IoU ${confusion.iouThreshold}: ${n - 1} classes and background. The table below gives the same counts.`}
        onItemClick={onItemClick}
      />
      <details className="eval-confusion-details">
        <summary>As a table</summary>
        <div className="eval-table-scroll">
          <table className="eval-table eval-confusion-table" data-testid={`eval-confusion-table${testSuffix}`}>
            <caption className="sr-only">Rows: labelled class. Columns: predicted class.</caption>
            <thead>
              <tr>
                <th scope="col">Labelled ↓ / predicted →</th>
                {confusion.names.map((c) => (
                  <th key={c} scope="col" className="num">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {confusion.names.map((rowName, row) => (
                <tr key={rowName}>
                  <th scope="row">{rowName}</th>
                  {confusion.names.map((colName, col) => {
                    const v = confusion.counts[row][col];
                    return (
                      <td key={colName} className="num">
                        {v > 0 ? (
                          <button
                            type="button"
                            className="count-link"
                            data-testid="eval-confusion-cell"
                            data-row={row}
                            data-col={col}
                            aria-label={`${v} labelled ${rowName}, predicted ${colName}: list the images`}
                            onClick={() => open(row, col)}
                          >
                            {v}
                          </button>
                        ) : (
                          <span className="muted">0</span>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
