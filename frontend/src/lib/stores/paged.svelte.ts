// What the paged lists of one CPTS (protocols, prevention materials) share:
// the first page for a CPTS and its filters, the pages after it, and a
// generation count so that an answer to an older load is dropped.

import { api, ApiError, query, toApiError } from '../api';

/** One page of a list: its items, the total and the cursor of the next page. */
interface Page<T> {
  items?: T[] | null;
  total: number;
  next?: string;
}

export abstract class PagedList<T, F> {
  cptsId = $state('');
  filters = $state<F>() as F;
  items = $state<T[]>([]);
  total = $state(0);
  next = $state('');
  loading = $state(false);
  error = $state<ApiError | null>(null);
  private generation = 0;
  private readonly path: string;
  private readonly emptyFilters: () => F;

  /** path is the list's GET ("/protocols"), emptyFilters its filters when none is set. */
  constructor(path: string, emptyFilters: () => F) {
    this.path = path;
    this.emptyFilters = emptyFilters;
    this.filters = emptyFilters();
  }

  /** The query parameters of the filters (besides cpts_id and after). */
  protected abstract params(f: F): Record<string, string>;

  private get(after?: string): Promise<Page<T>> {
    return api.get<Page<T>>(`${this.path}${query({ cpts_id: this.cptsId, ...this.params(this.filters), after })}`);
  }

  /** Loads the first page for cptsId (all I see when ""). */
  async load(cptsId: string): Promise<void> {
    if (cptsId !== this.cptsId) this.filters = this.emptyFilters();
    this.cptsId = cptsId;
    const gen = ++this.generation;
    this.loading = true;
    try {
      const page = await this.get();
      if (gen !== this.generation) return;
      this.items = page.items ?? [];
      this.total = page.total;
      this.next = page.next ?? '';
      this.error = null;
    } catch (err) {
      if (gen === this.generation) this.error = toApiError(err);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Re-reads the list on screen (after a live frame), keeping its filters. */
  refresh(): Promise<void> {
    return this.load(this.cptsId);
  }

  async more(): Promise<void> {
    if (!this.next) return;
    const gen = this.generation;
    const page = await this.get(this.next);
    if (gen !== this.generation) return;
    this.items = [...this.items, ...(page.items ?? [])];
    this.next = page.next ?? '';
  }

  resetFilters(): void {
    this.filters = this.emptyFilters();
  }
}
