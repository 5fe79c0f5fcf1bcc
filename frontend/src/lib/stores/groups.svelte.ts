// The groups I belong to or may manage (GET /groups), and every change to
// a group.

import { api, seg } from '../api';
import type { Group } from '../types';
import { ListStore } from './list.svelte';

export interface NewGroup {
  name: string;
  description: string;
  cpts_id: string;
  invited_cpts_ids: string[];
}

class Groups extends ListStore<Group> {
  async load(): Promise<void> {
    await this.fill(async () => (await api.get<{ groups: Group[] | null }>('/groups')).groups ?? []);
  }

  /** Groups a CPTS owns or participates in. */
  ofCpts(cptsId: string): Group[] {
    return this.items.filter((g) => g.owner_cpts_id === cptsId || (g.cpts_ids ?? []).includes(cptsId));
  }

  /** One group as the server sees it for me now. */
  async get(id: string): Promise<Group> {
    return this.put(await api.get<{ group: Group }>(`/groups/${seg(id)}`));
  }

  async create(g: NewGroup): Promise<Group> {
    return this.put(await api.post<{ group: Group }>('/groups', g));
  }

  /** Changes the name and description of a group. */
  async edit(id: string, name: string, description: string): Promise<Group> {
    return this.put(await api.patch<{ group: Group }>(`/groups/${seg(id)}`, { name, description }));
  }

  /** Brings another CPTS into the group. */
  async inviteCpts(id: string, cptsId: string): Promise<Group> {
    return this.put(await api.post<{ group: Group }>(`/groups/${seg(id)}/cpts`, { cpts_id: cptsId }));
  }

  private put(res: { group: Group }): Group {
    this.upsert(res.group);
    return res.group;
  }
}

export const groups = new Groups();
