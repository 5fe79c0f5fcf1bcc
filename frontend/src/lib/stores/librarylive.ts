// Live changes of the library: the "protocol" and "material" frames (an
// item the user may see changed; they carry its id, no content). The
// views on screen register what to re-read; a burst of frames is
// gathered into one re-read per view.

export type LibraryItem = 'protocol' | 'material';

type Listener = (ids: Set<string>) => void;

const listeners: Record<LibraryItem, Set<Listener>> = { protocol: new Set(), material: new Set() };
const pending: Record<LibraryItem, Set<string>> = { protocol: new Set(), material: new Set() };
const timers: Partial<Record<LibraryItem, ReturnType<typeof setTimeout>>> = {};

/** How long a burst of frames is gathered before the views re-read. */
export const libraryLiveSettleMs = 150;

/** Calls fn with the ids that changed, after each burst; returns the unsubscribe. */
export function onLibraryChange(item: LibraryItem, fn: Listener): () => void {
  listeners[item].add(fn);
  return () => listeners[item].delete(fn);
}

/** A frame arrived (live.svelte.ts). */
export function libraryChanged(item: LibraryItem, id: string): void {
  pending[item].add(id);
  if (timers[item]) return;
  timers[item] = setTimeout(() => {
    timers[item] = undefined;
    const ids = new Set(pending[item]);
    pending[item].clear();
    for (const fn of listeners[item]) fn(ids);
  }, libraryLiveSettleMs);
}
