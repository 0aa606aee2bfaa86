// Types for scripts/cli-build.mjs, which bin/sightline.mjs and test/cli-build.test.ts import.
export const CLI_BUILD_DIR: string;
export const EXTERNAL: string[];
export const LAZY: string[];
export function compiledCli(root: string): { file: string; why: string } | { file: null; why: string };
export function staleInput(root: string, inputs: Record<string, [number, number]>): string | null;
export function buildCli(root: string, options?: { log?: (line: string) => void }): Promise<{ dir: string; inputs: number; ms: number }>;
