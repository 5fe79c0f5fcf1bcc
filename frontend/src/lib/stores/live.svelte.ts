// Binds the realtime client to the stores, in one place: which channels the
// socket follows (every joined channel and conversation, plus the one on
// screen), and where each event goes. Views never listen to the socket.

import { feed } from './feed.svelte';
import { home } from './home.svelte';
import { libraryChanged } from './librarylive';
import { api, query, seg } from '../api';
import { fr } from '../i18n/fr';
import { realtime, type ConnectionStatus, type RealtimeEvent } from '../realtime';
import type { MessagePage, UnreadResponse } from '../types';
import { channels } from './channels.svelte';
import { conversations } from './conversations.svelte';
import { messages } from './messages.svelte';
import { presence } from './presence.svelte';
import { onSessionEnd, refreshSpaces, session } from './session.svelte';
import { threads } from './threads.svelte';

/**
 * An access_changed frame is followed this long before the lists are
 * re-read: several often come together, and with several server nodes the
 * one that answers may hear of the change a moment after the socket's.
 */
const accessSettleMs = 300;

class Live {
  status = $state<ConnectionStatus>('connecte');
  /** False until the first connection: the first "connecting" is no "reconnecting". */
  connectedOnce = $state(false);
  /** Channels the server closed for me, with the reason (removed, archived, read_only, private, not_found). */
  revoked = $state<Record<string, string>>({});

  private started = false;
  private stopListening: (() => void) | null = null;
  private wanted = new Set<string>();
  private viewing = new Map<string, number>();
  /** Channels whose since_seq is being looked up. */
  private looking = new Set<string>();
  private accessTimer: ReturnType<typeof setTimeout> | undefined;

  /** Connects once a user is logged in; idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.connectedOnce = false;
    this.revoked = {};
    this.stopListening = realtime.listen((ev) => this.on(ev));
    this.status = realtime.status;
    realtime.start();
    void this.loadUnread().then(() => this.apply());
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    clearTimeout(this.accessTimer);
    this.stopListening?.();
    this.stopListening = null;
    realtime.stop();
    this.wanted.clear();
    this.viewing.clear();
    this.looking.clear();
    this.status = 'connecte';
    this.connectedOnce = false;
  }

  /** The channels to follow: every joined, open channel and conversation. */
  sync(ids: readonly string[]): void {
    this.wanted = new Set(ids);
    this.apply();
  }

  /**
   * Follows a channel while it is on screen (a public channel read before
   * joining). Returns the function that ends it.
   */
  view(channelId: string): () => void {
    this.viewing.set(channelId, (this.viewing.get(channelId) ?? 0) + 1);
    this.apply();
    return () => {
      const n = (this.viewing.get(channelId) ?? 1) - 1;
      if (n > 0) this.viewing.set(channelId, n);
      else this.viewing.delete(channelId);
      this.apply();
    };
  }

  /** Re-reads the unread counts (a tab back in front, a reconnect). */
  async loadUnread(): Promise<void> {
    try {
      void feed.loadUnread();
      const res = await api.get<UnreadResponse>('/unread');
      messages.applyUnread(res.channels ?? []);
      threads.applyUnread(res.threads ?? []);
    } catch {
      // Counts stay live-only until the next try; following does not wait.
      messages.unreadLoaded = true;
    }
  }

  async refreshConversations(): Promise<void> {
    const before = new Set(conversations.items.map((c) => c.id));
    await conversations.load();
    if (conversations.items.some((c) => !before.has(c.id))) void this.loadUnread();
    // A conversation one may write in again is followed again (apply).
    for (const c of conversations.items) {
      if (c.can_post && this.revoked[c.id] === 'read_only') delete this.revoked[c.id];
    }
    this.apply();
  }

  private apply(): void {
    if (!this.started || !messages.unreadLoaded) return;
    const want = new Set([...this.wanted, ...this.viewing.keys()]);
    for (const id of want) {
      // A read-only conversation is not followed live (the server refuses).
      if (realtime.following(id) || this.looking.has(id) || this.revoked[id] === 'read_only') continue;
      const u = messages.unread[id];
      if (u) realtime.follow(id, u.lastSeq);
      else void this.followFromServer(id);
    }
    for (const id of realtime.followed()) if (!want.has(id)) realtime.unfollow(id);
  }

  /** A channel /unread did not list: its last seq comes from the newest page. */
  private async followFromServer(id: string): Promise<void> {
    this.looking.add(id);
    try {
      const res = await api.get<MessagePage>(`/channels/${seg(id)}/messages${query({ limit: '1' })}`);
      messages.noteLastSeq(id, res.last_seq);
      if (this.started && (this.wanted.has(id) || this.viewing.has(id))) realtime.follow(id, res.last_seq);
    } catch {
      // Not readable (or offline): the next apply() tries again.
    } finally {
      this.looking.delete(id);
    }
  }

  private on(ev: RealtimeEvent): void {
    switch (ev.kind) {
      case 'status':
        this.status = ev.status;
        return;
      case 'connected':
        this.connectedOnce = true;
        if (ev.reconnect) {
          // Edits, reactions and reads made meanwhile are not replayed by
          // seq: re-read the counts and the timelines on screen.
          void this.loadUnread();
          for (const id of this.viewing.keys()) void messages.existing(id)?.loadLatest();
          void this.refreshConversations();
          void presence.reload();
        }
        return;
      case 'message':
        presence.stopTyping(ev.channel, ev.message.author_id);
        messages.onMessage(ev.channel, ev.message, ev.known);
        return;
      case 'subscribed':
        messages.noteLastSeq(ev.channel, ev.lastSeq);
        return;
      case 'reset':
        messages.onReset(ev.channel, ev.lastSeq);
        return;
      case 'ack':
        messages.onAck(ev.channel, ev.clientId, ev.seq);
        return;
      case 'send-failed':
        messages.onSendFailed(ev.clientId, ev.message || fr.chat.sendTimeout);
        return;
      case 'typing':
        presence.onTyping(ev.channel, ev.userId);
        return;
      case 'presence':
        presence.set(ev.userId, ev.online);
        return;
      case 'revoked':
        this.revoked[ev.channel] = ev.reason;
        // A read-only conversation stays readable: its can_post changed.
        if (ev.reason === 'read_only') {
          void this.refreshConversations();
        } else if (ev.reason !== 'archived') {
          messages.forget(ev.channel);
          threads.forgetChannel(ev.channel);
          conversations.remove(ev.channel);
        }
        void channels.load();
        return;
      case 'access':
        // Channels, groups and conversations, then their counts; for a
        // coordinator, the members waiting for validation (GET /home: the
        // sidebar badge, the home card, the phone's menu badge).
        clearTimeout(this.accessTimer);
        this.accessTimer = setTimeout(() => {
          if (!this.started) return;
          void refreshSpaces({ me: true });
          void this.refreshConversations();
          void home.load();
        }, accessSettleMs);
        return;
      case 'post':
        feed.onPost(ev.feed, ev.created, ev.post);
        return;
      case 'rsvp-counts':
        feed.onCounts(ev.postId, ev.counts);
        return;
      case 'library':
        libraryChanged(ev.item, ev.id);
        return;
      case 'error':
        return;
      case 'session-closed':
        void session.refresh();
        return;
    }
  }
}

export const live = new Live();

onSessionEnd(() => live.stop());
