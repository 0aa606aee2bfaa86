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
 * A short cache-buster: the image's bytes changed exactly when its hash did. An image an import has listed but not
 * read yet has no hash: its size and mtime stand in until the hash is known (the server makes its thumbnail after
 * reading the hash, so the URL of either version gets the same cached thumbnail).
 */
export const imageVersion = (row: { contentHash: string; byteSize: number; mtimeMs: number }) =>
  row.contentHash ? row.contentHash.slice(0, 16) : `${row.byteSize.toString(36)}-${Math.trunc(row.mtimeMs).toString(36)}`;
