// A tiny router on the History API. The Go server answers index.html for
// every non-API path, so each route below is also a deep link.

export type Route =
  | { name: 'login' }
  | { name: 'invitation'; token: string }
  | { name: 'passwordSetup'; token: string }
  | { name: 'home' }
  | { name: 'directory' }
  | { name: 'admin'; cptsId: string }
  | { name: 'platform' }
  | { name: 'group'; groupId: string }
  | { name: 'channel'; channelId: string }
  | { name: 'conversation'; conversationId: string }
  | { name: 'threads' }
  | { name: 'replies' }
  | { name: 'profile' }
  | { name: 'feed'; feed: string }
  | { name: 'post'; postId: string }
  | { name: 'library'; cptsId: string }
  | { name: 'protocolNew'; cptsId: string }
  | { name: 'protocol'; protocolId: string }
  | { name: 'prevention'; cptsId: string }
  | { name: 'notFound' };

/** Routes reachable without a session. */
export function isPublic(route: Route): boolean {
  return route.name === 'login' || route.name === 'invitation' || route.name === 'passwordSetup';
}

const patterns: [RegExp, (m: RegExpMatchArray) => Route][] = [
  [/^\/connexion\/?$/, () => ({ name: 'login' })],
  [/^\/invitation\/([^/]+)\/?$/, (m) => ({ name: 'invitation', token: decode(m[1]) })],
  [/^\/mot-de-passe\/([^/]+)\/?$/, (m) => ({ name: 'passwordSetup', token: decode(m[1]) })],
  [/^\/$/, () => ({ name: 'home' })],
  [/^\/annuaire\/?$/, () => ({ name: 'directory' })],
  [/^\/admin\/?$/, () => ({ name: 'platform' })],
  [/^\/cpts\/([^/]+)\/admin\/?$/, (m) => ({ name: 'admin', cptsId: decode(m[1]) })],
  [/^\/groupes\/([^/]+)\/?$/, (m) => ({ name: 'group', groupId: decode(m[1]) })],
  [/^\/canaux\/([^/]+)\/?$/, (m) => ({ name: 'channel', channelId: decode(m[1]) })],
  [/^\/messages\/([^/]+)\/?$/, (m) => ({ name: 'conversation', conversationId: decode(m[1]) })],
  [/^\/fils\/?$/, () => ({ name: 'threads' })],
  [/^\/reponses\/?$/, () => ({ name: 'replies' })],
  [/^\/profil\/?$/, () => ({ name: 'profile' })],
  [/^\/fil\/cpts\/([^/]+)\/?$/, (m) => ({ name: 'feed', feed: `cpts:${decode(m[1])}` })],
  [/^\/fil\/groupes\/([^/]+)\/?$/, (m) => ({ name: 'feed', feed: `group:${decode(m[1])}` })],
  [/^\/publications\/([^/]+)\/?$/, (m) => ({ name: 'post', postId: decode(m[1]) })],
  [/^\/cpts\/([^/]+)\/protocoles\/?$/, (m) => ({ name: 'library', cptsId: decode(m[1]) })],
  [/^\/cpts\/([^/]+)\/protocoles\/nouveau\/?$/, (m) => ({ name: 'protocolNew', cptsId: decode(m[1]) })],
  [/^\/cpts\/([^/]+)\/prevention\/?$/, (m) => ({ name: 'prevention', cptsId: decode(m[1]) })],
  [/^\/protocoles\/([^/]+)\/?$/, (m) => ({ name: 'protocol', protocolId: decode(m[1]) })],
];

function decode(s: string | undefined): string {
  try {
    return decodeURIComponent(s ?? '');
  } catch {
    return '';
  }
}

/** Maps a pathname to its route. */
export function match(path: string): Route {
  for (const [re, build] of patterns) {
    const m = path.match(re);
    if (m) return build(m);
  }
  return { name: 'notFound' };
}

class Router {
  path = $state(window.location.pathname);
  search = $state(window.location.search);
  route: Route = $derived(match(this.path));

  sync(): void {
    this.path = window.location.pathname;
    this.search = window.location.search;
  }

  /** The value of one query parameter of the current URL. */
  param(name: string): string | null {
    return new URLSearchParams(this.search).get(name);
  }
}

export const router = new Router();

window.addEventListener('popstate', () => router.sync());

/**
 * `to` read as a URL of the app's origin, the way the browser reads it (for
 * "/\evil.example/" or "/<TAB>/evil.example/" it goes to evil.example, as
 * for "//evil.example/"): its path, query and hash, or null when it leads to
 * another origin.
 */
function sameOriginPath(to: string): string | null {
  let url: URL;
  try {
    url = new URL(to, window.location.origin);
  } catch {
    return null;
  }
  if (url.origin !== window.location.origin) return null;
  return url.pathname + url.search + url.hash;
}

/**
 * Where to go after logging in, from a ?suite= parameter anyone can write:
 * a page of this origin that the router knows (not the login page itself),
 * else home.
 */
export function safeNext(next: string | null): string {
  const target = next ? sameOriginPath(next) : null;
  if (!target) return '/';
  const route = match(new URL(target, window.location.origin).pathname);
  return route.name === 'notFound' || route.name === 'login' ? '/' : target;
}

/**
 * Goes to an in-app path ("/canaux/…?x=1"), pushing or replacing history.
 * It never leaves the app's origin: `to` may come from a URL parameter, and
 * anything that leads elsewhere goes home instead.
 */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const target = sameOriginPath(to) ?? '/';
  if (target === window.location.pathname + window.location.search + window.location.hash) return;
  if (opts.replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  router.sync();
  window.scrollTo(0, 0);
}

/**
 * Lets plain <a href="/…"> links navigate without a reload. Installed once
 * on the document; modified clicks, new tabs, downloads and other origins
 * keep the browser's behaviour.
 */
export function interceptLinks(): () => void {
  const onClick = (ev: MouseEvent) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element | null)?.closest?.('a');
    if (!a || !(a instanceof HTMLAnchorElement)) return;
    if (a.target && a.target !== '_self') return;
    if (a.hasAttribute('download') || a.getAttribute('rel')?.includes('external')) return;
    const url = new URL(a.href, window.location.href);
    if (url.origin !== window.location.origin) return;
    if (url.pathname.startsWith('/api/') || url.pathname === '/healthz' || url.pathname === '/readyz') return;
    ev.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  };
  document.addEventListener('click', onClick);
  return () => document.removeEventListener('click', onClick);
}
