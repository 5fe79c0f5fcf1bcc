// The only WebSocket of the app (docs/protocol.md; realtime/frame.go is the
// source of truth for frame names and fields).
//
// Contract with the rest of the app:
// - follow(channel, sinceSeq) keeps a channel subscribed across reconnects;
//   the client remembers, per channel, the seqs it holds and resumes from
//   them, so every message reaches listen() once as a fresh message. A
//   "message_updated" frame (edit, deletion, reaction, new reply count) and
//   a message frame for a seq already held are passed on with known = true:
//   listeners treat them as updates, never as new messages.
// - send() is idempotent by client_id: unacknowledged sends are re-sent
//   after every reconnect with the same client_id (the server de-duplicates)
//   until an ack, an error frame whose ref is that client_id, or a timeout
//   while connected, reported as a 'send-failed' event. A rate_limited
//   error about a send is no failure: that send goes again after the
//   error's retry_after.
// - Nothing here touches the DOM or the stores: views and stores read the
//   events (stores/live.svelte.ts binds them to state in one place).

import { api, query, seg } from './api';
import type { Message, MessagePage, Post, RSVPCounts } from './types';

// ---------------------------------------------------------------- frames

export type ServerFrame =
  | { type: 'message'; channel: string; seq: number; message: Message }
  /** An edited, deleted or reacted message, or a thread root with a new reply (unsequenced). */
  | { type: 'message_updated'; channel: string; message: Message }
  | { type: 'subscribed'; channel: string; last_seq: number }
  | { type: 'ack'; channel: string; client_id: string; seq: number; id: string }
  /** retry_after: with rate_limited, seconds to wait before sending the request again. */
  | { type: 'error'; code: string; message: string; ref?: string; retry_after?: number }
  | { type: 'typing'; channel: string; user_id: string }
  | { type: 'presence'; channel?: string; user_id: string; status: 'online' | 'offline' }
  | { type: 'unsubscribed'; channel: string; reason: 'removed' | 'archived' | 'read_only' | 'private' | string }
  | { type: 'resume'; channel?: string }
  /** What the user may see changed (a conversation opened with them, a channel joined): re-read the lists. */
  | { type: 'access_changed' }
  /** A post of a feed the user reads, published (created) or changed. */
  | { type: 'post'; feed: string; created: boolean; post: Post }
  /** The answer counts of an event changed. */
  | { type: 'rsvp_counts'; post_id: string; counts: RSVPCounts }
  /** A protocol the user may see changed (no content: re-read it). */
  | { type: 'protocol'; id: string; cpts_id: string }
  /** A material the user may see was added, changed or deleted. */
  | { type: 'material'; id: string; cpts_id: string; deleted: boolean }
  | { type: 'pong' };

export type ClientFrame =
  | { type: 'subscribe'; channel: string; since_seq: number }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'send'; channel: string; client_id: string; body: string; thread_id?: string; file_ids?: string[] }
  | { type: 'read'; channel: string; seq: number }
  | { type: 'typing'; channel: string }
  | { type: 'ping' };

export type SendFrame = Extract<ClientFrame, { type: 'send' }>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isDelay = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Parses one JSON line of a server text frame. Anything that does not have
 * the shape of a known frame is null: a newer server may send more types.
 */
