// Who is in a CPTS, a group or a channel (GET …/members) and the changes to
// it. A view makes one Roster for the list it shows; the server decides who
// may change it and answers 403 otherwise.

import { api, seg } from '../api';
import type { Channel, Member, Role } from '../types';

export type RosterOf = 'cpts' | 'groups' | 'channels';

export class Roster {
  items = $state<Member[]>([]);
  /** True once the first read answered (or failed). */
  loaded = $state(false);
  private readonly base: string;

  constructor(of: RosterOf, id: string) {
    this.base = `/${of}/${seg(id)}/members`;
  }

  /** Reads the members; a failure is thrown for the view to show. */
  async load(): Promise<void> {
    try {
      const res = await api.get<{ members: Member[] | null }>(this.base);
      this.items = res.members ?? [];
    } finally {
      this.loaded = true;
    }
  }

  /** Adds someone (a private channel's invitation, a group's new member). */
  async add(userId: string): Promise<void> {
    await api.post(this.base, { user_id: userId });
    await this.load();
  }

  async remove(userId: string): Promise<void> {
    await api.delete(`${this.base}/${seg(userId)}`);
    this.items = this.items.filter((m) => m.user.id !== userId);
  }

  /** Turns a pending membership of a CPTS into an active one. */
  async validate(userId: string): Promise<void> {
    this.replace((await api.post<{ member: Member }>(`${this.base}/${seg(userId)}/validate`)).member);
  }

  async setRole(userId: string, role: Role): Promise<void> {
    this.replace((await api.patch<{ member: Member }>(`${this.base}/${seg(userId)}`, { role })).member);
  }

  has(userId: string): boolean {
    return this.items.some((m) => m.user.id === userId);
  }

  private replace(m: Member): void {
    this.items = this.items.map((x) => (x.user.id === m.user.id ? m : x));
  }
}

/**
 * People who may be invited into a private channel: the active members of
 * its CPTS or group.
 */
export async function candidatesFor(c: Channel): Promise<Member[]> {
  const from = c.cpts_id ? new Roster('cpts', c.cpts_id) : c.group_id ? new Roster('groups', c.group_id) : null;
  if (!from) return [];
  await from.load();
  return from.items.filter((m) => m.status !== 'pending');
}
