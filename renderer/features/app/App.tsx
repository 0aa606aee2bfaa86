import { Suspense, lazy, useEffect, useSyncExternalStore } from 'react';
import { LibraryPage, prefetchLibraryPage } from '../library/LibraryPage.js';
import { ProjectHome } from '../home/ProjectHome.js';
import { DatasetButtons } from '../datasets/DatasetButtons.js';
import { JobProgress } from '../jobs/JobProgress.js';
import { listenToServer } from './events.js';
import { loadAppInfo, projectStore } from './project.js';
import { RelinkBanner } from './RelinkBanner.js';
import { navigate, parseRoute, type Route } from './route.js';
import { useStore } from './store.js';

// Konva is most of the bundle; the library and home screens should not wait for it. The library loads it once the
// page is idle, so that opening an image does not wait for half a megabyte of script to arrive and compile.
type ViewerModule = typeof import('../viewer/ViewerPage.js');
let viewerChunk: Promise<ViewerModule> | null = null;
let viewerModule: ViewerModule | null = null;
const loadViewer = () => (viewerChunk ??= import('../viewer/ViewerPage.js').then((m) => (viewerModule = m)));
// Already loaded: a thenable that answers at once, so React renders the page in this pass. A promise, even a settled
// one, would suspend it, and React holds a suspended page back for up to 300 ms (its fallback throttle).
type ViewerDefault = { default: ViewerModule['ViewerPage'] };
const ViewerPage = lazy(() => {
  const m = viewerModule;
  if (m) return { then: (ok: (v: ViewerDefault) => void) => ok({ default: m.ViewerPage }) } as unknown as Promise<ViewerDefault>;
  return loadViewer().then((v) => ({ default: v.ViewerPage }));
});
const ModelsPage = lazy(() => import('../models/ModelsPage.js').then((m) => ({ default: m.ModelsPage })));
// ECharts lives in the evaluation chunk only.
const EvaluationPage = lazy(() => import('../evaluation/EvaluationPage.js').then((m) => ({ default: m.EvaluationPage })));

// Opening an image once the viewer's code is here: its row and labels are asked for as the address changes, before
// React renders the page (registered before React's own listener, so this runs first).
window.addEventListener('hashchange', () => {
  const r = parseRoute(window.location.hash);
  if (r.name === 'image' && viewerModule && projectStore.get().project) viewerModule.openImageEarly(r.id);
});

let loadingStarted = false;

/**
 * The app's first reads: app.info and, opening on the library (no address, or #/library), the grid's first page
 * beside it rather than after its answer. Called by main.tsx as soon as the tab is signed in, before React's first
 * render (100–200 ms here), and by App as it mounts (Electron, tests); only the first call asks, unless `again` (a
 * tab signed in anew, after its server restarted).
 */
export function startLoading(again = false): void {
  if (loadingStarted && !again) return;
  loadingStarted = true;
  void loadAppInfo();
  const first = parseRoute(window.location.hash).name;
  if (first === 'start' || first === 'library') prefetchLibraryPage();
}

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
    startLoading();
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
  const onLibrary = loaded && !loadError && shown.name === 'library';
  useEffect(() => {
    if (!onLibrary || viewerChunk) return;
    const load = () => void loadViewer().catch(() => (viewerChunk = null));
    if (typeof requestIdleCallback !== 'function') {
      const t = setTimeout(load, 200);
      return () => clearTimeout(t);
    }
    const h = requestIdleCallback(load, { timeout: 1000 });
    return () => cancelIdleCallback(h);
  }, [onLibrary]);
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
