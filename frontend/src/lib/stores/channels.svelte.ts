// The channels I joined plus the public ones I may join (GET /channels),
// and every change to a channel. The sidebar reads this store; each change
// puts the server's answer back here so the sidebar follows at once.

import { api, seg } from '../api';
import type { Channel, ChannelKind, Visibility } from '../types';
import { ListStore } from './list.svelte';

const collator = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });

export function byName(a: { name: string }, b: { name: string }): number {
  return collator.compare(a.name, b.name);
}

/** A new channel lives in a CPTS or in a group. */
export interface NewChannel {
  name: string;
  topic: string;
  visibility: Visibility;
  kind: Exclude<ChannelKind, 'direct'>;
  cpts_id?: string;
  group_id?: string;
}

class Channels extends ListStore<Channel> {
  async load(): Promise<void> {
    await this.fill(async () => {
      const res = await api.get<{ channels: Channel[] | null }>('/channels');
      return (res.channels ?? []).filter((c) => c.kind !== 'direct');
    });
  }

  /** Every channel I see, archived ones included (the administration). */
  async withArchived(): Promise<Channel[]> {
    const res = await api.get<{ channels: Channel[] | null }>('/channels?archived=1');
    return res.channels ?? [];
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

  /** One channel as the server sees it for me now. */
  async get(id: string): Promise<Channel> {
    const res = await api.get<{ channel: Channel }>(`/channels/${seg(id)}`);
    this.upsert(res.channel);
    return res.channel;
  }

  async create(c: NewChannel): Promise<Channel> {
    const res = await api.post<{ channel: Channel }>('/channels', c);
    this.upsert(res.channel);
    return res.channel;
  }

  rename(id: string, name: string): Promise<Channel> {
    return this.patch(id, { name });
  }

  setTopic(id: string, topic: string): Promise<Channel> {
    return this.patch(id, { topic });
  }

  /** Archives a channel (read-only for all) or brings it back. */
  setArchived(id: string, archived: boolean): Promise<Channel> {
    return this.patch(id, { archived });
  }

  /**
   * Makes a channel private (its members alone see it from then on, the
   * caller among them) or public (every member of its CPTS or group may
   * read and join it).
   */
  setVisibility(id: string, visibility: Visibility): Promise<Channel> {
    return this.patch(id, { visibility });
  }

  private async patch(
    id: string,
    change: { name?: string; topic?: string; archived?: boolean; visibility?: Visibility },
  ): Promise<Channel> {
    const res = await api.patch<{ channel: Channel }>(`/channels/${seg(id)}`, change);
    this.upsert(res.channel);
    return res.channel;
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
}

export const channels = new Channels();
