// Prevention materials: the list of one CPTS (and what is shared with it)
// by theme and campaign, the catalogue of themes and campaigns, and adding
// a material (a link, or a file uploaded first with uploadFile).

import { api, ApiError, query, toApiError } from '../api';
import type { Material, MaterialCatalog, MaterialInput, MaterialPage } from '../types';

export interface MaterialFilters {
  theme: string;
  campaign: string;
  audience: string;
  current: boolean;
}

const emptyFilters = (): MaterialFilters => ({ theme: '', campaign: '', audience: '', current: false });

class Materials {
  cptsId = $state('');
  filters = $state<MaterialFilters>(emptyFilters());
  items = $state<Material[]>([]);
  total = $state(0);
  next = $state('');
  loading = $state(false);
  error = $state<ApiError | null>(null);
  catalog = $state<MaterialCatalog | null>(null);
  private generation = 0;

  private q(after?: string): string {
    const f = this.filters;
    return query({ cpts_id: this.cptsId, theme: f.theme, campaign: f.campaign, audience: f.audience, current: f.current ? 'true' : '', after });
  }

  async load(cptsId: string): Promise<void> {
    if (cptsId !== this.cptsId) this.filters = emptyFilters();
    this.cptsId = cptsId;
    const gen = ++this.generation;
    this.loading = true;
    try {
      const page = await api.get<MaterialPage>(`/materials${this.q()}`);
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

  /** Re-reads the list on screen (a "material" frame), keeping its filters. */
  refresh(): Promise<void> {
    return this.load(this.cptsId);
  }

  async more(): Promise<void> {
    if (!this.next) return;
    const gen = this.generation;
    const page = await api.get<MaterialPage>(`/materials${this.q(this.next)}`);
    if (gen !== this.generation) return;
    this.items = [...this.items, ...(page.items ?? [])];
    this.next = page.next ?? '';
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
