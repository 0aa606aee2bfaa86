/** What the Evaluation page may be asked to measure: `auto` lets the core pick from what the run predicted. */
export const EVALUATION_TYPES = ['auto', 'bbox', 'segm', 'keypoints', 'semantic', 'caption', 'text'] as const;
export type EvaluationType = (typeof EVALUATION_TYPES)[number];

const positiveId = (v: string | null): number | undefined => {
  if (v === null || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

function parseEvaluation(query: string): Route {
  const q = new URLSearchParams(query);
  const run = positiveId(q.get('run'));
  const compare = positiveId(q.get('compare'));
  const type = q.get('type');
  return {
    name: 'evaluation',
    ...(run !== undefined ? { run } : {}),
    ...(compare !== undefined ? { compare } : {}),
    ...(type !== null && (EVALUATION_TYPES as readonly string[]).includes(type) && type !== 'auto' ? { type: type as EvaluationType } : {}),
  };
}

/** Hash routes: the hash survives reloads and works from Electron's file/app protocol as well as from the server. */
export type Route =
  | { name: 'home' }
  | { name: 'library' }
  | { name: 'models' }
  | { name: 'image'; id: number }
  /** The Evaluation page; the chosen run, the run it is compared with and the evaluation type ride in the hash. */
  | { name: 'evaluation'; run?: number; compare?: number; type?: EvaluationType }
  /** No hash at all: the app picks home or library once it knows whether a project is open. */
  | { name: 'start' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '') return { name: 'start' };
  if (path === '/library') return { name: 'library' };
  if (path === '/models') return { name: 'models' };
  const evaluation = /^\/evaluation(?:\?(.*))?$/.exec(path);
  if (evaluation) return parseEvaluation(evaluation[1] ?? '');
  const image = /^\/image\/(\d+)$/.exec(path);
  if (image) {
    const id = Number(image[1]);
    if (Number.isSafeInteger(id) && id > 0) return { name: 'image', id };
  }
  return { name: 'home' };
}

export function routeHash(route: Route): string {
  switch (route.name) {
    case 'library':
      return '#/library';
    case 'models':
      return '#/models';
    case 'image':
      return `#/image/${route.id}`;
    case 'evaluation': {
      const q = new URLSearchParams();
      if (route.run !== undefined) q.set('run', String(route.run));
      if (route.compare !== undefined) q.set('compare', String(route.compare));
      if (route.type !== undefined && route.type !== 'auto') q.set('type', route.type);
      const query = q.toString();
      return query ? `#/evaluation?${query}` : '#/evaluation';
    }
    default:
      return '#/';
  }
}

export function navigate(route: Route, replace = false): void {
  const hash = routeHash(route);
  if (replace) window.location.replace(hash);
  else window.location.hash = hash;
}
