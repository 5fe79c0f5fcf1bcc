// The feed of each CPTS and group: every API call of the feed lives here
// (views never fetch), with the unread counts of the sidebar and the live
// frames (post, rsvp_counts) applied to the pages on screen.

import { api, query, seg } from '../api';
import type { CalendarFeed, FeedPage, FeedUnread, Post, PostInput, PostPatch, RSVPAnswer, RSVPCounts, RSVPList, RSVPState } from '../types';

/** A feed: "cpts:<id>" or "group:<id>". */
export type FeedKey = string;

export function feedKey(scope: { cpts_id?: string; group_id?: string }): FeedKey {
  return scope.group_id ? `group:${scope.group_id}` : `cpts:${scope.cpts_id ?? ''}`;
}

function scopeQuery(key: FeedKey): Record<string, string> {
  const [kind, id] = key.split(':');
  return kind === 'group' ? { group_id: id ?? '' } : { cpts_id: id ?? '' };
}

/** One feed on screen: its pages, kept up to date by the live frames. */
export class FeedTimeline {
  readonly key: FeedKey;
  pinned = $state<Post[]>([]);
  posts = $state<Post[]>([]);
  next = $state(0);
  canPublish = $state(false);
  loaded = $state(false);

  constructor(key: FeedKey) {
    this.key = key;
  }

  async load(): Promise<void> {
    const page = await api.get<FeedPage>(`/posts${query(scopeQuery(this.key))}`);
    this.pinned = page.pinned;
    this.posts = page.posts;
    this.next = page.next;
    this.canPublish = page.can_publish;
    this.loaded = true;
    feed.markRead(this.key);
  }

  async loadMore(): Promise<void> {
    if (!this.next) return;
    const page = await api.get<FeedPage>(`/posts${query({ ...scopeQuery(this.key), before: String(this.next) })}`);
    const known = new Set(this.posts.map((p) => p.id));
    this.posts = [...this.posts, ...page.posts.filter((p) => !known.has(p.id))];
    this.next = page.next;
  }

  /** A post seen live or returned by an action: inserted, replaced or removed. */
  apply(p: Post, created: boolean): void {
    const keep = (list: Post[]) => list.filter((x) => x.id !== p.id);
    const merge = (old: Post | undefined): Post =>
      old ? { ...p, my_rsvp: old.my_rsvp, can_manage: old.can_manage, can_see_rsvps: old.can_see_rsvps } : p;
    const old = [...this.pinned, ...this.posts].find((x) => x.id === p.id);
    if (p.deleted) {
      this.pinned = keep(this.pinned);
      this.posts = keep(this.posts);
      return;
    }
    if (!old && !created) return; // an older post not on screen
    const next = old ? merge(old) : { ...p, can_manage: this.canPublish, can_see_rsvps: this.canPublish };
    if (next.pinned) {
      this.posts = keep(this.posts);
      this.pinned = old?.pinned ? this.pinned.map((x) => (x.id === p.id ? next : x)) : [next, ...this.pinned];
    } else {
      this.pinned = keep(this.pinned);
      if (old && !old.pinned) this.posts = this.posts.map((x) => (x.id === p.id ? next : x));
      else this.posts = [next, ...keep(this.posts)].sort((a, b) => b.seq - a.seq);
    }
  }

  applyCounts(postId: string, counts: RSVPCounts): void {
    const upd = (x: Post): Post => {
      if (x.id !== postId) return x;
      const cap = x.seats_left !== undefined && x.rsvp ? x.seats_left + x.rsvp.oui : undefined;
      return { ...x, rsvp: counts, seats_left: cap !== undefined ? Math.max(cap - counts.oui, 0) : undefined };
    };
    this.pinned = this.pinned.map(upd);
    this.posts = this.posts.map(upd);
  }
}

class FeedStore {
  /** Unread posts per feed, for the sidebar. */
  unread = $state<Record<FeedKey, number>>({});
  /** The feeds and the single posts on screen, for the live frames. */
  private open = new Map<FeedKey, FeedTimeline>();
  private posts = new Map<string, (p: Post | null, counts?: RSVPCounts) => void>();

