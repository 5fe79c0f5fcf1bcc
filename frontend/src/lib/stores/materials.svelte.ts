// Prevention materials: the list of one CPTS (and what is shared with it)
// by theme and campaign, the catalogue of themes and campaigns, and adding
// a material (a link, or a file uploaded first with uploadFile).

import { api } from '../api';
import type { Material, MaterialCatalog, MaterialInput } from '../types';
import { PagedList } from './paged.svelte';

export interface MaterialFilters {
  theme: string;
  campaign: string;
  audience: string;
  current: boolean;
}

const emptyFilters = (): MaterialFilters => ({ theme: '', campaign: '', audience: '', current: false });

class Materials extends PagedList<Material, MaterialFilters> {
  catalog = $state<MaterialCatalog | null>(null);

  constructor() {
    super('/materials', emptyFilters);
  }

  protected params(f: MaterialFilters): Record<string, string> {
    return { theme: f.theme, campaign: f.campaign, audience: f.audience, current: f.current ? 'true' : '' };
  }

  async loadCatalog(): Promise<MaterialCatalog> {
    if (!this.catalog) this.catalog = await api.get<MaterialCatalog>('/materials/catalog');
    return this.catalog;
  }

  async create(input: MaterialInput): Promise<Material> {
    const m = (await api.post<{ material: Material }>('/materials', input)).material;
    await this.load(this.cptsId);
    return m;
  }

  async update(id: string, patch: { title?: string; description?: string; theme?: string }): Promise<Material> {
    const m = (await api.patch<{ material: Material }>(`/materials/${encodeURIComponent(id)}`, patch)).material;
    this.items = this.items.map((x) => (x.id === id ? m : x));
    return m;
  }

  async remove(id: string): Promise<void> {
    await api.delete(`/materials/${encodeURIComponent(id)}`);
    this.items = this.items.filter((x) => x.id !== id);
    this.total = Math.max(0, this.total - 1);
  }
}

export const materials = new Materials();
