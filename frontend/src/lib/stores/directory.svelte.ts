// The directory (who does what on my territory) with its filters, and the
// reference lists of GET /meta (professions, roles), fetched once.

import { api, ApiError, query, toApiError } from '../api';
import type { DirectoryEntry, Meta } from '../types';

export interface DirectoryFilters {
  profession: string;
  commune: string;
  cpts_id: string;
  q: string;
}

const emptyFilters = (): DirectoryFilters => ({ profession: '', commune: '', cpts_id: '', q: '' });

class Directory {
  filters = $state<DirectoryFilters>(emptyFilters());
  entries = $state<DirectoryEntry[]>([]);
  loading = $state(false);
  error = $state<ApiError | null>(null);
  meta = $state<Meta | null>(null);
  // Answers can arrive out of order while the user types: only the last
  // request may write the results.
  private generation = 0;

  async search(): Promise<void> {
    const gen = ++this.generation;
    this.loading = true;
    try {
      const res = await api.get<{ members: DirectoryEntry[] | null }>(`/directory${query({ ...this.filters })}`);
      if (gen !== this.generation) return;
      this.entries = res.members ?? [];
      this.error = null;
    } catch (err) {
      if (gen !== this.generation) return;
      this.error = toApiError(err);
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Everyone I may reach (my CPTS and groups), without the filters. */
  async everyone(): Promise<DirectoryEntry[]> {
    const res = await api.get<{ members: DirectoryEntry[] | null }>('/directory');
    return res.members ?? [];
  }

  /** Members of one CPTS, without touching the on-screen filters. */
  async ofCpts(cptsId: string): Promise<DirectoryEntry[]> {
    const res = await api.get<{ members: DirectoryEntry[] | null }>(`/directory${query({ cpts_id: cptsId })}`);
    return res.members ?? [];
  }

  async loadMeta(): Promise<Meta> {
    if (this.meta) return this.meta;
    const m = await api.get<Meta>('/meta', { quiet401: true });
    this.meta = {
      professions: m.professions ?? [],
      missions: m.missions ?? [],
      roles: m.roles ?? [],
      max_upload_bytes: m.max_upload_bytes,
      accepted_files: m.accepted_files,
    };
    return this.meta;
  }

  resetFilters(): void {
    this.filters = emptyFilters();
  }

  reset(): void {
    this.filters = emptyFilters();
    this.entries = [];
    this.error = null;
    this.loading = false;
  }
}

export const directory = new Directory();