export function parseServerFrame(line: string): ServerFrame | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObj(v) || !isStr(v.type)) return null;
  switch (v.type) {
    case 'message':
      return isStr(v.channel) && isSeq(v.seq) && isObj(v.message)
        ? { type: 'message', channel: v.channel, seq: v.seq, message: v.message as unknown as Message }
        : null;
    case 'message_updated':
      return isStr(v.channel) && isObj(v.message) && isSeq(v.message.seq)
        ? { type: 'message_updated', channel: v.channel, message: v.message as unknown as Message }
        : null;
    case 'subscribed':
      return isStr(v.channel) && isSeq(v.last_seq) ? { type: 'subscribed', channel: v.channel, last_seq: v.last_seq } : null;
    case 'ack':
      return isStr(v.channel) && isStr(v.client_id) && isSeq(v.seq) && isStr(v.id)
        ? { type: 'ack', channel: v.channel, client_id: v.client_id, seq: v.seq, id: v.id }
        : null;
    case 'error': {
      if (!isStr(v.code)) return null;
      const ref = isStr(v.ref) && v.ref ? v.ref : undefined;
      const f: ServerFrame = { type: 'error', code: v.code, message: isStr(v.message) ? v.message : '', ref };
      if (isDelay(v.retry_after)) f.retry_after = v.retry_after;
      return f;
    }
    case 'typing':
      return isStr(v.channel) && isStr(v.user_id) ? { type: 'typing', channel: v.channel, user_id: v.user_id } : null;
    case 'presence':
      return isStr(v.user_id) && (v.status === 'online' || v.status === 'offline')
        ? { type: 'presence', channel: isStr(v.channel) && v.channel ? v.channel : undefined, user_id: v.user_id, status: v.status }
        : null;
    case 'unsubscribed':
      return isStr(v.channel) ? { type: 'unsubscribed', channel: v.channel, reason: isStr(v.reason) ? v.reason : '' } : null;
    case 'resume':
      return { type: 'resume', channel: isStr(v.channel) && v.channel ? v.channel : undefined };
    case 'access_changed':
      return { type: 'access_changed' };
    case 'post':
      return isStr(v.feed) && isObj(v.post) && isStr(v.post.id)
        ? { type: 'post', feed: v.feed, created: v.created === true, post: v.post as unknown as Post }
        : null;
    case 'rsvp_counts':
      return isStr(v.post_id) && isObj(v.counts) && isSeq(v.counts.oui) && isSeq(v.counts.non) && isSeq(v.counts.peut_etre)
        ? { type: 'rsvp_counts', post_id: v.post_id, counts: v.counts as unknown as RSVPCounts }
        : null;
    case 'protocol':
      return isStr(v.id) && isStr(v.cpts_id) ? { type: 'protocol', id: v.id, cpts_id: v.cpts_id } : null;
    case 'material':
      return isStr(v.id) && isStr(v.cpts_id) ? { type: 'material', id: v.id, cpts_id: v.cpts_id, deleted: v.deleted === true } : null;
    case 'pong':
      return { type: 'pong' };
  }
  return null;
}

/** Splits a server text frame (newline-separated JSON objects) into frames. */
export function parseBatch(data: string): ServerFrame[] {
  const out: ServerFrame[] = [];
  for (const line of data.split('\n')) {
    if (!line.trim()) continue;
    const f = parseServerFrame(line);
    if (f) out.push(f);
  }
  return out;
}

// ---------------------------------------------------------------- events

/**
 * 'connecte': socket open; 'reconnexion': trying; 'hors-ligne': the browser
 * reports no network; 'trop-de-connexions': the server refused this socket
 * (4029 too_many_connections: the user has too many tabs open), tried again
 * after a long pause.
 */
export type ConnectionStatus = 'connecte' | 'reconnexion' | 'hors-ligne' | 'trop-de-connexions';

export type RealtimeEvent =
  | { kind: 'status'; status: ConnectionStatus }
  /** The socket is open and every followed channel was asked again from its last seq. */
  | { kind: 'connected'; reconnect: boolean }
  | { kind: 'message'; channel: string; seq: number; message: Message; known: boolean }
  | { kind: 'subscribed'; channel: string; lastSeq: number }
  /** The channel's history was reset or skipped: forget what is cached for it. */
  | { kind: 'reset'; channel: string; lastSeq: number }
  | { kind: 'ack'; channel: string; clientId: string; seq: number; id: string }
  | { kind: 'send-failed'; clientId: string; code: string; message: string }
  | { kind: 'typing'; channel: string; userId: string }
  | { kind: 'presence'; channel?: string; userId: string; online: boolean }
  /** The server ended a subscription (removed, archived) or refused it (not_found). */
  | { kind: 'revoked'; channel: string; reason: string }
  | { kind: 'error'; code: string; message: string; ref?: string }
  /** The user's channels or conversations may have changed (access_changed, or a resume of everything). */
  | { kind: 'access' }
  | { kind: 'post'; feed: string; created: boolean; post: Post }
  | { kind: 'rsvp-counts'; postId: string; counts: RSVPCounts }
  /** A protocol or a material of the library changed ("protocol" / "material" frames). */
  | { kind: 'library'; item: 'protocol' | 'material'; id: string; cptsId: string; deleted: boolean }
  /** Close 4001: the session ended; the client stopped for good. */
  | { kind: 'session-closed' };

