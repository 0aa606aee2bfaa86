/**
 * The Electron shell: one sandboxed window, the IPC router, the image scheme and the menu. All behaviour lives in
 * the core (electron/core), which is loaded only once the app is ready so that a native module built for the
 * wrong ABI surfaces as a dialog instead of a silent crash.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, type WebContents } from 'electron';
import type { AppCore } from '../core/app.js';
import { IMAGE_SCHEME } from '../preload/channels.js';
import { APP_INDEX_URL, APP_SCHEME_PRIVILEGES, createAppHandler } from './appProtocol.js';
import { createImageHandler } from './imageProtocol.js';
import { registerIpc } from './ipc.js';
import { launchTarget } from './launchArgs.js';
import { installMenu } from './menu.js';
import { openPath, reportFailure } from './opener.js';
import { contentSecurityPolicy, isSafeExternalUrl } from './policy.js';
import { APP_SCHEME, isAppUrl, type RendererLocation } from './senderCheck.js';

// Must happen before `ready`: standard + secure make the schemes behave like https for the renderer (relative URLs,
// secure context); corsEnabled lets <img crossorigin> load images so the canvas can read pixels. The renderer itself
// comes from sightline-app://app/, an origin of its own, not file:// (whose extra privileges the fuses turn off).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES },
  { scheme: IMAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true } },
]);
app.enableSandbox();

const here = path.dirname(fileURLToPath(import.meta.url));
const isDev = !app.isPackaged;
const devServerUrl = isDev ? process.env.ELECTRON_RENDERER_URL : undefined;
const rendererDir = path.join(here, '../renderer');
const rendererLocation: RendererLocation = devServerUrl ? { kind: 'dev', origin: new URL(devServerUrl).origin } : { kind: 'app' };
// Packaged, migrations/models/demo sit unpacked in resources/ (native code cannot read inside app.asar).
const resourcesDir = app.isPackaged ? process.resourcesPath : app.getAppPath();

let mainWindow: BrowserWindow | null = null;
let core: AppCore | null = null;
/** A file macOS asked us to open (double-click on a .sightline) before the core was up. */
let pendingOpenFile: string | null = null;

function openExternalIfSafe(url: string): void {
  if (isSafeExternalUrl(url)) void shell.openExternal(url);
  else console.warn(`[sightline] blocked opening ${url}`);
}

function hardenContents(contents: WebContents): void {
  contents.on('will-frame-navigate', (event) => {
    if (isAppUrl(event.url, rendererLocation)) return;
    event.preventDefault();
    if (event.isMainFrame) openExternalIfSafe(event.url);
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternalIfSafe(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  const csp = contentSecurityPolicy(devServerUrl);
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = Object.fromEntries(Object.entries(details.responseHeaders ?? {}).filter(([k]) => k.toLowerCase() !== 'content-security-policy'));
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [csp] } });
  });
  // No remote content: the only network peer the window may have is the dev server.
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (details, callback) => {
    const allowed = devServerUrl !== undefined && new URL(details.url).host === new URL(devServerUrl).host;
    if (!allowed) console.warn(`[sightline] blocked a request to ${details.url}`);
    callback({ cancel: !allowed });
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Sightline',
    backgroundColor: '#1b1d21',
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // Off on Linux/Windows because it downloads dictionaries from Google, and the app loads nothing remote.
      spellcheck: process.platform === 'darwin',
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  win.webContents.on('render-process-gone', (_event, details) => console.error('[sightline] renderer gone:', details.reason, details.exitCode));
  void win.loadURL(devServerUrl ?? APP_INDEX_URL);
  return win;
}

/** Opens what the command line names, else the demo project. Failures become dialogs; the window stays usable. */
async function openInitial(argv: readonly string[], cwd: string, fallbackToDemo: boolean): Promise<void> {
  if (!core) return;
  const c = core;
  const target = pendingOpenFile ?? launchTarget(argv, process.defaultApp === true, cwd);
  pendingOpenFile = null;
  if (target) await reportFailure(mainWindow, `open ${target}`, () => openPath(c, target));
  else if (fallbackToDemo) await reportFailure(mainWindow, 'open the demo project', () => c.openDemoProject());
}

async function start(): Promise<void> {
  let AppCoreClass: typeof AppCore;
  try {
    ({ AppCore: AppCoreClass } = await import('../core/app.js'));
  } catch (err) {
    console.error('[sightline] the core failed to load:', err);
    dialog.showErrorBox(
      'Sightline cannot start',
      `A part of Sightline failed to load: ${(err as Error).message}\n\nIf this mentions NODE_MODULE_VERSION, the native modules were built for Node, not Electron: run "npx electron-builder install-app-deps" and start again.`,
    );
    app.exit(1);
    return;
  }
  core = new AppCoreClass({ appDataDir: app.getPath('userData'), transport: 'electron', resourcesDir, version: app.getVersion() });
  hardenSession();
  protocol.handle(APP_SCHEME, createAppHandler(rendererDir, contentSecurityPolicy(devServerUrl)));
  protocol.handle(IMAGE_SCHEME, createImageHandler(core));
  registerIpc(ipcMain, core, () => mainWindow, rendererLocation);
  installMenu({ core, getWindow: () => mainWindow, dev: isDev });
  mainWindow = createWindow();
  await openInitial(process.argv, process.cwd(), true);
}

if (!app.requestSingleInstanceLock({ argv: process.argv, cwd: process.cwd() })) {
  app.quit();
} else {
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));

  app.on('second-instance', (_event, argv, workingDirectory, additionalData) => {
    // Chromium may reorder the second instance's argv; the copy it sent as additionalData is verbatim.
    const data = (additionalData ?? {}) as { argv?: unknown; cwd?: unknown };
    const theirArgv = Array.isArray(data.argv) && data.argv.every((a) => typeof a === 'string') ? (data.argv as string[]) : argv;
    const theirCwd = typeof data.cwd === 'string' ? data.cwd : workingDirectory;
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    } else if (core) {
      mainWindow = createWindow();
    }
    void openInitial(theirArgv, theirCwd, false);
  });

  // macOS hands over double-clicked files this way instead of argv, possibly before `ready`.
  app.on('open-file', (event, file) => {
    event.preventDefault();
    const c = core;
    if (c) void reportFailure(mainWindow, `open ${file}`, () => openPath(c, file));
    else pendingOpenFile = file;
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (core && BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });

  let closingCore = false;
  app.on('will-quit', (event) => {
    if (!core || closingCore) return;
    // The project database must be closed cleanly (WAL checkpoint, running jobs cancelled) before the process ends.
    event.preventDefault();
    closingCore = true;
    const c = core;
    const forceExit = setTimeout(() => app.exit(0), 5_000);
    c.close()
      .catch((err) => console.error('[sightline] closing the core failed:', err))
      .finally(() => {
        clearTimeout(forceExit);
        core = null;
        app.quit();
      });
  });

  app
    .whenReady()
    .then(start)
    .catch((err) => {
      console.error('[sightline] startup failed:', err);
      dialog.showErrorBox('Sightline cannot start', (err as Error)?.message ?? String(err));
      app.exit(1);
    });
}
