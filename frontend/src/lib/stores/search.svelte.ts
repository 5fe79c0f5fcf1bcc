// The search box: what is typed, the results as they come (debounced,
// the newest answer only), and the error of the last search.

import { api, query, toApiError } from '../api';
import type { SearchHit, SearchRange, SearchResult } from '../types';

/** Delay after the last keystroke before a search runs. */
const debounceMs = 180;
/** The box stops at this many characters (the server refuses longer). */
export const maxQueryLength = 2000;

/** The filters of the controls (query parameters of GET /search); '' is "any". */
export interface SearchFilters {
  cpts: string;
  group: string;
  profession: string;
  mission: string;
  campaign: string;
  status: string;
  /** AAAA-MM-JJ, both days included. */
  from: string;
  to: string;
}

export function noFilters(): SearchFilters {
  return { cpts: '', group: '', profession: '', mission: '', campaign: '', status: '', from: '', to: '' };
}

/** How many filters of the controls are set (the type apart). */
export function countFilters(f: SearchFilters): number {
  return Object.values(f).filter((v) => v !== '').length;
}

class SearchStore {
  text = $state('');
  type = $state('');
  filters = $state<SearchFilters>(noFilters());
  /** The type control shows counts (the filters panel is open): the
   * search then asks for the facet counts, which cost the server a read
   * of every match; the as-you-type list does without. */
  counts = $state(false);
  result = $state.raw<SearchResult | null>(null);
  loading = $state(false);
  error = $state('');
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** Called on every keystroke: searches once typing pauses. */
  input(text: string): void {
    this.text = text;
    clearTimeout(this.timer);
    if (text.trim().length < 2 && !this.anyControl()) {
      this.generation++;
      this.result = null;
      this.error = '';
      this.loading = false;
      return;
    }
    this.loading = true;
    this.timer = setTimeout(() => void this.run(), debounceMs);
  }

  /** Turns the counts on or off; with them on, the current search runs again. */
  showCounts(on: boolean): void {
    if (this.counts === on) return;
    this.counts = on;
    if (on && this.result) this.input(this.text);
  }

  setType(type: string): void {
    this.type = type;
    this.input(this.text);
  }

  /** Sets one filter of the controls and searches again. */
  setFilter(name: keyof SearchFilters, value: string): void {
    this.filters = { ...this.filters, [name]: value };
    this.input(this.text);
  }

  clearFilters(): void {
    this.filters = noFilters();
    this.input(this.text);
  }

  /** Whether a control (type or filter) is set: a search without text. */
  anyControl(): boolean {
    return this.type !== '' || countFilters(this.filters) > 0;
  }

  /** Runs the search for the current text now. */
  async run(): Promise<void> {
    clearTimeout(this.timer);
    const gen = ++this.generation;
    this.loading = true;
    try {
      const res = await api.get<SearchResult>(`/search${query({ q: this.text, type: this.type, ...this.filters, per_page: '30', facets: this.counts ? '1' : '' })}`);
      if (gen !== this.generation) return;
      this.result = res;
      this.error = '';
    } catch (err) {
      if (gen !== this.generation) return;
      this.result = null;
      this.error = toApiError(err).message;
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  clear(): void {
    clearTimeout(this.timer);
    this.generation++;
    this.text = '';
    this.filters = noFilters();
    this.type = '';
    this.result = null;
    this.error = '';
    this.loading = false;
  }
}

export const searchBox = new SearchStore();

/** Hits grouped by type, in the order of the types. */
export function groupHits(hits: readonly SearchHit[]): { type: string; hits: SearchHit[] }[] {
  const order = ['message', 'post', 'protocol', 'material', 'person', 'channel'];
  const groups = new Map<string, SearchHit[]>();
  for (const h of hits) {
    const g = groups.get(h.type) ?? [];
    g.push(h);
    groups.set(h.type, g);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([type, hits]) => ({ type, hits }));
}

/** A text cut into plain and highlighted parts (ranges in code points). */
export function highlightParts(text: string, ranges: readonly SearchRange[] | null | undefined): { text: string; mark: boolean }[] {
  const chars = Array.from(text);
  const parts: { text: string; mark: boolean }[] = [];
  let at = 0;
  for (const r of ranges ?? []) {
    const start = Math.max(at, Math.min(r.start, chars.length));
    const end = Math.max(start, Math.min(r.end, chars.length));
    if (start > at) parts.push({ text: chars.slice(at, start).join(''), mark: false });
    if (end > start) parts.push({ text: chars.slice(start, end).join(''), mark: true });
    at = end;
  }
  if (at < chars.length) parts.push({ text: chars.slice(at).join(''), mark: false });
  return parts;
}

/** Where a hit opens: a message in its channel (or thread) at its seq, a channel, a post, a protocol, a material, a person in the directory. */
export function hitHref(h: SearchHit): string {
  const loc = h.location;
  switch (h.type) {
    case 'message': {
      if (!loc) return '/';
      const base = loc.direct ? `/messages/${encodeURIComponent(loc.channel_id)}` : `/canaux/${encodeURIComponent(loc.channel_id)}`;
      const q = new URLSearchParams();
      if (loc.thread_id) q.set('fil', loc.thread_id);
      q.set('seq', String(loc.seq));
      q.set('message', h.id);
      return `${base}?${q.toString()}`;
    }
    case 'channel':
      return `/canaux/${encodeURIComponent(h.id)}`;
    case 'post':
      return `/publications/${encodeURIComponent(h.id)}`;
    case 'person':
      return `/annuaire?q=${encodeURIComponent(h.title ?? '')}`;
    case 'protocol':
      // The protocol page opens at its current (validated) version.
      return `/protocoles/${encodeURIComponent(h.id)}`;
    case 'material':
      // The prevention page of its CPTS, scrolled to the material.
      return h.cpts_id ? `/cpts/${encodeURIComponent(h.cpts_id)}/prevention#support-${encodeURIComponent(h.id)}` : '/';
    default:
      return '/';
  }
}
