/**
 * Service colours: each service name hashes to a slot of a palette of mid-tone colours that read on
 * both the light and the dark theme. Red is left out: it means an error. Within one trace two services
 * never share a colour while the palette has free slots (the later name, in sorted order, moves on).
 */

export const PALETTE = [
  '#4e79a7', // blue
  '#f28e2b', // orange
  '#59a14f', // green
  '#b07aa1', // purple
  '#76b7b2', // teal
  '#edc948', // yellow
  '#9c755f', // brown
  '#2f9fd8', // sky
  '#8cd17d', // light green
  '#d37295', // magenta
  '#a0cbe8', // light blue
  '#bab0ac', // grey
] as const;

/** FNV-1a: a small, stable string hash (the same name gets the same colour everywhere). */
export function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function serviceColor(service: string): string {
  return PALETTE[hashName(service) % PALETTE.length] ?? PALETTE[0];
}

/** Colours for the services of one trace: each its hashed slot, or the next free one. */
export function serviceColors(services: Iterable<string>): Map<string, string> {
  const names = [...new Set(services)].sort();
  const taken = new Set<number>();
  const found = new Map<string, string>();
  for (const name of names) {
    let slot = hashName(name) % PALETTE.length;
    if (taken.size < PALETTE.length) {
      while (taken.has(slot)) slot = (slot + 1) % PALETTE.length;
    }
    taken.add(slot);
    found.set(name, PALETTE[slot] ?? PALETTE[0]);
  }
  return found;
}
