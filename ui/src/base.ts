/**
 * Where the app lives: at `/` or under a path prefix such as `/otel`.
 *
 * The server tells it in `<meta name="otelhouse-base-path" content="/otel">` (empty content at the
 * root) when it serves index.html; it also makes the asset URLs absolute under the prefix. A `<base
 * href>` would not do: the CSP's `base-uri 'none'` forbids it. Without the meta tag (`vite` dev
 * server) the app is at the root.
 */

export const BASE_META = 'otelhouse-base-path';

/** A base path as the router wants it: '' at the root, else '/prefix' with no trailing slash. */
export function basenameOf(basePath: string): string {
  const trimmed = basePath.trim().replace(/\/+$/, '');
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** The base path the server gave in the meta tag. */
export function basePath(): string {
  if (typeof document === 'undefined') return '';
  const meta = document.querySelector<HTMLMetaElement>(`meta[name="${BASE_META}"]`);
  return basenameOf(meta?.content ?? '');
}

/** The app's base URL, ending in '/': e.g. `https://host/otel/`. */
export function appBase(origin: string = globalThis.location?.origin ?? 'http://localhost', path = basePath()): string {
  return `${origin}${basenameOf(path)}/`;
}

/** A URL relative to the app's base, e.g. `appUrl('api/me')` → `https://host/otel/api/me`. */
export function appUrl(relative: string, base: string = appBase()): URL {
  return new URL(relative.replace(/^\/+/, ''), base);
}
