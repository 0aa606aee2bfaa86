/** Opening things from the menu and the command line, with errors shown to the person rather than thrown. */
import { stat } from 'node:fs/promises';
import { dialog, type BrowserWindow } from 'electron';
import type { AppCore } from '../core/app.js';

export type Opener = Pick<AppCore, 'dispatch' | 'onEvent' | 'openProject' | 'openDemoProject'>;

/** Runs `action`; a failure becomes an error dialog. Returns whether it succeeded. */
export async function reportFailure(win: BrowserWindow | null, what: string, action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof Error && err.name === 'ApiError')) console.error(`[sightline] ${what} failed:`, err);
    const options = { type: 'error' as const, title: 'Sightline', message: `Could not ${what}.`, detail: message };
    // A dialog parented to the still-hidden window at startup would be invisible.
    await (win && !win.isDestroyed() && win.isVisible() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
    return false;
  }
}

/** A folder opens as a folder project; anything else is taken for a project file (the core says if it is not). */
export async function openPath(core: Opener, target: string): Promise<void> {
  const info = await stat(target).catch(() => null);
  if (info?.isDirectory()) await core.dispatch('projects.openFolder', { folder: target });
  else await core.openProject(target);
}
