// The groups I belong to or may manage (GET /groups).

import { api, ApiError, toApiError } from '../api';
import type { Group } from '../types';

class Groups {
  items = $state<Group[]>([]);
  loaded = $state(false);
  error = $state<ApiError | null>(null);

  async load(): Promise<void> {
    try {
      const res = await api.get<{ groups: Group[] | null }>('/groups');
      this.items = res.groups ?? [];
      this.error = null;
    } catch (err) {
      this.error = toApiError(err);
    } finally {
      this.loaded = true;
    }
  }

  byId(id: string | undefined): Group | undefined {
    return id ? this.items.find((g) => g.id === id) : undefined;
  }

  /** Groups a CPTS owns or participates in. */
  ofCpts(cptsId: string): Group[] {
    return this.items.filter((g) => g.owner_cpts_id === cptsId || (g.cpts_ids ?? []).includes(cptsId));
  }

  /** Replaces or adds one group after a change. */
  upsert(g: Group): void {
    const i = this.items.findIndex((x) => x.id === g.id);
    if (i >= 0) this.items[i] = g;
    else this.items = [...this.items, g];
  }

  reset(): void {
    this.items = [];
    this.loaded = false;
    this.error = null;
  }
}

export const groups = new Groups();
