/**
 * A recording stand-in for the `electron` module, just wide enough for electron/main. The Electron binary cannot
 * run here, so the shell smoke test runs the built main process under Node against this.
 */
import { pathToFileURL } from 'node:url';

type Listener = (...args: any[]) => unknown;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener) {
    return this.on(event, listener);
  }
  emit(event: string, ...args: unknown[]) {
    for (const l of this.listeners.get(event) ?? []) l(...args);
  }
}

export const state = {
  ready: false,
  userData: '',
  appPath: '',
  privileged: [] as { schemes: unknown; beforeReady: boolean }[],
  sandboxEnabled: false,
  ipcHandlers: new Map<string, Listener>(),
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
  windows: [] as FakeWindow[],
  menu: null as any[] | null,
  messageBoxes: [] as unknown[],
  errorBoxes: [] as unknown[],
  external: [] as string[],
  permissionRequest: null as Listener | null,
  permissionCheck: null as Listener | null,
  headersReceived: null as Listener | null,
  beforeRequest: null as Listener | null,
  quitCalls: 0,
  exitCode: null as number | null,
};

let resolveReady: () => void = () => {};
const readyPromise = new Promise<void>((r) => (resolveReady = r));

export const app = Object.assign(new Emitter(), {
  isPackaged: false,
  enableSandbox: () => void (state.sandboxEnabled = true),
  requestSingleInstanceLock: () => true,
  quit: () => void state.quitCalls++,
  exit: (code = 0) => void (state.exitCode = code),
  whenReady: () => readyPromise,
  getPath: () => state.userData,
  getAppPath: () => state.appPath,
  getVersion: () => '0.0.0-test',
});

export function becomeReady(): void {
  state.ready = true;
  resolveReady();
  app.emit('ready');
}

class FakeWebContents extends Emitter {
  url = '';
  openHandler: Listener | null = null;
  sent: [string, unknown][] = [];
  readonly mainFrame: { parent: null; readonly url: string };
  constructor() {
    super();
    const getUrl = () => this.url;
    this.mainFrame = { parent: null, get url() { return getUrl(); } };
  }
  setWindowOpenHandler(handler: Listener) {
    this.openHandler = handler;
  }
  getURL() {
    return this.url;
  }
  send(channel: string, message: unknown) {
    this.sent.push([channel, message]);
  }
  isDestroyed() {
    return false;
  }
}

export class FakeWindow extends Emitter {
  readonly webContents = new FakeWebContents();
  loaded: string | null = null;
  constructor(readonly options: any) {
    super();
    state.windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  static getAllWindows() {
    return state.windows;
  }
  loadFile(file: string) {
    this.loaded = file;
    this.webContents.url = pathToFileURL(file).href;
    return Promise.resolve();
  }
  loadURL(url: string) {
    this.loaded = url;
    this.webContents.url = url;
    return Promise.resolve();
  }
  isDestroyed() {
    return false;
  }
  isVisible() {
    return true;
  }
  isMinimized() {
    return false;
  }
  show() {}
  focus() {}
  restore() {}
}

export const electronModule = {
  app,
  BrowserWindow: FakeWindow,
  Menu: {
    buildFromTemplate: (template: any[]) => template,
    setApplicationMenu: (menu: any[]) => void (state.menu = menu),
  },
  dialog: {
    showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
    showMessageBox: async (...args: unknown[]) => {
      state.messageBoxes.push(args.at(-1));
      return { response: 0 };
    },
    showErrorBox: (...args: unknown[]) => void state.errorBoxes.push(args),
  },
  ipcMain: {
    handle: (channel: string, handler: Listener) => void state.ipcHandlers.set(channel, handler),
    removeHandler: (channel: string) => void state.ipcHandlers.delete(channel),
  },
  protocol: {
    registerSchemesAsPrivileged: (schemes: unknown) => void state.privileged.push({ schemes, beforeReady: !state.ready }),
    handle: (scheme: string, handler: (r: Request) => Promise<Response>) => void state.protocolHandlers.set(scheme, handler),
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (h: Listener) => void (state.permissionRequest = h),
      setPermissionCheckHandler: (h: Listener) => void (state.permissionCheck = h),
      webRequest: {
        onHeadersReceived: (h: Listener) => void (state.headersReceived = h),
        onBeforeRequest: (_filter: unknown, h: Listener) => void (state.beforeRequest = h),
      },
    },
  },
  shell: { openExternal: async (url: string) => void state.external.push(url) },
};
