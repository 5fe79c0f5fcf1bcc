// My CPTS (GET /cpts), one CPTS on demand, and the catalog of every CPTS
// used to invite one into a group.

import { api, seg } from '../api';
import type { CPTS, CPTSRef } from '../types';
import { ListStore } from './list.svelte';

class CptsStore extends ListStore<CPTS> {
  catalog = $state<CPTSRef[]>([]);

  async load(): Promise<void> {
    await this.fill(async () => (await api.get<{ cpts: CPTS[] | null }>('/cpts')).cpts ?? []);
  }

  /** One CPTS with my role in it and what I may do there (can_manage). */
  async get(id: string): Promise<CPTS> {
    return (await api.get<{ cpts: CPTS }>(`/cpts/${seg(id)}`)).cpts;
  }

  /** Loads the catalog of every CPTS (once per session unless forced). */
  async loadCatalog(force = false): Promise<CPTSRef[]> {
    if (this.catalog.length && !force) return this.catalog;
    const res = await api.get<{ cpts: CPTSRef[] | null }>('/cpts/catalog');
    this.catalog = res.cpts ?? [];
    return this.catalog;
  }

  /** True when I may manage cptsId (its administration page). */
  canManage(cptsId: string): boolean {
    return this.byId(cptsId)?.can_manage ?? false;
  }

  /** Name of a CPTS from my list or the catalog, or "" when unknown. */
  name(id: string | undefined): string {
    if (!id) return '';
    return this.byId(id)?.name ?? this.catalog.find((c) => c.id === id)?.name ?? '';
  }

  reset(): void {
    super.reset();
    this.catalog = [];
  }
}

export const cptsStore = new CptsStore();
