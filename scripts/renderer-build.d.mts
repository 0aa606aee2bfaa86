// Types for scripts/renderer-build.mjs, which electron/cli.ts imports.
export function rendererIsStale(root: string): boolean;
export function canBuildRenderer(root: string): boolean;
export function viteBuildCommand(root: string, outDir: string): [string, string[]];
export function ensureRendererBuilt(
  root: string,
  opts?: { log?: (message: string) => void; run?: (command: string, args: string[]) => Promise<number> },
): Promise<'fresh' | 'built' | 'cannot-build' | { failed: number }>;
