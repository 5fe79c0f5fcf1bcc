// Direct conversations (1:1 or up to 8 people): GET /conversations, opened
// with POST /conversations. A conversation is a channel of kind "direct":
// its id is a channel id for messages, unread counts and the socket.

import { api, seg } from '../api';
import type { Conversation, MemberUser, User } from '../types';
import { ListStore } from './list.svelte';
import { presence } from './presence.svelte';
import { onSessionEnd, session } from './session.svelte';

/** A conversation holds me and at most 7 others. */
export const maxOthers = 7;

type Participant = User | MemberUser;

class Conversations extends ListStore<Conversation> {
  protected newFirst = true;

  async load(): Promise<void> {
    const ok = await this.fill(async () => (await api.get<{ conversations: Conversation[] | null }>('/conversations')).conversations ?? []);
    // The sidebar shows who is online among the other participants.
    if (ok) void presence.load(this.items.flatMap((c) => this.others(c).map((p) => p.id)));
  }

  /** Opens (or finds) the conversation with exactly these people. */
  async create(userIds: string[]): Promise<Conversation> {
    const res = await api.post<{ conversation: Conversation }>('/conversations', { user_ids: userIds });
    this.upsert(res.conversation);
    return res.conversation;
  }

  async leave(id: string): Promise<void> {
    await api.post<void>(`/conversations/${seg(id)}/leave`);
    this.remove(id);
  }

  /** The other participants (everyone but me). */
  others(c: Conversation): Participant[] {
    const me = session.user?.id;
    return (c.participants ?? []).filter((p) => p.id !== me);
  }

  /** Display name: the server's, else the others' names. */
  title(c: Conversation): string {
    if (c.name) return c.name;
    return this.others(c)
      .map((p) => p.name)
      .join(', ');
  }
}

export const conversations = new Conversations();

onSessionEnd(() => conversations.reset());
