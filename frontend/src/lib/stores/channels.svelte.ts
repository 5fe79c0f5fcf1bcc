// The channels I joined plus the public ones I may join (GET /channels).
// The sidebar reads this store; views that change a channel put the
// server's answer back here so the sidebar follows at once.

import { api, ApiError, seg, toApiError } from '../api';
import type { Channel } from '../types';

const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });

export function byName(a: { name: string }, b: { name: string }): number {
  return collator.compare(a.name, b.name);
}

class Channels {
  items = $state<Channel[]>([]);
  loaded = $state(false);
  error = $state<ApiError | null>(null);

  async load(): Promise<void> {
    try {
      const res = await api.get<{ channels: Channel[] | null }>('/channels');
      this.items = (res.channels ?? []).filter((c) => c.kind !== 'direct');
      this.error = null;
    } catch (err) {
      this.error = toApiError(err);
    } finally {
      this.loaded = true;
    }
  }

  /** Joined, non-archived channels of a CPTS, by name. */
  joinedInCpts(cptsId: string): Channel[] {
    return this.items.filter((c) => c.cpts_id === cptsId && c.member && !c.archived).sort(byName);
  }

  /** Joined, non-archived channels of a group, by name. */
  joinedInGroup(groupId: string): Channel[] {
    return this.items.filter((c) => c.group_id === groupId && c.member && !c.archived).sort(byName);
  }

  /** Public channels I may join and have not joined yet. */
  get joinable(): Channel[] {
    return this.items.filter((c) => !c.member && !c.archived && c.visibility === 'public').sort(byName);
  }

  async join(id: string): Promise<Channel> {
    const res = await api.post<{ channel: Channel }>(`/channels/${seg(id)}/join`);
    this.upsert(res.channel);
    return res.channel;
  }

  async leave(id: string): Promise<void> {
    await api.post<void>(`/channels/${seg(id)}/leave`);
    // A private channel vanishes once left; a public one becomes joinable.
    await this.load();
  }

  /** Replaces or adds one channel after a change. */
  upsert(c: Channel): void {
    const i = this.items.findIndex((x) => x.id === c.id);
    if (i >= 0) this.items[i] = c;
    else this.items = [...this.items, c];
  }

  reset(): void {
    this.items = [];
    this.loaded = false;
    this.error = null;
  }
}

export const channels = new Channels();
