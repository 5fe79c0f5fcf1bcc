// Messages per channel (and direct conversation): the loaded part of each
// timeline ordered by seq, the optimistic sends waiting for their ack, and
// the unread and mention counts of every channel (GET /unread, then live).
//
// A timeline holds top-level messages and thread replies alike, as REST
// pages and the socket deliver them; views filter. Inserting is by seq and
// idempotent: the same seq from a page, the backlog or the live stream is
// one message, the latest copy winning (an edit, a reaction, a deletion).

import { api, ApiError, query, seg, toApiError } from '../api';
import { realtime } from '../realtime';
import type { Message, MessageEdit, MessagePage, Reaction, Unread } from '../types';
import { onSessionEnd, session } from './session.svelte';

export const pageSize = 50;
/** Longest body the server accepts (docs/api.md). */
export const maxBodyLength = 8000;

export interface PendingMessage {
  client_id: string;
  channel_id: string;
  thread_id?: string;
  body: string;
  /** Uploads attached (POST /files), sent with the message. */
  file_ids?: string[];
  created_at: string;
  /** sending: waiting for the ack; acked: stored, its message frame not here yet; failed: "non envoyé". */
  state: 'sending' | 'acked' | 'failed';
  /** French reason shown on failure (the server's message), may be empty. */
  error: string;
  seq?: number;
}

export interface ChannelUnread {
  lastSeq: number;
  readSeq: number;
  unread: number;
  mentions: number;
}

