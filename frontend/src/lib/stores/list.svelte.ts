// What the list stores (channels, groups, CPTS, conversations, the
// invitations of a CPTS) share: the items of one GET, whether it answered,
// its error, and the upsert that puts the server's answer to a change back.

import { ApiError, toApiError } from '../api';

export class ListStore<T extends { id: string }> {
  items = $state<T[]>([]);
  loaded = $state(false);
  error = $state<ApiError | null>(null);

  /** Where upsert puts a new item: lists shown newest first prepend. */
  protected newFirst = false;

  /**
   * Replaces the items with what fetch answers; true when it did. A failed
   * read keeps what was shown, with its error.
   */
  protected async fill(fetch: () => Promise<T[]>): Promise<boolean> {
    this.error = await fetch().then(
      (items) => {
        this.items = items;
        return null;
      },
      (err: unknown) => toApiError(err),
    );
    this.loaded = true;
    return this.error === null;
  }

  byId(id: string | undefined): T | undefined {
    return id ? this.items.find((x) => x.id === id) : undefined;
  }

  /** Replaces or adds one item after a change. */
  upsert(x: T): void {
    const i = this.items.findIndex((y) => y.id === x.id);
    if (i >= 0) this.items[i] = x;
    else this.items = this.newFirst ? [x, ...this.items] : [...this.items, x];
  }

  remove(id: string): void {
    this.items = this.items.filter((x) => x.id !== id);
  }

  reset(): void {
    this.items = [];
    this.loaded = false;
    this.error = null;
  }
}
