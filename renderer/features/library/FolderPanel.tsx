import { useMemo, useState } from 'react';
import type { ImageFilter } from '../../../common/api/contract.js';
import { projectStore } from '../app/project.js';
import { useStore } from '../app/store.js';
import { foldersStore } from './folderData.js';
import { folderTree, hasFolders, type FolderNode } from './folders.js';
import { setFilter } from './LibraryToolbar.js';
import { libraryStore } from './query.js';

const keyOf = (n: { rootId: number; path: string }) => `${n.rootId}/${n.path}`;

/** The folders of the project with their image counts; choosing one filters the grid to it and its subfolders. */
export function FolderPanel() {
  const { folders, error } = useStore(foldersStore);
  const roots = useStore(projectStore).project?.roots;
  const current = useStore(libraryStore).filter.folder;
  const tree = useMemo(() => folderTree(folders, roots ?? []), [folders, roots]);
  // Folders start open down to the second level; these are the ones the person opened or closed since.
  const [flipped, setFlipped] = useState<ReadonlySet<string>>(() => new Set());

  if (!hasFolders(tree)) return error ? <p className="error folder-panel-error">{error}</p> : null;
  // One root: its folders are the top level, under "All images".
  const tops = tree.length === 1 ? tree[0].children : tree;
  const all = tree.reduce((n, t) => n + t.total, 0);
  const choose = (folder: ImageFilter['folder']) => setFilter({ folder });
  const toggle = (key: string) =>
    setFlipped((s) => {
      const next = new Set(s);
      if (!next.delete(key)) next.add(key);
      return next;
    });

  const item = (node: FolderNode, depth: number) => {
    const key = keyOf(node);
    const selected = current !== undefined && keyOf(current) === key;
    const open = node.children.length > 0 && (depth < 2) !== flipped.has(key);
    return (
      <li key={key}>
        <div className="folder-row" style={{ paddingLeft: 6 + depth * 14 }}>
          {node.children.length > 0 ? (
            <button
              type="button"
              className="folder-toggle"
              aria-label={`${open ? 'Collapse' : 'Expand'} ${node.name}`}
              aria-expanded={open}
              onClick={() => toggle(key)}
            >
              {open ? '▾' : '▸'}
            </button>
          ) : (
            <span className="folder-toggle" aria-hidden="true" />
          )}
          <button
            type="button"
            className={`folder-item${selected ? ' selected' : ''}`}
            aria-current={selected ? 'true' : undefined}
            data-testid="folder-item"
            data-folder={node.path}
            title={node.path || node.name}
            onClick={() => choose({ rootId: node.rootId, path: node.path })}
          >
            <span className="folder-name">{node.name}</span>
            <span className="folder-count">{node.total.toLocaleString()}</span>
          </button>
        </div>
        {open ? <ul>{node.children.map((c) => item(c, depth + 1))}</ul> : null}
      </li>
    );
  };

  return (
    <nav className="folder-panel" aria-label="Folders" data-testid="folder-panel">
      <div className="folder-panel-title">Folders</div>
      {error ? <p className="error folder-panel-error">{error}</p> : null}
      <ul className="folder-tree">
        <li>
          <div className="folder-row" style={{ paddingLeft: 6 }}>
            <span className="folder-toggle" aria-hidden="true" />
            <button
              type="button"
              className={`folder-item${current === undefined ? ' selected' : ''}`}
              aria-current={current === undefined ? 'true' : undefined}
              data-testid="folder-all"
              onClick={() => choose(undefined)}
            >
              <span className="folder-name">All images</span>
              <span className="folder-count">{all.toLocaleString()}</span>
            </button>
          </div>
        </li>
        {tops.map((n) => item(n, 0))}
      </ul>
    </nav>
  );
}