  async loadUnread(): Promise<void> {
    try {
      const res = await api.get<{ feeds: FeedUnread[] | null }>('/feeds/unread');
      const out: Record<FeedKey, number> = {};
      for (const f of res.feeds ?? []) out[feedKey(f)] = f.unread;
      this.unread = out;
    } catch {
      // The badges wait for the next try.
    }
  }

  unreadOf(key: FeedKey): number {
    return this.unread[key] ?? 0;
  }

  markRead(key: FeedKey): void {
    if (this.unread[key]) this.unread = { ...this.unread, [key]: 0 };
  }

  /** Follows a feed on screen; returns the function that ends it. */
  timeline(key: FeedKey): [FeedTimeline, () => void] {
    const t = this.open.get(key) ?? new FeedTimeline(key);
    this.open.set(key, t);
    return [t, () => this.open.delete(key)];
  }

  /** Follows one post on screen (its page). */
  watch(id: string, fn: (p: Post | null, counts?: RSVPCounts) => void): () => void {
    this.posts.set(id, fn);
    return () => this.posts.delete(id);
  }

  /** A "post" frame. */
  onPost(key: FeedKey, created: boolean, p: Post): void {
    const t = this.open.get(key);
    if (t) t.apply(p, created);
    else if (created) this.unread = { ...this.unread, [key]: (this.unread[key] ?? 0) + 1 };
    if (t && created) this.markRead(key);
    this.posts.get(p.id)?.(p.deleted ? null : p);
  }

  /** An "rsvp_counts" frame. */
  onCounts(postId: string, counts: RSVPCounts): void {
    for (const t of this.open.values()) t.applyCounts(postId, counts);
    this.posts.get(postId)?.(null, counts);
  }

  get(id: string): Promise<Post> {
    return api.get<{ post: Post }>(`/posts/${seg(id)}`).then((r) => r.post);
  }

  async publish(input: PostInput): Promise<Post> {
    const r = await api.post<{ post: Post }>('/posts', input);
    this.open.get(feedKey(r.post))?.apply(r.post, true);
    return r.post;
  }

  edit(id: string, patch: PostPatch): Promise<Post> {
    return api.patch<{ post: Post }>(`/posts/${seg(id)}`, patch).then((r) => r.post);
  }

  remove(id: string): Promise<void> {
    return api.delete(`/posts/${seg(id)}`);
  }

  async pin(p: Post, on: boolean): Promise<Post> {
    const r = on ? await api.put<{ post: Post }>(`/posts/${seg(p.id)}/pin`, {}) : await api.delete<{ post: Post }>(`/posts/${seg(p.id)}/pin`);
    this.open.get(feedKey(r.post))?.apply(r.post, false);
    return r.post;
  }

  react(p: Post, emoji: string, on: boolean): Promise<Post> {
    const path = `/posts/${seg(p.id)}/reactions/${seg(emoji)}`;
    return (on ? api.put<{ post: Post }>(path, {}) : api.delete<{ post: Post }>(path)).then((r) => r.post);
  }

  rsvp(id: string, answer: RSVPAnswer): Promise<RSVPState> {
    return api.post<RSVPState>(`/posts/${seg(id)}/rsvp`, { answer });
  }

  rsvps(id: string): Promise<RSVPList> {
    return api.get<RSVPList>(`/posts/${seg(id)}/rsvps`);
  }

  /** Download links (the browser fetches them with the session cookie). */
  icsUrl(id: string): string {
    return `/api/v1/posts/${seg(id)}/event.ics`;
  }

  csvUrl(id: string): string {
    return `/api/v1/posts/${seg(id)}/rsvps.csv`;
  }

  calendar(): Promise<CalendarFeed> {
    return api.get<CalendarFeed>('/me/calendar');
  }

  rotateCalendar(): Promise<CalendarFeed> {
    return api.post<CalendarFeed>('/me/calendar');
  }

  revokeCalendar(): Promise<void> {
    return api.delete('/me/calendar');
  }
}

export const feed = new FeedStore();
