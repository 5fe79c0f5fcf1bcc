// Threads: the open thread panel (root, replies, follow state), the
// "Fils suivis" list (GET /threads), the "Réponses à mes messages" list
// (GET /replies) and the unread count of each followed thread (GET /unread,
// then live). Messages reach it through messages.onChange, so a reply, an
// edit or a reaction shows in the panel and the lists wherever it came from.

import { api, ApiError, seg, toApiError } from '../api';
import type { FollowedThread, Message, ThreadResponse, ThreadUnread, UnreadResponse } from '../types';
import { Task } from '../task.svelte';
import { mergeBySeq, messages, withReply } from './messages.svelte';
import { onSessionEnd, session } from './session.svelte';

export interface ThreadCount {
  channelId: string;
  unread: number;
  following: boolean;
  /** Last reply seq this tab marked read. */
  readSeq?: number;
}

class OpenThread {
  readonly rootId: string;
  readonly channelId: string;
  root = $state.raw<Message | null>(null);
  replies = $state.raw<Message[]>([]);
  following = $state(false);
  loading = $state(true);
  error = $state<ApiError | null>(null);
  busy = $state(false);

  constructor(channelId: string, rootId: string) {
    this.channelId = channelId;
    this.rootId = rootId;
  }
}

class Threads {
  open = $state<OpenThread | null>(null);
  counts = $state<Record<string, ThreadCount>>({});
  followed = $state.raw<FollowedThread[]>([]);
  /** The reads of the two lists: an error stays shown until a read succeeds. */
  readonly followedRead = new Task();
  replies = $state.raw<Message[]>([]);
  readonly repliesRead = new Task();
  /** True while the open panel is on screen and the tab has focus. */
  reading = $state(false);
  /** Last reply seq sent as read, per thread (not state: no view shows it). */
  private readonly readSent = new Map<string, number>();

  /** Opens the panel of a thread and loads it. */
  async openThread(channelId: string, rootId: string): Promise<void> {
    if (this.open?.rootId === rootId) return;
    const t = new OpenThread(channelId, rootId);
    t.root = messages.existing(channelId)?.byId(rootId) ?? null;
    this.open = t;
    await this.reload(t);
  }

  private async reload(t: OpenThread): Promise<void> {
    t.loading = true;
    try {
      const res = await api.get<ThreadResponse>(`/messages/${seg(t.rootId)}/thread`);
      if (this.open !== t) return;
      t.root = res.root;
      // Replies that came live while the request travelled stay.
      t.replies = mergeBySeq(t.replies, res.replies ?? []);
      t.following = res.following;
      t.error = null;
      const c = this.counts[t.rootId];
      if (c) c.following = res.following;
      else if (res.following) this.counts[t.rootId] = { channelId: t.channelId, unread: 0, following: true };
    } catch (err) {
      if (this.open === t) t.error = toApiError(err);
    } finally {
      if (this.open === t) t.loading = false;
    }
  }

  close(): void {
    this.open = null;
    this.reading = false;
  }

  /** Follows or unfollows the open thread. */
  async toggleFollow(): Promise<void> {
    const t = this.open;
    if (!t || t.busy) return;
    const next = !t.following;
    t.busy = true;
    try {
      if (next) await api.put<void>(`/messages/${seg(t.rootId)}/follow`, {});
      else await api.delete(`/messages/${seg(t.rootId)}/follow`);
      t.following = next;
      t.error = null;
      const c = this.counts[t.rootId];
      if (c) c.following = next;
      else this.counts[t.rootId] = { channelId: t.channelId, unread: 0, following: next };
      if (!next) this.followed = this.followed.filter((f) => f.root.id !== t.rootId);
    } catch (err) {
      t.error = toApiError(err);
    } finally {
      t.busy = false;
    }
  }

  /**
   * Marks the open thread read up to its last reply: the counts at once,
   * the server once per new reply. It writes only what changes, so the
   * panel's effect that calls it does not run again for nothing.
   */
  async markRead(): Promise<void> {
    const t = this.open;
    if (!t || !t.replies.length) return;
    const seq = t.replies[t.replies.length - 1]!.seq;
    const c = this.counts[t.rootId];
    if (c && c.unread !== 0) c.unread = 0;
    if (this.followed.some((f) => f.root.id === t.rootId && f.unread)) {
      this.followed = this.followed.map((f) => (f.root.id === t.rootId && f.unread ? { ...f, unread: 0 } : f));
    }
    if ((this.readSent.get(t.rootId) ?? 0) >= seq) return;
    this.readSent.set(t.rootId, seq);
    try {
      await api.post<void>(`/messages/${seg(t.rootId)}/thread-read`, { seq });
      const again = this.counts[t.rootId];
      if (again) again.readSeq = seq;
    } catch {
      // The count comes back from the server on the next GET /unread.
      if (this.readSent.get(t.rootId) === seq) this.readSent.delete(t.rootId);
    }
  }

