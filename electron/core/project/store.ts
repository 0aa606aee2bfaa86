/**
 * A project is one SQLite file (`*.sightline`): WAL, foreign keys on, schema from `migrations/`.
 * `ProjectStore` owns the connection and the repositories over it.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ApiError, type ProjectSummary } from '../../../common/api/contract.js';
import { assertNotNewer, latestVersion, loadMigrations, migrate, type Migration } from './migrate.js';
import { createPrivateFileSync } from '../privateFiles.js';
import { ImagesRepo } from './images.js';
import { ClassesRepo } from './classes.js';
import { AnnotationsRepo } from './annotations.js';
import { EditsRepo } from './edits.js';

/** 'SLPJ': marks the SQLite file as a Sightline project, so another app's database is refused. */
export const APPLICATION_ID = 0x534c504a;
const SQLITE_MAGIC = 'SQLite format 3\0';

export interface OpenOptions {
  /** Create the file when it does not exist. */
  create?: boolean;
  migrations?: Migration[];
  readonly?: boolean;
}

function readMagic(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    return buf.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

function backupPath(file: string, fromVersion: number): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${file}.v${fromVersion}-${stamp}.bak`;
}

export class ProjectStore {
  readonly images: ImagesRepo;
  readonly classes: ClassesRepo;
  readonly annotations: AnnotationsRepo;
  readonly edits: EditsRepo;
  /** The backup written before this open migrated the file, if it did. */
  readonly backupFile: string | null;

  private constructor(
    readonly file: string,
    readonly db: Database.Database,
    backupFile: string | null,
  ) {
    this.backupFile = backupFile;
    this.images = new ImagesRepo(db);
    this.classes = new ClassesRepo(db);
    this.annotations = new AnnotationsRepo(db);
    this.edits = new EditsRepo(db);
  }

  static open(fileArg: string, opts: OpenOptions = {}): ProjectStore {
    const file = path.resolve(fileArg);
    const migrations = opts.migrations ?? loadMigrations();
    const latest = latestVersion(migrations);
    const exists = existsSync(file);
    if (!exists && !opts.create) {
      throw new ApiError('not_found', `Project file ${file} does not exist. Check the path, or create a new project.`, { file });
    }
    if (exists) {
      const st = statSync(file);
      if (st.isDirectory()) {
        throw new ApiError('invalid_file', `${file} is a folder, not a project file. Use "Open folder" to open a folder of images.`, { file });
      }
      if (st.size > 0 && readMagic(file) !== SQLITE_MAGIC) {
        throw new ApiError('invalid_file', `${file} is not a Sightline project (it is not an SQLite database). Choose a .sightline file. The file was not changed.`, { file });
      }
      if (st.size === 0 && !opts.create) {
        throw new ApiError('invalid_file', `${file} is empty (0 bytes), not a Sightline project. Choose a .sightline file.`, { file });
      }
      if (st.size > 0) ProjectStore.inspectReadOnly(file, latest);
    } else if (!existsSync(path.dirname(file))) {
      throw new ApiError('not_found', `Cannot create project ${file}: folder ${path.dirname(file)} does not exist.`, { file });
    }

    let db: Database.Database;
    try {
      // A new project is created 0600 first: SQLite keeps that mode and gives it to the -wal and -shm files.
      if (!exists) createPrivateFileSync(file);
      db = new Database(file, { readonly: opts.readonly ?? false });
    } catch (e) {
      throw new ApiError('io', `Cannot open project ${file}: ${(e as Error).message}. Check the file's permissions.`, { file });
    }
    let backupFile: string | null = null;
    try {
      db.pragma('busy_timeout = 5000');
      if (!opts.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('foreign_keys = ON');
      if (!opts.readonly) {
        const fresh = (db.pragma('user_version', { simple: true }) as number) === 0;
        if (fresh) db.pragma(`application_id = ${APPLICATION_ID}`);
        migrate(db, file, migrations, (from) => {
          backupFile = backupPath(file, from);
          createPrivateFileSync(backupFile); // VACUUM INTO fills an empty file and keeps its mode
          db.prepare('VACUUM INTO ?').run(backupFile);
        });
        if (fresh) {
          db.prepare(`INSERT OR IGNORE INTO project_meta (key, value) VALUES ('created_at', ?), ('name', ?)`).run(
            String(Date.now()),
            path.basename(file).replace(/\.sightline$/i, ''),
          );
        }
      }
    } catch (e) {
      db.close();
      throw e;
    }
    return new ProjectStore(file, db, backupFile);
  }

  /**
   * Checks that need no write: another app's SQLite file, a newer schema. They read the database header
   * (application_id at byte 68, user_version at 60, page count at 28) rather than open a connection, because even a
   * read-only connection to a WAL database leaves -shm/-wal files behind. Nothing is changed on refusal.
   */
  private static inspectReadOnly(file: string, latest: number): void {
    const header = Buffer.alloc(100);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, header, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
    const pageCount = header.readUInt32BE(28);
    const version = header.readUInt32BE(60);
    const appId = header.readUInt32BE(68);
    if (appId !== APPLICATION_ID && (appId !== 0 || pageCount > 1 || version !== 0)) {
      throw new ApiError('invalid_file', `${file} is an SQLite database of another application, not a Sightline project. The file was not changed.`, { file });
    }
    assertNotNewer(file, version, latest);
  }

  get name(): string {
    const row = this.db.prepare(`SELECT value FROM project_meta WHERE key = 'name'`).get() as { value: string } | undefined;
    return row?.value ?? path.basename(this.file).replace(/\.sightline$/i, '');
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  summary(): ProjectSummary {
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    const roots = this.db
      .prepare(`SELECT r.id, r.path, (SELECT count(*) FROM images i WHERE i.root_id = r.id) AS images FROM image_roots r ORDER BY r.id`)
      .all() as { id: number; path: string; images: number }[];
    return {
      path: this.file,
      name: this.name,
      schemaVersion: this.schemaVersion,
      images: count('SELECT count(*) AS n FROM images'),
      missingImages: count('SELECT count(*) AS n FROM images INDEXED BY images_missing WHERE missing = 1'),
      // 0 on a schema before v6 (a store opened with older migrations, as the migration tests do).
      pendingIndex: this.schemaVersion >= 6 ? count('SELECT count(*) AS n FROM images INDEXED BY images_pending WHERE indexed < 2 AND missing = 0') : 0,
      annotations: count('SELECT count(*) AS n FROM annotations'),
      classes: count('SELECT count(*) AS n FROM label_classes'),
      runs: count('SELECT count(*) AS n FROM model_runs'),
      roots: roots.map((r) => ({ ...r, available: isDir(r.path) })),
    };
  }

  close(): void {
    if (this.db.open) {
      // Fold the WAL back so the project is one self-contained file when closed.
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        /* read-only or busy: the WAL is still valid */
      }
      this.db.close();
    }
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
