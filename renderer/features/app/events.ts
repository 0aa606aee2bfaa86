import { api } from '../../api.js';
import { isFinished, upsertJob } from '../jobs/jobs.js';
import { refreshLibrary } from '../library/query.js';
import { setProject } from './project.js';

/** While images stream in, refresh the grid at most this often. */
const REFRESH_THROTTLE_MS = 600;

/** Wire server events into the stores for the app's lifetime. Returns the unsubscribe. */
export function listenToServer(): () => void {
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  const scheduleRefresh = () => {
    refreshTimer ??= setTimeout(() => {
      refreshTimer = null;
      refreshLibrary();
    }, REFRESH_THROTTLE_MS);
  };

  const offJob = api.on('job', (job) => {
    upsertJob(job);
    if (isFinished(job) && (job.kind === 'import' || job.kind === 'rescan')) {
      refreshLibrary();
      api.call('projects.summary').then(setProject, () => undefined);
    }
  });
  const offProject = api.on('project', ({ reason, project }) => {
    // Annotation edits leave the summary out rather than pay for recounting the project.
    if (project !== undefined) setProject(project);
    if (reason !== 'classes') scheduleRefresh();
  });

  api.call('jobs.list').then(
    (jobs) => jobs.filter((j) => !isFinished(j)).forEach(upsertJob),
    () => undefined,
  );

  return () => {
    offJob();
    offProject();
    if (refreshTimer) clearTimeout(refreshTimer);
  };
}
