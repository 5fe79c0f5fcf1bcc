// Direct conversations (1:1 or up to 8 people): GET /conversations, opened
// with POST /conversations. A conversation is a channel of kind "direct":
// its id is a channel id for messages, unread counts and the socket.

import { api, ApiError, seg, toApiError } from '../api';
import type { Conversation, MemberUser, User } from '../types';
import { presence } from './presence.svelte';
import { onSessionEnd, session } from './session.svelte';

/** A conversation holds me and at most 7 others. */
export const maxOthers = 7;

type Participant = User | MemberUser;

class Conversations {
  items = $state<Conversation[]>([]);
  loaded = $state(false);
  error = $state<ApiError | null>(null);

  async load(): Promise<void> {
    try {
      const res = await api.get<{ conversations: Conversation[] | null }>('/conversations');
      this.items = res.conversations ?? [];
      this.error = null;
      // The sidebar shows who is online among the other participants.
      void presence.load(this.items.flatMap((c) => this.others(c).map((p) => p.id)));
    } catch (err) {
      this.error = toApiError(err);
    } finally {
      this.loaded = true;
    }
  }

  byId(id: string): Conversation | undefined {
    return this.items.find((c) => c.id === id);
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

  upsert(c: Conversation): void {
    const i = this.items.findIndex((x) => x.id === c.id);
    if (i >= 0) this.items[i] = c;
    else this.items = [c, ...this.items];
  }

  remove(id: string): void {
    this.items = this.items.filter((c) => c.id !== id);
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

  reset(): void {
    this.items = [];
    this.loaded = false;
    this.error = null;
  }
}

export const conversations = new Conversations();

onSessionEnd(() => conversations.reset());
