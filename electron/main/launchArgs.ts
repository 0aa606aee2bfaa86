/** What the command line asks the app to open. Pure, unit-tested. */
import path from 'node:path';

/**
 * The project or folder named on the command line, as an absolute path, or null. `electron .` (a default app)
 * puts the app path before the user's arguments; a packaged app does not. Switches (`--no-sandbox`, macOS's
 * `-psn_…`) are skipped.
 */
export function launchTarget(argv: readonly string[], isDefaultApp: boolean, cwd: string): string | null {
  const args = argv.slice(isDefaultApp ? 2 : 1);
  const target = args.find((a) => a !== '' && !a.startsWith('-'));
  return target === undefined ? null : path.resolve(cwd, target);
}
