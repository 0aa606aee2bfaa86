/** Hash routes: the hash survives reloads and works from Electron's file/app protocol as well as from the server. */
export type Route =
  | { name: 'home' }
  | { name: 'library' }
  | { name: 'models' }
  | { name: 'image'; id: number }
  /** No hash at all: the app picks home or library once it knows whether a project is open. */
  | { name: 'start' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '') return { name: 'start' };
  if (path === '/library') return { name: 'library' };
  if (path === '/models') return { name: 'models' };
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
    default:
      return '#/';
  }
}

export function navigate(route: Route, replace = false): void {
  const hash = routeHash(route);
  if (replace) window.location.replace(hash);
  else window.location.hash = hash;
}
