// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../../common/api/contract.js';
import { dismissJob, jobsStore, upsertJob } from './jobs.js';

const job = (patch: Partial<Job>): Job => ({
  id: 'j1',
  kind: 'import',
  title: 'Import /data',
  state: 'running',
  done: 0,
  total: 100,
  message: '',
  startedAt: 0,
  finishedAt: null,
  error: null,
  ...patch,
});

afterEach(() => {
  jobsStore.set({ jobs: [] });
  vi.useRealTimers();
});

describe('jobs store', () => {
  it('keeps the newest snapshot of each job when events and look-ups cross', () => {
    upsertJob(job({ done: 40 }));
    upsertJob(job({ done: 10 }));
    expect(jobsStore.get().jobs).toEqual([job({ done: 40 })]);
    upsertJob(job({ state: 'failed', done: 50, error: 'Disk full while writing /p.sightline' }));
    upsertJob(job({ done: 45 }));
    expect(jobsStore.get().jobs.map((j) => j.state)).toEqual(['failed']);
  });

  it('lets finished and cancelled jobs fade out but keeps failures until dismissed', () => {
    vi.useFakeTimers();
    upsertJob(job({ id: 'ok', state: 'done', done: 100 }));
    upsertJob(job({ id: 'stop', state: 'cancelled' }));
    upsertJob(job({ id: 'bad', state: 'failed' }));
    upsertJob(job({ id: 'run' }));
    expect(jobsStore.get().jobs).toHaveLength(4);
    vi.advanceTimersByTime(10_000);
    expect(jobsStore.get().jobs.map((j) => j.id)).toEqual(['bad', 'run']);
    dismissJob('bad');
    expect(jobsStore.get().jobs.map((j) => j.id)).toEqual(['run']);
  });
});
