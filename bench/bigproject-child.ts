/**
 * Measures one open of the big project in a process of its own, so its memory is this process's alone:
 * `node bin/run-ts.mjs bench/bigproject-child.ts <project file> <app data dir>`; prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { parseCallArgs, type CallName } from '../common/api/contract.js';
import { ProjectStore } from '../electron/core/project/store.js';

const [file, appDataDir] = process.argv.slice(2);
const mib = (bytes: number) => bytes / 2 ** 20;
let peakSampled = 0;
const sample = () => (peakSampled = Math.max(peakSampled, process.memoryUsage.rss()));
// Samples land only between calls (better-sqlite3 blocks the thread while a query runs); maxRSS covers the rest.
const timer = setInterval(sample, 5);

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  sample();
  return { ms, value };
}

interface Core {
  openProject(file: string): Promise<{ images: number; annotations: number }>;
  dispatch(name: string, args: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * AppCore when it loads; otherwise the same calls on ProjectStore (what AppCore's handlers call), so a module of
 * the app that is missing for now does not stop the measurement. The report says which one ran.
 */
async function makeCore(): Promise<{ core: Core; via: string }> {
  try {
    const { AppCore } = await import('../electron/core/app.js');
    return { core: new AppCore({ appDataDir, transport: 'http' }), via: 'AppCore' };
  } catch (e) {
    let store: ProjectStore | null = null;
    const handlers: Record<string, (a: never) => unknown> = {
      'images.list': (a: Parameters<ProjectStore['images']['list']>[0]) => store!.images.list(a),
      'images.neighbors': (a: { id: number; filter: {}; sort: { by: 'path'; dir: 'asc' } }) => store!.images.neighbors(a.id, a.filter, a.sort),
      'projects.summary': () => store!.summary(),
    };
    const core: Core = {
      openProject: async (f) => {
        store = ProjectStore.open(f);
        return store.summary();
      },
      dispatch: async (name, args) => handlers[name](parseCallArgs(name as CallName, args) as never),
      close: async () => store?.close(),
    };
    return { core, via: `ProjectStore (AppCore did not load: ${(e as Error).message.split('\n')[0]})` };
  }
}

const { core, via } = await makeCore();
sample();
const rssBefore = process.memoryUsage.rss();
type Page = { total: number; offset: number; items: { id: number }[]; startCursor?: string | null; endCursor?: string | null };
const open = await timed(() => core.openProject(file));
const first = await timed(() => core.dispatch('images.list', { offset: 0, limit: 200 }) as Promise<Page>);
const half = Math.floor(open.value.images / 2);
const deep = await timed(() => core.dispatch('images.list', { offset: half, limit: 200 }) as Promise<Page>);
// The next page by the deep page's end cursor (a keyset seek), then a jump back to half the depth by offset.
const deepCursor = await timed(() => core.dispatch('images.list', { after: deep.value.endCursor, limit: 200 }) as Promise<Page>);
const jump = await timed(() => core.dispatch('images.list', { offset: Math.floor(half / 2), limit: 200 }) as Promise<Page>);
const filtered = await timed(() => core.dispatch('images.list', { offset: 0, limit: 200, filter: { status: ['review'] } }) as Promise<Page>);
const common = await timed(() => core.dispatch('images.list', { offset: 0, limit: 200, filter: { status: ['new'] } }) as Promise<Page>);
const unlabeled = await timed(() => core.dispatch('images.list', { offset: 0, limit: 200, filter: { labeled: false } }) as Promise<Page>);
const pivot = deep.value.items[100]?.id ?? first.value.items[0].id;
const neighbors = await timed(() => core.dispatch('images.neighbors', { id: pivot }));
// The same image in a list nothing has paged through yet: its position needs the keys sampled from the start.
const neighborsCold = await timed(() => core.dispatch('images.neighbors', { id: pivot, sort: { by: 'size', dir: 'desc' } }));
const summary = await timed(() => core.dispatch('projects.summary', {}));
clearInterval(timer);
const rssAfter = process.memoryUsage.rss();
await core.close();

const pages = [first, deep, deepCursor, jump, filtered, common, unlabeled].map((p) => p.value.items.length);
if (pages.some((n) => n !== 200)) throw new Error(`Pages of 200 expected, got ${pages.join(', ')}`);
if (deepCursor.value.offset !== half + 200) throw new Error(`The page after offset ${half} starts at ${deepCursor.value.offset}, not ${half + 200}`);
let hwm: number | null = null;
try {
  hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;
} catch {
  /* not Linux */
}
console.log(
  JSON.stringify({
    via,
    openMs: open.ms,
    firstPageMs: first.ms,
    deepPageMs: deep.ms,
    deepCursorPageMs: deepCursor.ms,
    jumpPageMs: jump.ms,
    filteredPageMs: filtered.ms,
    commonStatusPageMs: common.ms,
    unlabeledPageMs: unlabeled.ms,
    neighborsMs: neighbors.ms,
    neighborsColdMs: neighborsCold.ms,
    summaryMs: summary.ms,
    images: open.value.images,
    annotations: open.value.annotations,
    filteredTotal: filtered.value.total,
    commonStatusTotal: common.value.total,
    unlabeledTotal: unlabeled.value.total,
    neighbors: neighbors.value,
    rssBeforeMiB: mib(rssBefore),
    rssAfterMiB: mib(rssAfter),
    rssPeakSampledMiB: mib(peakSampled),
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    vmHwmMiB: hwm,
  }),
);
