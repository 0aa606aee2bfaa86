/**
 * Sandboxed preload: it may only require('electron'), so electron-vite bundles it (CJS) with everything it imports.
 * It exposes `window.sightline` and nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createSightlineApi } from './bridge.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels.js';

const api = createSightlineApi({
  invoke: (name, args) => ipcRenderer.invoke(CALL_CHANNEL, name, args),
  subscribe: (listener) => {
    ipcRenderer.on(EVENT_CHANNEL, (_event, message: unknown) => listener(message));
  },
});

contextBridge.exposeInMainWorld('sightline', api);
