import { formatLogProb, formatScore, type CaptionView } from './predictions.js';

/** The heat-map is stretched per word; this says how peaked the attention really was. */
function attentionTitle(weights: number[]): string {
  const peak = Math.max(...weights);
  return `Strongest cell: ${(peak * 100).toFixed(0)}% of the attention (uniform: ${(100 / weights.length).toFixed(0)}%)`;
}

/**
 * A captioner's output: the caption shown as word chips (pointing at one draws where the model looked for it),
 * and the other beams with their scores. Hover is reported, not kept in state: the heat-map is drawn imperatively.
 */
export function CaptionsPanel({ captions, onWord }: { captions: CaptionView[]; onWord: (caption: CaptionView, word: number | null) => void }) {
  if (captions.length === 0) return null;
  return (
    <section className="side-section" aria-label="Caption" data-testid="captions-panel">
      <h3>Caption</h3>
      {captions.map((c) => (
        <div key={c.id} className="caption-block">
          <p className="caption-words" data-testid="caption-text">
            {c.words.map((w, i) => (
              <span
                key={i}
                className={`word-chip${c.attention ? ' has-attention' : ''}`}
                data-testid="caption-word"
                tabIndex={c.attention ? 0 : undefined}
                title={c.attention ? attentionTitle(c.attention[i]) : undefined}
                onMouseEnter={() => c.attention && onWord(c, i)}
                onMouseLeave={() => c.attention && onWord(c, null)}
                onFocus={() => c.attention && onWord(c, i)}
                onBlur={() => c.attention && onWord(c, null)}
              >
                {w}
              </span>
            ))}
          </p>
          <p className="muted small">
            {c.logProb !== null ? formatLogProb(c.logProb) : c.score !== null ? `score ${formatScore(c.score)}` : null}
            {c.attention ? ' · point at a word to see where the model looked' : ''}
          </p>
          {c.beams.length > 0 ? (
            <ol className="beams" start={2} aria-label="Other beams">
              {c.beams.map((b, i) => (
                <li key={i}>
                  <span>{b.caption}</span>
                  <span className="muted small">{formatLogProb(b.logProb)}</span>
                </li>
              ))}
            </ol>
          ) : null}
        </div>
      ))}
    </section>
  );
}
