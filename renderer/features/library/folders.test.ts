import { describe, expect, it } from 'vitest';
import { folderLabel, folderTree, hasFolders, type FolderNode } from './folders.js';

const roots = [
  { id: 1, path: '/home/ana/photos' },
  { id: 2, path: 'C:\\Users\\ana\\scans\\' },
];
const outline = (nodes: FolderNode[]): unknown => nodes.map((n) => [n.name, n.path, n.total, ...(n.children.length ? [outline(n.children)] : [])]);

describe('folderTree', () => {
  it('nests folders under their root, adds subfolders into the counts, and makes nodes for folders of folders', () => {
    const tree = folderTree(
      [
        { rootId: 1, path: '', count: 2 },
        { rootId: 1, path: '2024/roll-10', count: 5 },
        { rootId: 1, path: '2024/roll-9', count: 3 },
        { rootId: 1, path: '2024/roll-9/rejects', count: 1 },
        { rootId: 2, path: 'box', count: 4 },
      ],
      roots,
    );
    expect(outline(tree)).toEqual([
      ['photos', '', 11, [['2024', '2024', 9, [['roll-9', '2024/roll-9', 4, [['rejects', '2024/roll-9/rejects', 1]]], ['roll-10', '2024/roll-10', 5]]]]],
      ['scans', '', 4, [['box', 'box', 4]]],
    ]);
    expect(hasFolders(tree)).toBe(true);
  });

  it('is not worth a panel for one flat folder', () => {
    expect(hasFolders(folderTree([{ rootId: 1, path: '', count: 40 }], roots))).toBe(false);
    expect(hasFolders(folderTree([], roots))).toBe(false);
    expect(hasFolders(folderTree([{ rootId: 1, path: 'a', count: 1 }], roots))).toBe(true);
  });
});

describe('folderLabel', () => {
  const repeated = new Set(['IMG_0001.jpg']);
  it('shows the folder only beside a name that repeats', () => {
    expect(folderLabel({ rootId: 1, relPath: 'roll-07/IMG_0001.jpg' }, repeated, roots)).toBe('roll-07');
    expect(folderLabel({ rootId: 1, relPath: '2024/roll-07/IMG_0001.jpg' }, repeated, roots)).toBe('2024/roll-07');
    expect(folderLabel({ rootId: 1, relPath: 'roll-07/IMG_0002.jpg' }, repeated, roots)).toBeNull();
  });

  it("names the root for a repeated name at a root's top, when there are several roots", () => {
    expect(folderLabel({ rootId: 2, relPath: 'IMG_0001.jpg' }, repeated, roots)).toBe('scans');
    expect(folderLabel({ rootId: 1, relPath: 'IMG_0001.jpg' }, repeated, [roots[0]])).toBeNull();
  });

  it('shows every folder when the repeats were too many to list', () => {
    expect(folderLabel({ rootId: 1, relPath: 'roll-07/IMG_0002.jpg' }, null, roots)).toBe('roll-07');
    expect(folderLabel({ rootId: 1, relPath: 'IMG_0002.jpg' }, null, roots)).toBeNull();
  });
});
