/**
 * What Sightline writes for itself (SIGHTLINE_HOME, caches, project files, recent.json, launch pages) is the user's
 * alone: folders 0700, files 0600, whatever the umask. Thumbnails and projects show what is in a person's photos, and
 * a launch page holds a sign-in code, so other users of the machine must not read them.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync, constants as fsc } from 'node:fs';
import { chmod, mkdir, open, type FileHandle } from 'node:fs/promises';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Tightens a folder that already existed, when it is ours (never a folder another user owns). */
function tighten(dir: string): void {
  if (process.platform === 'win32') return;
  const st = statSync(dir);
  if ((st.mode & 0o077) !== 0 && (process.getuid === undefined || st.uid === process.getuid())) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates `dir` (and missing parents) 0700; an existing folder of ours is made 0700. */
export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir);
}

export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir);
}

/**
 * Creates an empty file 0600 if none is there, so that whatever then writes it (SQLite, VACUUM INTO) keeps that mode:
 * SQLite gives its -wal and -shm files the mode of the database file.
 */
export function createPrivateFileSync(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, PRIVATE_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  closeSync(fd);
  // The umask can only take bits away from 0600, but a umask of 0o177 or stranger must not leave it unreadable to us.
  if (process.platform !== 'win32') chmodSync(file, PRIVATE_FILE_MODE);
}

/** Opens a new file for writing, 0600 (for temp files renamed into place). */
export async function openPrivateFileForWriting(file: string): Promise<FileHandle> {
  const handle = await open(file, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, PRIVATE_FILE_MODE);
  if (process.platform !== 'win32') await chmod(file, PRIVATE_FILE_MODE);
  return handle;
}
