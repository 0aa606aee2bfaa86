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

/** A short cache-buster: the image's bytes changed exactly when its hash did. */
export const imageVersion = (contentHash: string) => contentHash.slice(0, 16);
