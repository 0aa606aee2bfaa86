import { Suspense, lazy, useEffect, useSyncExternalStore } from 'react';
import { LibraryPage } from '../library/LibraryPage.js';
import { ProjectHome } from '../home/ProjectHome.js';
import { DatasetButtons } from '../datasets/DatasetButtons.js';
import { JobProgress } from '../jobs/JobProgress.js';
import { listenToServer } from './events.js';
import { loadAppInfo, projectStore } from './project.js';
import { RelinkBanner } from './RelinkBanner.js';
import { navigate, parseRoute, type Route } from './route.js';
import { useStore } from './store.js';

// Konva is most of the bundle; the library and home screens should not wait for it.
const ViewerPage = lazy(() => import('../viewer/ViewerPage.js').then((m) => ({ default: m.ViewerPage })));
const ModelsPage = lazy(() => import('../models/ModelsPage.js').then((m) => ({ default: m.ModelsPage })));
// ECharts lives in the evaluation chunk only.
const EvaluationPage = lazy(() => import('../evaluation/EvaluationPage.js').then((m) => ({ default: m.EvaluationPage })));

/** Screens that work without an open project: models are the app's, not a project's. */
const PROJECTLESS = new Set<Route['name']>(['home', 'models']);

const subscribeHash = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};
const useRoute = (): Route => parseRoute(useSyncExternalStore(subscribeHash, () => window.location.hash));

export function App() {
  const route = useRoute();
  const { loaded, loadError, project } = useStore(projectStore);

  useEffect(() => {
    void loadAppInfo();
    return listenToServer();
  }, []);

  // With no hash, or with no project for a screen that needs one, pick the screen that fits.
  const redirect: Route | null = !loaded
    ? null
    : route.name === 'start'
      ? { name: project ? 'library' : 'home' }
      : !project && !PROJECTLESS.has(route.name)
        ? { name: 'home' }
        : null;
  useEffect(() => {
    if (redirect) navigate(redirect, true);
  }, [redirect?.name]);

  const shown = redirect ?? route;
  return (
    <div className="app">
      <header className="app-header">
        <a className="brand" href="#/" aria-label="Sightline home">
          Sightline
        </a>
        {project ? (
          <span className="project-name" title={project.path}>
            {project.name}
          </span>
        ) : null}
        <nav className="nav" aria-label="Screens">
          <a href="#/" aria-current={shown.name === 'home' ? 'page' : undefined}>
            Projects
          </a>
          {project ? (
            <a href="#/library" aria-current={shown.name === 'library' ? 'page' : undefined}>
              Library
            </a>
          ) : null}
          <a href="#/models" aria-current={shown.name === 'models' ? 'page' : undefined} data-testid="nav-models">
            Models
          </a>
          {project ? (
            <a href="#/evaluation" aria-current={shown.name === 'evaluation' ? 'page' : undefined} data-testid="nav-evaluation">
              Evaluation
            </a>
          ) : null}
        </nav>
        {project && loaded && !loadError ? <DatasetButtons /> : null}
        <span className="spacer" />
        <JobProgress />
      </header>
      {project && shown.name !== 'image' ? <RelinkBanner project={project} /> : null}
      <main className="app-main">
        {!loaded ? (
          <div className="center muted">Starting…</div>
        ) : loadError ? (
          <div className="center">
            <p className="error" role="alert">
              {loadError}
            </p>
            <button type="button" className="btn" onClick={() => loadAppInfo()}>
              Try again
            </button>
          </div>
        ) : shown.name === 'library' ? (
          <LibraryPage />
        ) : shown.name === 'image' ? (
          <Suspense fallback={<div className="center muted">Loading viewer…</div>}>
            <ViewerPage id={shown.id} />
          </Suspense>
        ) : shown.name === 'evaluation' ? (
          <Suspense fallback={<div className="center muted">Loading evaluation…</div>}>
            <EvaluationPage route={shown} />
          </Suspense>
        ) : shown.name === 'models' ? (
          <Suspense fallback={<div className="center muted">Loading models…</div>}>
            <ModelsPage />
          </Suspense>
        ) : (
          <ProjectHome />
        )}
      </main>
    </div>
  );
}
