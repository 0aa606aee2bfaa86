// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventName, Job, ProjectSummary } from '../../../common/api/contract.js';

const listeners = new Map<string, (payload: unknown) => void>();
const call = vi.fn(async (name: string): Promise<unknown> => (name === 'jobs.list' ? [] : summary));
vi.mock('../../api.js', () => ({
  api: {
    call: (name: string) => call(name),
    on: (event: EventName, l: (payload: unknown) => void) => {
      listeners.set(event, l);
      return () => listeners.delete(event);
    },
  },
  errorMessage: String,
}));

const { listenToServer } = await import('./events.js');
const { projectStore } = await import('./project.js');
const { libraryStore } = await import('../library/query.js');
const { jobsStore } = await import('../jobs/jobs.js');

const summary: ProjectSummary = {
  path: '/p.sightline',
  name: 'p',
  schemaVersion: 1,
  images: 3,
  missingImages: 0,
  pendingIndex: 0,
  annotations: 0,
  classes: 0,
  runs: 0,
  roots: [],
};
const job = (state: Job['state'], kind: Job['kind'] = 'import'): Job => ({
  id: 'j',
  kind,
  title: 't',
  state,
  done: 1,
  total: 2,
  message: '',
  startedAt: 0,
  finishedAt: null,
  error: null,
});
const emit = (event: EventName, payload: unknown) => listeners.get(event)!(payload);
const token = () => libraryStore.get().refreshToken;

let stop: () => void;
beforeEach(() => {
  vi.useFakeTimers();
  stop = listenToServer();
});
afterEach(() => {
  stop();
  vi.useRealTimers();
  jobsStore.set({ jobs: [] });
});

describe('server events', () => {
  it('refreshes the grid and the summary when an import ends, not while it runs', async () => {
    const t0 = token();
    emit('job', job('running'));
    expect(token()).toBe(t0);
    expect(jobsStore.get().jobs).toHaveLength(1);
    emit('job', job('done'));
    expect(token()).toBe(t0 + 1);
    await vi.waitFor(() => expect(call).toHaveBeenCalledWith('projects.summary'));
    emit('job', job('done', 'export'));
    expect(token()).toBe(t0 + 1);
  });

  it('coalesces bursts of image events into one refresh', () => {
    const t0 = token();
    for (let i = 0; i < 20; i++) emit('project', { reason: 'images', project: summary });
    expect(token()).toBe(t0);
    vi.advanceTimersByTime(1000);
    expect(token()).toBe(t0 + 1);
    expect(projectStore.get().project).toEqual(summary);
  });

  it('keeps the summary for annotation events that leave it out, and clears it on close', () => {
    projectStore.set({ project: summary });
    emit('project', { reason: 'annotations', imageIds: [1] });
    expect(projectStore.get().project).toEqual(summary);
    emit('project', { reason: 'closed', project: null });
    expect(projectStore.get().project).toBeNull();
  });

  it('stops listening when disposed', () => {
    stop();
    expect(listeners.size).toBe(0);
    stop = () => undefined;
  });
});
