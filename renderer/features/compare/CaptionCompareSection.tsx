/**
 * Compare mode's panel for a caption run: the run's caption beside the image's labeled captions, with the image's
 * BLEU-4 and CIDEr-D from the core (`eval.imageCaption`: CIDEr-D weighs n-grams by how rare they are among every
 * evaluated image's references, which one image alone cannot tell). Read again when labels change anywhere, since
 * any image's captions move those weights.
 */
import { useEffect, useState } from 'react';
import type { ImageCaptionScore } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';

const score = (v: number | null) => (v === null ? '—' : v.toFixed(3));

export function CaptionCompareSection({ runId, imageId }: { runId: number | null; imageId: number }) {
  const [got, setGot] = useState<{ key: string; score: ImageCaptionScore | null; error: string | null } | null>(null);
  const [version, setVersion] = useState(0);
  const key = `${runId}:${imageId}:${version}`;

  useEffect(
    () =>
      api.on('project', (e) => {
        if (e.reason === 'annotations' || e.reason === 'predictions' || e.reason === 'images') setVersion((v) => v + 1);
      }),
    [],
  );
  useEffect(() => {
    if (runId === null) return;
    let live = true;
    api.call('eval.imageCaption', { runId, imageId }).then(
      (r) => live && setGot({ key, score: r, error: null }),
      (err) => live && setGot({ key, score: null, error: errorMessage(err) }),
    );
    return () => {
      live = false;
    };
  }, [runId, imageId, key]);

  if (runId === null) return null;
  // The last answer stays shown while a newer one is on its way (no flicker on every label edit).
  const s = got?.score?.runId === runId && got.score.imageId === imageId ? got.score : null;
  if (got?.error && got.key === key) return <p className="error small" role="alert">{got.error}</p>;
  if (!s) return <p className="muted small">Scoring the caption…</p>;
  return (
    <div className="compare-caption" data-testid="compare-caption">
      <div className="field">
        <span>Run's caption</span>
        <p className="caption-candidate" data-testid="compare-caption-candidate" title={s.normalised.candidate ? `Scored as: ${s.normalised.candidate.join(' ')}` : undefined}>
          {s.candidate ?? <span className="muted">none</span>}
        </p>
      </div>
      <div className="field">
        <span>Labeled captions ({s.references.length})</span>
        {s.references.length ? (
          <ul className="caption-references" data-testid="compare-caption-references">
            {s.references.map((r, i) => (
              <li key={i} title={`Scored as: ${s.normalised.references[i]?.join(' ') ?? ''}`}>
                {r}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">none</p>
        )}
      </div>
      <dl className="facts">
        <dt title="Geometric mean of 1- to 4-gram precision against the closest reference length, with its brevity penalty (coco-caption's per-image score)">BLEU-4</dt>
        <dd>
          <strong data-testid="compare-bleu4" data-value={s.BLEU4 === null ? '' : String(s.BLEU4)}>
            {score(s.BLEU4)}
          </strong>
        </dd>
        <dt title={`n-gram agreement weighted by rarity among the references of the ${s.corpusImages} image(s) the run's caption evaluation covers`}>CIDEr-D</dt>
        <dd>
          <strong data-testid="compare-cider" data-value={s.CIDEr === null ? '' : String(s.CIDEr)}>
            {score(s.CIDEr)}
          </strong>
        </dd>
      </dl>
      {s.note ? (
        <p className="muted small" data-testid="compare-caption-note">
          {s.note}
        </p>
      ) : null}
      <p className="muted small">
        Both sides are lowercased, punctuation removed and split on spaces before scoring. CIDEr-D weighs words by how rare they are among the labeled captions of the{' '}
        {s.corpusImages} image{s.corpusImages === 1 ? '' : 's'} the run is evaluated on.
      </p>
    </div>
  );
}