// ---------------------------------------------------------------- timings

/** Reconnect backoff: from 0.5 s, doubling, capped at 15 s, with jitter. */
export const backoffMinMs = 500;
export const backoffMaxMs = 15_000;
/** After 4029 (abuse of the inbound rate limit) the server wants a long pause. */
const rateLimitedBackoffMs = 60_000;
/** A send without ack this long on an open socket is reported failed. */
export const ackTimeoutMs = 10_000;
/**
 * A send the server did not take (rate_limited, ref = its client_id) goes
 * again after the error's retry_after, or this long when it has none; a
 * retry_after beyond the cap is taken as the cap.
 */
const resendDefaultMs = 1_500;
const resendMaxMs = 60_000;
/**
 * Application pings detect a dead link that the browser would only notice
 * minutes later (Wi-Fi gone without an 'offline' event).
 */
const pingEveryMs = 25_000;
const pongWaitMs = 10_000;
/**
 * While the browser says it is offline the client waits for its 'online'
 * event, probing now and then in case navigator.onLine is wrong.
 */
const offlineProbeMs = 30_000;
/** A connection that lived this long resets the backoff. */
const stableAfterMs = 5_000;
/** Paging through REST after too_far_behind: at most this many pages. */
const maxCatchUpPages = 20;
const catchUpPageSize = 100;

/** Delay before reconnect attempt n (0-based): capped exponential, full jitter on the upper half. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(backoffMaxMs, backoffMinMs * 2 ** Math.min(attempt, 16));
  return Math.round(base / 2 + random() * (base / 2));
}

// ---------------------------------------------------------------- channels

type SubState = 'idle' | 'subscribing' | 'live' | 'paging';

/**
 * What the client holds of one channel: every seq ≤ watermark, plus the
 * seqs in `above`. Messages may arrive out of order (two senders commit in
 * the other order), so a lone high seq does not move the watermark; the
 * resume point is the watermark, and the server's backlog fills the gap.
 */
class ChannelSeqs {
  watermark = 0;
  above = new Set<number>();
  state: SubState = 'idle';
  /** since_seq of the subscribe in flight, to detect a history reset. */
  sinceSent = 0;
  retry = 0;
  retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(since: number) {
    this.watermark = since;
  }

  has(seq: number): boolean {
    return seq <= this.watermark || this.above.has(seq);
  }

  /** Records seq; false when it was already held. */
  add(seq: number): boolean {
    if (this.has(seq)) return false;
    this.above.add(seq);
    this.advance();
    return true;
  }

  /** Everything ≤ seq is held (the backlog up to last_seq was delivered). */
  completeUpTo(seq: number): void {
    if (seq > this.watermark) this.watermark = seq;
    this.advance();
  }

  private advance(): void {
    while (this.above.has(this.watermark + 1)) {
      this.above.delete(this.watermark + 1);
      this.watermark++;
    }
    if (this.above.size) for (const s of this.above) if (s <= this.watermark) this.above.delete(s);
  }

  reset(seq: number): void {
    this.watermark = seq;
    this.above.clear();
  }
}

interface Unacked {
  frame: SendFrame;
  /** When it was last written on an open socket; 0 when not yet. */
  sentAt: number;
}

export interface RealtimeOptions {
  /** Full URL of the socket; default same origin /ws. */
  url?: string;
  /** Page size fetcher for too_far_behind (tests may replace it). */
  fetchAfter?: (channel: string, afterSeq: number, limit: number) => Promise<MessagePage>;
}

type Listener = (ev: RealtimeEvent) => void;

