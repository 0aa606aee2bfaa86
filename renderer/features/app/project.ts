import type { ProjectSummary } from '../../../common/api/contract.js';
import { api, errorMessage } from '../../api.js';
import { createStore } from './store.js';

export interface ProjectState {
  /** false until app.info has answered */
  loaded: boolean;
  loadError: string | null;
  project: ProjectSummary | null;
  demoProject: string | null;
  version: string;
}

export const projectStore = createStore<ProjectState>({
  loaded: false,
  loadError: null,
  project: null,
  demoProject: null,
  version: '',
});

export async function loadAppInfo(): Promise<void> {
  try {
    const info = await api.call('app.info');
    projectStore.set({ loaded: true, loadError: null, project: info.project, demoProject: info.demoProject, version: info.version });
  } catch (err) {
    projectStore.set({ loaded: true, loadError: errorMessage(err) });
  }
}

export function setProject(project: ProjectSummary | null): void {
  projectStore.set({ project });
}
