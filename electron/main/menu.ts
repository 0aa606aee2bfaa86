/** The application menu. Rebuilt when a project opens or closes, so Recent Projects stays current. */
import { app, dialog, Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { RecentProject } from '../../common/api/contract.js';
import { openPath, reportFailure, type Opener } from './opener.js';

export interface MenuDeps {
  core: Opener;
  getWindow(): BrowserWindow | null;
  /** Reload and developer tools only exist in development. */
  dev: boolean;
}

async function recentProjects(core: Opener): Promise<RecentProject[]> {
  try {
    return (await core.dispatch('projects.recent', {})) as RecentProject[];
  } catch (err) {
    console.error('[sightline] could not read recent projects:', err);
    return [];
  }
}

function menuTemplate(deps: MenuDeps, recent: RecentProject[]): MenuItemConstructorOptions[] {
  const { core, getWindow, dev } = deps;
  const isMac = process.platform === 'darwin';
  const win = () => getWindow() ?? undefined;

  const openFolder = async () => {
    const w = win();
    const options = { title: 'Open a folder of images', properties: ['openDirectory' as const] };
    const picked = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
    const folder = picked.filePaths[0];
    // The core announces the opened project with a `project` event, which routes the renderer to the library.
    if (!picked.canceled && folder) await reportFailure(getWindow(), `open ${folder}`, () => core.dispatch('projects.openFolder', { folder }));
  };
  const openProject = async () => {
    const w = win();
    const options = {
      title: 'Open a Sightline project',
      properties: ['openFile' as const],
      filters: [{ name: 'Sightline projects', extensions: ['sightline'] }],
    };
    const picked = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
    const file = picked.filePaths[0];
    if (!picked.canceled && file) await reportFailure(getWindow(), `open ${file}`, () => core.openProject(file));
  };

  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? recent.map((p) => ({
        label: `${p.name} — ${p.path}`,
        click: () => void reportFailure(getWindow(), `open ${p.path}`, () => openPath(core, p.path)),
      }))
    : [{ label: 'No recent projects', enabled: false }];

  const about = () => {
    const detail = [
      `Version ${app.getVersion()}`,
      `Electron ${process.versions.electron}, Chromium ${process.versions.chrome}, Node ${process.versions.node}`,
    ].join('\n');
    const options = { type: 'info' as const, title: 'About Sightline', message: 'Sightline', detail };
    const w = win();
    void (w ? dialog.showMessageBox(w, options) : dialog.showMessageBox(options));
  };

  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Folder…', accelerator: 'CmdOrCtrl+O', click: () => void openFolder() },
        { label: 'Open Project…', accelerator: 'CmdOrCtrl+Shift+O', click: () => void openProject() },
        { label: 'Recent Projects', submenu: recentItems },
        { type: 'separator' },
        { label: 'Open Demo Project', click: () => void reportFailure(getWindow(), 'open the demo project', () => core.openDemoProject()) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: 'View',
      submenu: [
        ...(dev ? [{ role: 'reload' as const }, { role: 'forceReload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }] : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'help', submenu: [{ label: 'About Sightline', click: about }] },
  ];
}

/** Builds the menu now and again after each project change; returns the unsubscribe function. */
export function installMenu(deps: MenuDeps): () => void {
  let generation = 0;
  const rebuild = async () => {
    const mine = ++generation;
    const recent = await recentProjects(deps.core);
    // A slower, older rebuild must not overwrite a newer one.
    if (mine === generation) Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(deps, recent)));
  };
  void rebuild();
  return deps.core.onEvent((event, payload) => {
    if (event === 'project' && ['opened', 'closed'].includes((payload as { reason: string }).reason)) void rebuild();
  });
}
