/** `?`: every shortcut the editor and the image view answer to. */
import { useEffect } from 'react';
import { SHORTCUTS } from '../../editor/shortcuts.js';

/** Keys the image view handles itself (the editor's own come from its binding table). */
export const PAGE_SHORTCUTS: { key: string; description: string; group: string }[] = [
  { key: 'D / →', description: 'Next image (→ nudges when shapes are selected)', group: 'Navigate' },
  { key: 'A / ←', description: 'Previous image (in compare mode A accepts a prediction: use ←)', group: 'Navigate' },
  { key: 'N', description: 'Next unlabeled image', group: 'Navigate' },
  { key: 'Ctrl+Enter', description: 'Mark done and go to the next image', group: 'Navigate' },
  { key: 'Esc', description: 'Cancel the drawing, clear the selection, then back to the library', group: 'Navigate' },
  { key: 'F', description: 'Fit the image to the view', group: 'View' },
  { key: '0', description: 'Actual size (100 %)', group: 'View' },
  { key: 'Wheel', description: 'Zoom at the cursor', group: 'View' },
  { key: 'Space+drag / middle drag', description: 'Pan', group: 'View' },
  { key: 'Shift+P', description: 'Show or hide model predictions', group: 'View' },
  { key: '?', description: 'This list', group: 'View' },
];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' || e.key === '?') {
        e.preventDefault();
        e.stopImmediatePropagation();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);
  const all = [...SHORTCUTS, ...PAGE_SHORTCUTS];
  const groups = [...new Set(all.map((s) => s.group))];
  return (
    <div className="help-overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="help-overlay" onClick={onClose}>
      <div className="help-card" onClick={(e) => e.stopPropagation()}>
        <div className="side-section-head">
          <h2>Keyboard shortcuts</h2>
          <button type="button" className="btn btn-small" onClick={onClose}>
            Close
          </button>
        </div>
        <div className="help-groups">
          {groups.map((g) => (
            <section key={g}>
              <h3>{g}</h3>
              <dl>
                {all
                  .filter((s) => s.group === g)
                  .map((s) => (
                    <div key={`${s.key}:${s.description}`} className="help-row">
                      <dt>
                        <kbd>{s.key}</kbd>
                      </dt>
                      <dd>{s.description}</dd>
                    </div>
                  ))}
              </dl>
            </section>
          ))}
        </div>
      </div>
    </div>
  );
}
