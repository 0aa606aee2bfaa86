/**
 * Schema migrations: numbered SQL files applied in one transaction, tracked by `PRAGMA user_version`.
 * Files are never edited once landed; the runner refuses gaps and databases newer than the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';
import { ApiError } from '../../../common/api/contract.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Where the migrations live: the repo's `migrations/`, or SIGHTLINE_MIGRATIONS_DIR in a packaged app. */
export function defaultMigrationsDir(): string {
  if (process.env.SIGHTLINE_MIGRATIONS_DIR) return process.env.SIGHTLINE_MIGRATIONS_DIR;
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations');
}

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const migrations = files.map((f) => {
    const m = FILE_RE.exec(f);
    if (!m) throw new Error(`Migration file ${path.join(dir, f)} is not named NNNN_name.sql`);
    return { version: Number(m[1]), name: m[2], sql: readFileSync(path.join(dir, f), 'utf8') };
  });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`Migrations in ${dir} are not numbered without gaps: expected ${String(i + 1).padStart(4, '0')}, found ${String(m.version).padStart(4, '0')}_${m.name}.sql`);
    }
  });
  return migrations;
}

export function latestVersion(migrations: Migration[]): number {
  return migrations.length;
}

/** Refuse a project written by a newer Sightline before anything touches the file. */
export function assertNotNewer(file: string, version: number, latest: number): void {
  if (version > latest) {
    throw new ApiError(
      'newer_version',
      `${file} was written by a newer version of Sightline (project schema v${version}; this version reads up to v${latest}). ` +
        'Update Sightline to open it. The file was not changed.',
      { file, version, latest },
    );
  }
}

/**
 * Apply every pending migration in one transaction. `backup` is called first when an existing schema is about
 * to change, so a failed or regretted upgrade can be undone by hand.
 */
export function migrate(db: Database, file: string, migrations: Migration[], backup?: (fromVersion: number) => void): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = latestVersion(migrations);
  assertNotNewer(file, from, latest);
  if (from === latest) return { from, to: from };
  if (from > 0 && backup) backup(from);
  const apply = db.transaction(() => {
    for (const m of migrations.slice(from)) {
      try {
        db.exec(m.sql);
      } catch (e) {
        throw new Error(`Migration ${String(m.version).padStart(4, '0')}_${m.name}.sql failed on ${file}: ${(e as Error).message}`);
      }
    }
    db.pragma(`user_version = ${latest}`);
  });
  apply();
  return { from, to: latest };
}
