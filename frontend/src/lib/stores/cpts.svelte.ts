// My CPTS (GET /cpts) and, on demand, the catalog of every CPTS used to
// invite one into a group.

import { api, ApiError, toApiError } from '../api';
import type { CPTS, CPTSRef } from '../types';

class CptsStore {
  items = $state<CPTS[]>([]);
  loaded = $state(false);
  error = $state<ApiError | null>(null);
  catalog = $state<CPTSRef[]>([]);

  async load(): Promise<void> {
    try {
      const res = await api.get<{ cpts: CPTS[] | null }>('/cpts');
      this.items = res.cpts ?? [];
      this.error = null;
    } catch (err) {
      this.error = toApiError(err);
    } finally {
      this.loaded = true;
    }
  }

  /** Loads the catalog of every CPTS (once per session unless forced). */
  async loadCatalog(force = false): Promise<CPTSRef[]> {
    if (this.catalog.length && !force) return this.catalog;
    const res = await api.get<{ cpts: CPTSRef[] | null }>('/cpts/catalog');
    this.catalog = res.cpts ?? [];
    return this.catalog;
  }

  byId(id: string | undefined): CPTS | undefined {
    return id ? this.items.find((c) => c.id === id) : undefined;
  }

  /** Name of a CPTS from my list or the catalog, or "" when unknown. */
  name(id: string | undefined): string {
    if (!id) return '';
    return this.byId(id)?.name ?? this.catalog.find((c) => c.id === id)?.name ?? '';
  }

  reset(): void {
    this.items = [];
    this.catalog = [];
    this.loaded = false;
    this.error = null;
  }
}

export const cptsStore = new CptsStore();