/** Index of the first message with seq ≥ target (binary search). */
function lowerBound(list: readonly Message[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Merges messages into a seq-ordered list; incoming copies replace held ones. */
export function mergeBySeq(list: readonly Message[], incoming: readonly Message[]): Message[] {
  if (!incoming.length) return list as Message[];
  const out = list.slice();
  for (const m of incoming) {
    const i = lowerBound(out, m.seq);
    if (out[i]?.seq === m.seq) out[i] = m;
    else out.splice(i, 0, m);
  }
  return out;
}

/**
 * Whether I put reaction r. A frame broadcast to a whole channel cannot
 * carry a per-reader "me": user_ids decides when present.
 */
export function reactedByMe(r: Reaction, me: string): boolean {
  return r.user_ids ? r.user_ids.includes(me) : !!r.me;
}

/** A message counts for me when it names me, or @channel from someone else. */
export function mentionsMe(m: Message, me: string): boolean {
  if (!me || m.author_id === me) return false;
  return m.mention_channel || (m.mentions ?? []).includes(me);
}

export class Timeline {
  readonly channelId: string;
  items = $state.raw<Message[]>([]);
  loaded = $state(false);
  loading = $state(false);
  loadingOlder = $state(false);
  hasOlder = $state(false);
  error = $state<ApiError | null>(null);
  /** Lowest seq fetched by pages: the next older page starts below it. */
  private oldestSeq = 0;
  private generation = 0;

  constructor(channelId: string) {
    this.channelId = channelId;
  }

  /** Loads (or reloads) the newest page; live messages already held stay. */
  async loadLatest(): Promise<MessagePage | null> {
    const gen = ++this.generation;
    this.loading = true;
    try {
      const res = await api.get<MessagePage>(`/channels/${seg(this.channelId)}/messages${query({ limit: String(pageSize) })}`);
      if (gen !== this.generation) return null;
      const page = res.messages ?? [];
      const low = page.length ? Math.min(...page.map((m) => m.seq)) : 0;
      // A reload refreshes the newest page and keeps the older pages
      // loaded, unless messages are missing in between (the channel was
      // not followed meanwhile): then the newest page starts afresh.
      const gap = this.loaded && page.length > 0 && low > this.lastSeq + 1;
      if (gap) {
        this.items = [];
        this.loaded = false;
      }
      this.items = mergeBySeq(this.items, page);
      if (!this.loaded) {
        this.oldestSeq = low;
        this.hasOlder = page.length >= pageSize && low > 1;
      }
      this.loaded = true;
      this.error = null;
      messages.noteLastSeq(this.channelId, res.last_seq);
      return res;
    } catch (err) {
      if (gen === this.generation) this.error = toApiError(err);
      return null;
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Loads the page before the oldest loaded message; false when none is left. */
  async loadOlder(): Promise<boolean> {
    if (this.loadingOlder || !this.hasOlder || !this.oldestSeq) return false;
    const gen = this.generation;
    this.loadingOlder = true;
    try {
      const res = await api.get<MessagePage>(
        `/channels/${seg(this.channelId)}/messages${query({ before_seq: String(this.oldestSeq), limit: String(pageSize) })}`,
      );
      if (gen !== this.generation) return false;
      const page = res.messages ?? [];
      this.items = mergeBySeq(this.items, page);
      if (page.length) this.oldestSeq = Math.min(this.oldestSeq, ...page.map((m) => m.seq));
      this.hasOlder = page.length >= pageSize && this.oldestSeq > 1;
      return page.length > 0;
    } catch (err) {
      this.error = toApiError(err);
      return false;
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Inserts or replaces one message. */
  upsert(m: Message): void {
    this.items = mergeBySeq(this.items, [m]);
  }

  /** Applies fn to the message with this id, if loaded. */
  update(id: string, fn: (m: Message) => Message): void {
    const i = this.items.findIndex((m) => m.id === id);
    if (i < 0) return;
    const next = this.items.slice();
    next[i] = fn(next[i]!);
    this.items = next;
  }

  byId(id: string): Message | undefined {
    return this.items.find((m) => m.id === id);
  }

  /** The highest seq loaded (0 when empty). */
  get lastSeq(): number {
    return this.items.length ? this.items[this.items.length - 1]!.seq : 0;
  }

  /** Forgets everything (history reset, access lost). */
  clear(): void {
    this.generation++;
    this.items = [];
    this.loaded = false;
    this.loading = false;
    this.hasOlder = false;
    this.oldestSeq = 0;
    this.error = null;
  }
}

/** A new reply bumps its root's count once, unless the server's copy of the root already has it. */
export function withReply(root: Message, reply: Message): Message {
  if (root.last_reply_at && root.last_reply_at >= reply.created_at) return root;
  return { ...root, reply_count: (root.reply_count ?? 0) + 1, last_reply_at: reply.created_at };
}

class Messages {
  private readonly timelines = new Map<string, Timeline>();
  private readonly hooks = new Set<(m: Message, known: boolean) => void>();
  pending = $state.raw<PendingMessage[]>([]);
  unread = $state<Record<string, ChannelUnread>>({});
  unreadLoaded = $state(false);
  /**
   * The channel the user is reading now (shown, tab visible and focused):
   * its new messages are read, not unread.
   */
  reading = $state<string | null>(null);

  /** The timeline of a channel, created empty on first use. */
  timeline(channelId: string): Timeline {
    let t = this.timelines.get(channelId);
    if (!t) {
      t = new Timeline(channelId);
      this.timelines.set(channelId, t);
    }
    return t;
  }

  /** The timeline if one was ever opened. */
  existing(channelId: string): Timeline | undefined {
    return this.timelines.get(channelId);
  }

  // -------------------------------------------------------------- unread

  unreadOf(channelId: string): ChannelUnread {
    return this.unread[channelId] ?? { lastSeq: 0, readSeq: 0, unread: 0, mentions: 0 };
  }

  /**
   * Applies GET /unread. A channel whose live state is ahead of the answer
   * (messages arrived while it travelled) keeps its live counts.
   */
  applyUnread(list: readonly Unread[]): void {
    const next: Record<string, ChannelUnread> = { ...this.unread };
    for (const u of list) {
      const held = next[u.channel_id];
      if (held && held.lastSeq > u.last_seq) {
        held.readSeq = Math.max(held.readSeq, u.read_seq);
        continue;
      }
      next[u.channel_id] = {
        lastSeq: u.last_seq,
        readSeq: Math.max(u.read_seq, held?.readSeq ?? 0),
        unread: u.unread,
        mentions: u.mentions,
      };
      if (held && held.readSeq >= u.last_seq) {
        next[u.channel_id]!.unread = 0;
        next[u.channel_id]!.mentions = 0;
      }
    }
    this.unread = next;
    this.unreadLoaded = true;
  }

  noteLastSeq(channelId: string, seq: number): void {
    const u = this.unread[channelId];
    if (!u) this.unread[channelId] = { lastSeq: seq, readSeq: 0, unread: 0, mentions: 0 };
    else if (seq > u.lastSeq) u.lastSeq = seq;
  }

  /** Total of unread messages in the given channels (sidebar, title). */
  totalUnread(ids: readonly string[]): number {
    let n = 0;
    for (const id of ids) n += this.unread[id]?.unread ?? 0;
    return n;
  }

  /**
   * Marks channel read up to seq: locally at once, on the server through
   * the socket (queued while offline).
   */
  markRead(channelId: string, seq: number): void {
    const u = this.unread[channelId];
    if (u && u.readSeq >= seq && u.unread === 0 && u.mentions === 0) return;
    if (!u) this.unread[channelId] = { lastSeq: seq, readSeq: seq, unread: 0, mentions: 0 };
    else {
      u.readSeq = Math.max(u.readSeq, seq);
      u.lastSeq = Math.max(u.lastSeq, seq);
      u.unread = 0;
      u.mentions = 0;
    }
    realtime.read(channelId, seq);
  }

  // -------------------------------------------------------------- live

  /**
   * A message frame (or a page of a catch-up). known: the seq was already
   * held, so this is an updated copy and counts nothing.
   */
  onMessage(channelId: string, m: Message, known: boolean): void {
    const me = session.user?.id ?? '';
    if (m.client_id) this.settle(m.client_id);
    this.settleSeq(channelId, m.seq);
    // A timeline being loaded takes live messages too: the page in flight
    // may end before them.
    const t = this.timelines.get(channelId);
    if (t) {
      t.upsert(m);
      if (!known && m.thread_id) t.update(m.thread_id, (root) => withReply(root, m));
    }
    for (const fn of this.hooks) fn(m, known);
    if (known) return;
    let u = this.unread[channelId];
    if (!u) {
      u = { lastSeq: 0, readSeq: 0, unread: 0, mentions: 0 };
      this.unread[channelId] = u;
    }
    if (m.seq > u.lastSeq) u.lastSeq = m.seq;
    if (m.author_id === me || m.seq <= u.readSeq || m.deleted || this.reading === channelId) return;
    // A reply mentioning me counts as a mention of the channel, as on the
    // server; it is no unread message of the channel: as GET /unread says,
    // those are the top-level ones shown below "Nouveaux messages" (a
    // reply counts in its thread when followed, stores/threads).
    if (mentionsMe(m, me)) u.mentions++;
    if (!m.thread_id) u.unread++;
  }

  /** A message changed by a REST answer (edit, reaction, deletion). */
  applyUpdate(m: Message): void {
    this.timelines.get(m.channel_id)?.upsert(m);
    for (const fn of this.hooks) fn(m, true);
  }

  /**
   * Registers fn for every message the store sees (live, catch-up, REST
   * update); known is false only for a message seen for the first time.
   * The thread store keeps its panel and lists current through it.
   */
  onChange(fn: (m: Message, known: boolean) => void): void {
    this.hooks.add(fn);
  }

  /** History reset or skipped: forget the cached timeline. */
  onReset(channelId: string, lastSeq: number): void {
    const t = this.timelines.get(channelId);
    const wasLoaded = t?.loaded ?? false;
    t?.clear();
    const u = this.unread[channelId];
    if (u) {
      u.lastSeq = lastSeq;
      u.readSeq = Math.min(u.readSeq, lastSeq);
    }
    if (t && wasLoaded) void t.loadLatest();
  }

  /** Access lost: drop what was cached. */
  forget(channelId: string): void {
    this.timelines.get(channelId)?.clear();
    this.timelines.delete(channelId);
    delete this.unread[channelId];
    this.pending = this.pending.filter((p) => p.channel_id !== channelId);
  }

  // -------------------------------------------------------------- sending

  /**
   * Sends a message optimistically: shown at once as pending, sent now or
   * when the link returns, confirmed by its ack.
   */
  send(channelId: string, body: string, threadId?: string, fileIds: string[] = []): PendingMessage {
    const p: PendingMessage = {
      client_id: crypto.randomUUID(),
      channel_id: channelId,
      thread_id: threadId || undefined,
      body,
      file_ids: fileIds.length ? fileIds : undefined,
      created_at: new Date().toISOString(),
      state: 'sending',
      error: '',
    };
    this.pending = [...this.pending, p];
    realtime.send({
      type: 'send',
      channel: channelId,
      client_id: p.client_id,
      body,
      ...(threadId ? { thread_id: threadId } : {}),
      ...(p.file_ids ? { file_ids: p.file_ids } : {}),
    });
    return p;
  }

  /** Sends a failed message again with the same client_id: never twice on the server. */
  retry(clientId: string): void {
    const p = this.pending.find((x) => x.client_id === clientId);
    if (!p) return;
    this.setPending(clientId, { state: 'sending', error: '' });
    realtime.send({
      type: 'send',
      channel: p.channel_id,
      client_id: p.client_id,
      body: p.body,
      ...(p.thread_id ? { thread_id: p.thread_id } : {}),
      ...(p.file_ids ? { file_ids: p.file_ids } : {}),
    });
  }

  /** Gives up a failed message (the user's choice). */
  discard(clientId: string): void {
    this.pending = this.pending.filter((p) => p.client_id !== clientId);
  }

  pendingIn(channelId: string, threadId?: string): PendingMessage[] {
    return this.pending.filter((p) => p.channel_id === channelId && (p.thread_id ?? '') === (threadId ?? ''));
  }

  onAck(channelId: string, clientId: string, seq: number): void {
    const t = this.timelines.get(channelId);
    if (!t || t.items.some((m) => m.seq === seq)) {
      this.settle(clientId);
      return;
    }
    // The ack beat its message frame: shown as sent until the frame lands.
    this.setPending(clientId, { state: 'acked', seq, error: '' });
  }

  onSendFailed(clientId: string, message: string): void {
    this.setPending(clientId, { state: 'failed', error: message });
  }

  private settle(clientId: string): void {
    const id = clientId.toLowerCase();
    if (this.pending.some((p) => p.client_id === id)) this.pending = this.pending.filter((p) => p.client_id !== id);
  }

  private settleSeq(channelId: string, seq: number): void {
    if (this.pending.some((p) => p.channel_id === channelId && p.seq === seq)) {
      this.pending = this.pending.filter((p) => !(p.channel_id === channelId && p.seq === seq));
    }
  }

  private setPending(clientId: string, patch: Partial<PendingMessage>): void {
    const id = clientId.toLowerCase();
    if (!this.pending.some((p) => p.client_id === id)) return;
    this.pending = this.pending.map((p) => (p.client_id === id ? { ...p, ...patch } : p));
  }

  // -------------------------------------------------------------- REST edits

  async edit(m: Message, body: string): Promise<Message> {
    const res = await api.patch<{ message: Message }>(`/messages/${seg(m.id)}`, { body });
    this.applyUpdate(res.message);
    return res.message;
  }

  async remove(m: Message): Promise<void> {
    await api.delete(`/messages/${seg(m.id)}`);
    this.applyUpdate({ ...m, body: '', html: '', deleted: true, reactions: [] });
  }

  async toggleReaction(m: Message, emoji: string): Promise<Message> {
    const me = session.user?.id ?? '';
    const mine = (m.reactions ?? []).some((r) => r.emoji === emoji && reactedByMe(r, me));
    const path = `/messages/${seg(m.id)}/reactions/${encodeURIComponent(emoji)}`;
    const res = mine ? await api.delete<{ message: Message }>(path) : await api.put<{ message: Message }>(path, {});
    this.applyUpdate(res.message);
    return res.message;
  }

  /** Earlier versions of an edited message, newest first. */
  async history(m: Message): Promise<MessageEdit[]> {
    const res = await api.get<{ edits: MessageEdit[] | null }>(`/messages/${seg(m.id)}/history`);
    return [...(res.edits ?? [])].sort((a, b) => b.edited_at.localeCompare(a.edited_at));
  }

  reset(): void {
    for (const t of this.timelines.values()) t.clear();
    this.timelines.clear();
    this.pending = [];
    this.unread = {};
    this.unreadLoaded = false;
    this.reading = null;
  }
}

export const messages = new Messages();

onSessionEnd(() => messages.reset());
