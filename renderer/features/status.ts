import type { ReviewStatus } from '../../common/api/contract.js';

export const STATUS_LABELS: Record<ReviewStatus, string> = {
  new: 'New',
  in_progress: 'In progress',
  done: 'Done',
  review: 'Review',
  rejected: 'Rejected',
};

export const STATUSES = Object.keys(STATUS_LABELS) as ReviewStatus[];

export function baseName(relPath: string): string {
  return relPath.slice(relPath.lastIndexOf('/') + 1);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/**
 * A short cache-buster for an image's URLs: its size and mtime, which the scan compares to tell a changed file, and
 * which a row has from the moment an import lists it. Not the content hash: a listed row gets its hash seconds later
 * (issue 12), and a version that changed then made every cell on screen fetch its thumbnail a second time.
 */
export const imageVersion = (row: { byteSize: number; mtimeMs: number }) => `${row.byteSize.toString(36)}-${Math.trunc(row.mtimeMs).toString(36)}`;
