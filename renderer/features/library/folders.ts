/**
 * The library's folder view and readable names (issue 12), pure: the folder tree with image counts built from
 * images.folders, and the folder a grid cell shows beside a file name that occurs in more than one folder.
 */
import type { FolderCount, ImageRow } from '../../../common/api/contract.js';
import { baseName } from '../status.js';

export interface FolderNode {
  rootId: number;
  /** Relative to the root; '' for the root itself. */
  path: string;
  name: string;
  /** Images in this folder and every folder inside it. */
  total: number;
  children: FolderNode[];
}

/** The last part of a path, root paths included (they may be Windows paths). */
const lastPart = (p: string) => p.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? p;

/**
 * One node per root (named after its folder) holding its folders as a tree, each with the images under it. Folders
 * that hold only folders get a node too, so every level can be chosen.
 */
export function folderTree(folders: FolderCount[], roots: { id: number; path: string }[]): FolderNode[] {
  const byRoot = new Map<number, FolderNode>();
  const nodes = new Map<string, FolderNode>();
  const rootNode = (rootId: number) => {
    let node = byRoot.get(rootId);
    if (!node) {
      const rootPath = roots.find((r) => r.id === rootId)?.path ?? `Folder ${rootId}`;
      node = { rootId, path: '', name: lastPart(rootPath) || rootPath, total: 0, children: [] };
      byRoot.set(rootId, node);
    }
    return node;
  };
  for (const f of folders) {
    const root = rootNode(f.rootId);
    root.total += f.count;
    let parent = root;
    if (f.path === '') continue;
    const parts = f.path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const path = parts.slice(0, i).join('/');
      const key = `${f.rootId}/${path}`;
      let node = nodes.get(key);
      if (!node) {
        node = { rootId: f.rootId, path, name: parts[i - 1], total: 0, children: [] };
        nodes.set(key, node);
        parent.children.push(node);
      }
      node.total += f.count;
      parent = node;
    }
  }
  const sort = (list: FolderNode[]) => {
    list.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    list.forEach((n) => sort(n.children));
  };
  const tops = [...byRoot.values()].sort((a, b) => a.rootId - b.rootId);
  tops.forEach((n) => sort(n.children));
  return tops;
}

/** Worth a panel: more than one root, or a root with folders in it. */
export function hasFolders(tree: FolderNode[]): boolean {
  return tree.length > 1 || tree.some((n) => n.children.length > 0);
}

/**
 * What a cell shows beside its file name: the folder (or, at the top of a root, the root's name when there are several
 * roots) when the name occurs in more than one folder; null when the name alone is clear.
 */
export function folderLabel(row: Pick<ImageRow, 'relPath' | 'rootId'>, repeated: Set<string> | null, roots: { id: number; path: string }[]): string | null {
  const slash = row.relPath.lastIndexOf('/');
  const folder = slash < 0 ? '' : row.relPath.slice(0, slash);
  if (repeated ? !repeated.has(baseName(row.relPath)) : folder === '') return null;
  if (folder !== '') return folder;
  if (roots.length < 2) return null;
  const root = roots.find((r) => r.id === row.rootId)?.path ?? '';
  return lastPart(root) || null;
}