function defaultURL(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}/ws`;
}

function defaultFetchAfter(channel: string, afterSeq: number, limit: number): Promise<MessagePage> {
  return api.get<MessagePage>(
    `/channels/${seg(channel)}/messages${query({ after_seq: String(afterSeq), limit: String(limit) })}`,
  );
}

export class RealtimeClient {
  private readonly url: string;
  private readonly fetchAfter: NonNullable<RealtimeOptions['fetchAfter']>;
  private ws: WebSocket | null = null;
  private running = false;
  private everConnected = false;
  private attempt = 0;
  private openedAt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setInterval> | undefined;
  private readonly channels = new Map<string, ChannelSeqs>();
  private readonly unacked = new Map<string, Unacked>();
  /** Latest read seq per channel not yet written (offline). */
  private readonly pendingReads = new Map<string, number>();
  private readonly listeners = new Set<Listener>();
  private statusValue: ConnectionStatus = 'reconnexion';

  constructor(opts: RealtimeOptions = {}) {
    this.url = opts.url ?? defaultURL();
    this.fetchAfter = opts.fetchAfter ?? defaultFetchAfter;
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** Adds a listener; returns its remover. */
  listen(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Opens the socket and keeps it open until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.ackTimer = setInterval(() => this.checkAcks(), 1_000);
    this.connect();
  }

  /** Closes the socket, forgets every channel and pending send. */
  stop(): void {
    this.running = false;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.ackTimer);
    this.stopPings();
    for (const c of this.channels.values()) clearTimeout(c.retryTimer);
    this.channels.clear();
    this.unacked.clear();
    this.pendingReads.clear();
    this.everConnected = false;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      this.detach(ws);
      ws.close(1000);
    }
  }

  /**
   * Follows a channel from sinceSeq (the highest seq the app holds, or the
   * channel's last seq when it holds nothing yet). Following again keeps
   * what the client already holds when it is ahead.
   */
  follow(channel: string, sinceSeq: number): void {
    let c = this.channels.get(channel);
    if (!c) {
      c = new ChannelSeqs(sinceSeq);
      this.channels.set(channel, c);
    } else if (sinceSeq > c.watermark && c.state !== 'subscribing') {
      c.completeUpTo(sinceSeq);
    }
    if (c.state === 'idle' && this.isOpen()) this.subscribe(channel, c);
  }

  unfollow(channel: string): void {
    const c = this.channels.get(channel);
    if (!c) return;
    clearTimeout(c.retryTimer);
    this.channels.delete(channel);
    this.pendingReads.delete(channel);
    if (this.isOpen()) this.write({ type: 'unsubscribe', channel });
  }

  following(channel: string): boolean {
    return this.channels.has(channel);
  }

  /** Ids of the channels followed now. */
  followed(): string[] {
    return [...this.channels.keys()];
  }

  /** The seq the client would resume channel from. */
  resumeSeq(channel: string): number {
    return this.channels.get(channel)?.watermark ?? 0;
  }

  /**
   * Sends a message. It is written now when the socket is open, else on
   * the next connection; it stays pending until its ack.
   */
  send(frame: SendFrame): void {
    const u: Unacked = { frame, sentAt: 0 };
    this.unacked.set(frame.client_id, u);
    if (this.isOpen() && this.write(frame)) u.sentAt = Date.now();
  }

  /** True while a send with this client_id waits for its ack. */
  isPending(clientId: string): boolean {
    return this.unacked.has(clientId);
  }

  /** Marks channel read up to seq (sent now, or on reconnect). */
  read(channel: string, seq: number): void {
    if (this.isOpen() && this.write({ type: 'read', channel, seq })) {
      this.pendingReads.delete(channel);
      return;
    }
    this.pendingReads.set(channel, Math.max(seq, this.pendingReads.get(channel) ?? 0));
  }

  /** Says the user is typing; dropped when offline (it would be stale). */
  typing(channel: string): void {
    if (this.isOpen()) this.write({ type: 'typing', channel });
  }

  // ------------------------------------------------------------ socket

  private isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  private write(frame: ClientFrame): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private emit(ev: RealtimeEvent): void {
    for (const fn of this.listeners) {
      try {
        fn(ev);
      } catch (err) {
        // One broken listener must not stop the others nor the socket.
        console.error('realtime listener failed', err);
      }
    }
  }

  private setStatus(s: ConnectionStatus): void {
    if (s === this.statusValue) return;
    this.statusValue = s;
    this.emit({ kind: 'status', status: s });
  }

  /** Opens a socket now; while the browser is offline, only when probing. */
  private connect(probe = false): void {
    if (!this.running) return;
    clearTimeout(this.reconnectTimer);
    if (!navigator.onLine && !probe) {
      this.setStatus('hors-ligne');
      this.reconnectTimer = setTimeout(() => this.connect(true), offlineProbeMs);
      return;
    }
    this.setStatus(navigator.onLine ? 'reconnexion' : 'hors-ligne');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.onOpen(ws);
    ws.onmessage = (ev) => {
      if (ws !== this.ws) return;
      if (typeof ev.data !== 'string') return;
      this.onData(ev.data);
    };
    ws.onclose = (ev) => this.onClose(ws, ev.code, ev.reason);
    ws.onerror = () => {
      // onclose follows and decides.
    };
  }

  private detach(ws: WebSocket): void {
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = null;
  }

  private onOpen(ws: WebSocket): void {
    if (ws !== this.ws) return;
    clearTimeout(this.reconnectTimer);
    this.openedAt = Date.now();
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.setStatus('connecte');
    // Subscriptions first, so the backlog of each channel comes before
    // anything this client sends into it.
    for (const [id, c] of this.channels) {
      // A channel paging through REST subscribes when its pages are done.
      if (c.state === 'paging') continue;
      c.state = 'idle';
      clearTimeout(c.retryTimer);
      this.subscribe(id, c);
    }
    for (const [channel, seq] of this.pendingReads) this.write({ type: 'read', channel, seq });
    this.pendingReads.clear();
    const now = Date.now();
    for (const u of this.unacked.values()) if (this.write(u.frame)) u.sentAt = now;
    this.startPings();
    this.emit({ kind: 'connected', reconnect });
  }

  private onClose(ws: WebSocket, code: number, reason = ''): void {
    if (ws !== this.ws) return;
    this.detach(ws);
    this.ws = null;
    this.stopPings();
    for (const c of this.channels.values()) {
      if (c.state !== 'paging') c.state = 'idle';
      clearTimeout(c.retryTimer);
    }
    // Sends written on the dead socket go again on the next one.
    for (const u of this.unacked.values()) u.sentAt = 0;
    if (!this.running) return;
    if (code === 4001) {
      this.running = false;
      clearInterval(this.ackTimer);
      this.setStatus('hors-ligne');
      this.emit({ kind: 'session-closed' });
      return;
    }
    if (this.openedAt && Date.now() - this.openedAt > stableAfterMs) this.attempt = 0;
    this.openedAt = 0;
    if (code === 4008) {
      // Slow consumer: nothing is lost, resume at once.
      this.setStatus('reconnexion');
      this.reconnectTimer = setTimeout(() => this.connect(), Math.round(Math.random() * 250));
      return;
    }
    this.scheduleReconnect(code === 4029 ? rateLimitedBackoffMs : undefined);
    if (code === 4029 && reason === 'too_many_connections') this.setStatus('trop-de-connexions');
  }

  private scheduleReconnect(delay?: number): void {
    if (!this.running) return;
    clearTimeout(this.reconnectTimer);
    // Offline, connect() itself waits for the network (or a probe).
    this.setStatus(navigator.onLine ? 'reconnexion' : 'hors-ligne');
    const wait = delay ?? backoffDelay(this.attempt);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.connect(), wait);
  }

  private readonly onOnline = (): void => {
    if (!this.running) return;
    if (this.ws && this.ws.readyState !== WebSocket.CLOSED) return;
    this.attempt = 0;
    this.connect();
  };

  private readonly onOffline = (): void => {
    if (!this.running) return;
    // The link is gone: do not wait for a timeout to notice. Everything
    // held is resumed by seq once the network returns.
    const ws = this.ws;
    if (ws) {
      this.onClose(ws, 1006);
      try {
        ws.close();
      } catch {
        // already closing
      }
    } else {
      this.setStatus('hors-ligne');
    }
  };

  private startPings(): void {
    this.stopPings();
    this.pingTimer = setInterval(() => {
      if (!this.write({ type: 'ping' })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => {
        // No frame at all since the ping: the link is dead.
        const ws = this.ws;
        if (!ws) return;
        this.onClose(ws, 1006);
        try {
          ws.close();
        } catch {
          // already closing
        }
      }, pongWaitMs);
    }, pingEveryMs);
  }

  private stopPings(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  private checkAcks(): void {
    if (!this.isOpen()) return;
    const now = Date.now();
    for (const [id, u] of this.unacked) {
      if (u.sentAt && now - u.sentAt > ackTimeoutMs) {
        this.unacked.delete(id);
        this.emit({ kind: 'send-failed', clientId: id, code: 'timeout', message: '' });
      }
    }
  }

  // ------------------------------------------------------------ frames

  private subscribe(id: string, c: ChannelSeqs): void {
    c.state = 'subscribing';
    c.sinceSent = c.watermark;
    if (!this.write({ type: 'subscribe', channel: id, since_seq: c.watermark })) c.state = 'idle';
  }

  private onData(data: string): void {
    // Any frame proves the link alive.
    clearTimeout(this.pongTimer);
    for (const f of parseBatch(data)) this.onFrame(f);
  }

  private onFrame(f: ServerFrame): void {
    switch (f.type) {
      case 'message': {
        const c = this.channels.get(f.channel);
        if (!c) return; // unfollowed meanwhile: frames already queued may still arrive
        this.deliver(f.channel, c, f.seq, f.message);
        return;
      }
      case 'message_updated': {
        // A newer copy of a message: never a new one, whatever its seq.
        if (!this.channels.has(f.channel)) return;
        this.emit({ kind: 'message', channel: f.channel, seq: f.message.seq, message: f.message, known: true });
        return;
      }
      case 'subscribed': {
        const c = this.channels.get(f.channel);
        if (!c) return;
        c.retry = 0;
        if (f.last_seq < c.sinceSent) {
          c.reset(f.last_seq);
          c.state = 'live';
          this.emit({ kind: 'reset', channel: f.channel, lastSeq: f.last_seq });
          return;
        }
        c.completeUpTo(f.last_seq);
        c.state = 'live';
        this.emit({ kind: 'subscribed', channel: f.channel, lastSeq: f.last_seq });
        return;
      }
      case 'ack': {
        const id = f.client_id.toLowerCase();
        this.unacked.delete(id);
        this.emit({ kind: 'ack', channel: f.channel, clientId: id, seq: f.seq, id: f.id });
        return;
      }
      case 'error':
        this.onError(f);
        return;
      case 'typing':
        this.emit({ kind: 'typing', channel: f.channel, userId: f.user_id });
        return;
      case 'presence':
        this.emit({ kind: 'presence', channel: f.channel, userId: f.user_id, online: f.status === 'online' });
        return;
      case 'unsubscribed': {
        const c = this.channels.get(f.channel);
        if (c) clearTimeout(c.retryTimer);
        this.channels.delete(f.channel);
        this.pendingReads.delete(f.channel);
        this.emit({ kind: 'revoked', channel: f.channel, reason: f.reason });
        return;
      }
      case 'resume': {
        if (!this.isOpen()) return;
        const targets = f.channel ? [f.channel] : [...this.channels.keys()];
        for (const id of targets) {
          const c = this.channels.get(id);
          if (c && c.state !== 'paging') this.subscribe(id, c);
        }
        // The server may have missed any event, an access_changed too.
        if (!f.channel) this.emit({ kind: 'access' });
        return;
      }
      case 'access_changed':
        this.emit({ kind: 'access' });
        return;
      case 'post':
        this.emit({ kind: 'post', feed: f.feed, created: f.created, post: f.post });
        return;
      case 'rsvp_counts':
        this.emit({ kind: 'rsvp-counts', postId: f.post_id, counts: f.counts });
        return;
      case 'protocol':
        this.emit({ kind: 'library', item: 'protocol', id: f.id, cptsId: f.cpts_id, deleted: false });
        return;
      case 'material':
        this.emit({ kind: 'library', item: 'material', id: f.id, cptsId: f.cpts_id, deleted: f.deleted });
        return;
      case 'pong':
        return;
    }
  }

  private deliver(channel: string, c: ChannelSeqs, seq: number, message: Message): void {
    const fresh = c.add(seq);
    this.emit({ kind: 'message', channel, seq, message, known: !fresh });
  }

  private onError(f: Extract<ServerFrame, { type: 'error' }>): void {
    const ref = f.ref?.toLowerCase();
    if (ref && this.unacked.has(ref)) {
      const u = this.unacked.get(ref);
      if (f.code === 'rate_limited' && u) {
        // Not stored, only deferred: send that one again, same client_id,
        // when the server said. It spreads the retry_after of the sends it
        // refused, so each finds room instead of all coming back together.
        u.sentAt = 0; // waiting is not an ack timeout
        const wait = f.retry_after === undefined ? resendDefaultMs : Math.min(resendMaxMs, Math.ceil(f.retry_after * 1000));
        setTimeout(() => {
          if (this.unacked.get(ref) === u && this.write(u.frame)) u.sentAt = Date.now();
        }, wait);
        return;
      }
      this.unacked.delete(ref);
      this.emit({ kind: 'send-failed', clientId: ref, code: f.code, message: f.message });
      return;
    }
    const c = f.ref ? this.channels.get(f.ref) : undefined;
    if (f.ref && c && c.state === 'subscribing') {
      this.onSubscribeError(f.ref, c, f);
      return;
    }
    this.emit({ kind: 'error', code: f.code, message: f.message, ref: f.ref });
  }

  private onSubscribeError(id: string, c: ChannelSeqs, f: Extract<ServerFrame, { type: 'error' }>): void {
    switch (f.code) {
      case 'too_far_behind':
        void this.catchUp(id, c);
        return;
      case 'not_found':
      case 'forbidden':
      case 'read_only':
      case 'too_many_subscriptions':
        this.channels.delete(id);
        this.emit({ kind: 'revoked', channel: id, reason: f.code });
        return;
      default: {
        // unavailable, internal, rate_limited: the server may accept later.
        c.state = 'idle';
        const wait = backoffDelay(c.retry++);
        clearTimeout(c.retryTimer);
        c.retryTimer = setTimeout(() => {
          if (this.channels.get(id) === c && c.state === 'idle' && this.isOpen()) this.subscribe(id, c);
        }, wait);
      }
    }
  }

  /**
   * The server does not replay that far back: page through REST from the
   * watermark, then subscribe again from where the pages ended. Past
   * maxCatchUpPages the rest is skipped and the channel reset, so a long
   * absence costs a bounded number of requests.
   */
  private async catchUp(id: string, c: ChannelSeqs): Promise<void> {
    c.state = 'paging';
    try {
      for (let page = 0; ; page++) {
        if (this.channels.get(id) !== c) return;
        const res = await this.fetchAfter(id, c.watermark, catchUpPageSize);
        if (this.channels.get(id) !== c) return;
        const msgs = (res.messages ?? []).slice().sort((a, b) => a.seq - b.seq);
        for (const m of msgs) this.deliver(id, c, m.seq, m);
        const highest = msgs.length ? msgs[msgs.length - 1]!.seq : c.watermark;
        // Every seq up to the page's highest came in this page or before:
        // a gap there is a seq that was never stored.
        c.completeUpTo(highest);
        if (msgs.length < catchUpPageSize || highest >= res.last_seq) break;
        if (page + 1 >= maxCatchUpPages) {
          c.reset(res.last_seq);
          this.emit({ kind: 'reset', channel: id, lastSeq: res.last_seq });
          break;
        }
      }
    } catch {
      // Network or server trouble: try again later, without hammering.
      if (this.channels.get(id) !== c) return;
      c.state = 'idle';
      clearTimeout(c.retryTimer);
      c.retryTimer = setTimeout(() => {
        if (this.channels.get(id) === c && c.state === 'idle' && this.isOpen()) this.subscribe(id, c);
      }, backoffDelay(c.retry++));
      return;
    }
    if (this.channels.get(id) !== c) return;
    c.state = 'idle';
    if (this.isOpen()) this.subscribe(id, c);
  }
}

/** The app's one client; it connects only once start() is called (after login). */
export const realtime = new RealtimeClient();