  applyUnread(list: readonly ThreadUnread[]): void {
    const next: Record<string, ThreadCount> = {};
    for (const u of list) next[u.thread_id] = { channelId: u.channel_id, unread: u.unread, following: u.following };
    if (this.open && this.reading && next[this.open.rootId]) next[this.open.rootId]!.unread = 0;
    this.counts = next;
  }

  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  /** Re-reads the thread counts (GET /unread) once the replies settle. */
  private refreshCountsSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      api
        .get<UnreadResponse>('/unread')
        .then((res) => {
          if (session.user) this.applyUnread(res.threads ?? []);
        })
        .catch(() => undefined);
    }, 700);
  }

  /** Unread replies in followed threads (the sidebar's "Fils suivis" badge). */
  get totalUnread(): number {
    let n = 0;
    for (const c of Object.values(this.counts)) if (c.following) n += c.unread;
    return n;
  }

  /** Every message the messages store sees. */
  private onMessage(m: Message, known: boolean): void {
    const t = this.open;
    const me = session.user?.id ?? '';
    if (m.thread_id) {
      if (t && t.rootId === m.thread_id) {
        t.replies = mergeBySeq(t.replies, [m]);
        if (!known && t.root) t.root = withReply(t.root, m);
      }
      if (!known) {
        let c = this.counts[m.thread_id];
        // Writing in a thread follows it (server side, even after an
        // unfollow): the panel's button says so at once.
        if (m.author_id === me) {
          if (!c) {
            c = { channelId: m.channel_id, unread: 0, following: true };
            this.counts[m.thread_id] = c;
          } else c.following = true;
          if (t && t.rootId === m.thread_id) t.following = true;
        }
        const readingIt = t?.rootId === m.thread_id && this.reading;
        if (c && c.following && m.author_id !== me && !readingIt) c.unread++;
        // A reply in a thread this tab has no count for: I may follow it
        // without knowing (my own root, a mention); the server knows.
        if (!c && m.author_id !== me) this.refreshCountsSoon();
        this.followed = this.followed.map((f) =>
          f.root.id === m.thread_id
            ? {
                ...f,
                root: withReply(f.root, m),
                reply_count: f.reply_count + 1,
                last_reply_at: m.created_at,
                unread: f.unread + (m.author_id !== me && !readingIt ? 1 : 0),
              }
            : f,
        );
      } else {
        this.replies = this.replies.map((r) => (r.id === m.id ? m : r));
      }
      return;
    }
    // A root (or any top-level message) changed.
    if (t && t.rootId === m.id) t.root = m;
    this.followed = this.followed.map((f) => (f.root.id === m.id ? { ...f, root: m } : f));
  }

  loadFollowed(): Promise<boolean> {
    return this.followedRead.run(async () => {
      this.followed = (await api.get<{ threads: FollowedThread[] | null }>('/threads')).threads ?? [];
    }, true);
  }

  loadReplies(): Promise<boolean> {
    return this.repliesRead.run(async () => {
      this.replies = (await api.get<{ messages: Message[] | null }>('/replies')).messages ?? [];
    }, true);
  }

  /** Access to a channel lost: close its thread, drop its lists' entries. */
  forgetChannel(channelId: string): void {
    if (this.open?.channelId === channelId) this.close();
    this.followed = this.followed.filter((f) => f.root.channel_id !== channelId);
    this.replies = this.replies.filter((r) => r.channel_id !== channelId);
    for (const [id, c] of Object.entries(this.counts)) if (c.channelId === channelId) delete this.counts[id];
  }

  constructor() {
    messages.onChange((m, known) => this.onMessage(m, known));
  }

  reset(): void {
    this.open = null;
    this.counts = {};
    this.followed = [];
    this.replies = [];
    this.followedRead.clear();
    this.repliesRead.clear();
    this.reading = false;
    this.readSent.clear();
    clearTimeout(this.refreshTimer);
  }
}

export const threads = new Threads();

onSessionEnd(() => threads.reset());
