import { useState, type FormEvent } from 'react';
import type { ProjectSummary } from '../../../common/api/contract.js';
import { api } from '../../api.js';
import { setProject } from './project.js';
import { useAction } from './useAction.js';
import { refreshLibrary } from '../library/query.js';

type Root = ProjectSummary['roots'][number];

/** One banner per image folder that is not where the project last saw it. */
export function RelinkBanner({ project }: { project: ProjectSummary }) {
  const missing = project.roots.filter((r) => !r.available);
  if (missing.length === 0) return null;
  return (
    <div className="banners">
      {missing.map((root) => (
        <RootBanner key={root.id} root={root} />
      ))}
    </div>
  );
}

function RootBanner({ root }: { root: Root }) {
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState('');
  const relink = useAction(async () => {
    const res = await api.call('roots.relink', { rootId: root.id, path: path.trim() });
    setProject(res.project);
    refreshLibrary();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void relink.run();
  };
  return (
    <div className="banner banner-warning" role="alert" data-testid="relink-banner">
      <div className="banner-line">
        <span>
          Folder <code>{root.path}</code> has moved or is missing ({root.images.toLocaleString()} images).
        </span>
        <button type="button" className="btn btn-small" aria-expanded={open} onClick={() => setOpen(!open)}>
          Relink…
        </button>
      </div>
      {open ? (
        <form className="banner-form" onSubmit={submit}>
          <label className="field field-inline">
            <span>New location</span>
            <input type="text" spellCheck={false} value={path} required placeholder="/absolute/path/to/the/folder" onChange={(e) => setPath(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-primary btn-small" disabled={relink.pending}>
            Relink
          </button>
        </form>
      ) : null}
      {relink.error ? <p className="error">{relink.error}</p> : null}
    </div>
  );
}
