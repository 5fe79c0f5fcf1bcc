// Unit tests of src/lib/realtime.ts: frame parsing, backoff, and the
// client's contract (resume by seq, no duplicate, optimistic sends by
// client_id, catch-up through REST, revocation, close codes, offline)
// against a scripted in-memory WebSocket. Timers are node's mock timers:
// nothing sleeps.

import assert from 'node:assert/strict';
import { after, before, beforeEach, afterEach, describe, mock, test } from 'node:test';
import { bundle } from './bundle.mjs';

// ------------------------------------------------------------ browser stand-ins

class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  /** Every socket the client opened, in order. */
  static all = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    this.sent = [];
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this.onerror = null;
    FakeWebSocket.all.push(this);
  }

  send(data) {
    if (this.readyState !== FakeWebSocket.OPEN) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000) {
    if (this.readyState === FakeWebSocket.CLOSED) return;
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code });
  }

  // Test side: what the server would do.
  accept() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.({});
  }

  /** One text frame holding these frames, newline-separated (the server's batch format). */
  receive(...frames) {
    this.onmessage?.({ data: frames.map((f) => (typeof f === 'string' ? f : JSON.stringify(f))).join('\n') });
  }

  drop(code = 1006, reason = '') {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code, reason });
  }

  sentOf(type) {
    return this.sent.filter((f) => f.type === type);
  }
}

const win = new EventTarget();
win.location = { protocol: 'http:', host: 'ecpts.test', origin: 'http://ecpts.test' };
const nav = { onLine: true };

let mod;
let cleanup;

before(async () => {
  globalThis.window = win;
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  globalThis.WebSocket = FakeWebSocket;
  ({ mod, cleanup } = await bundle('lib/realtime.ts'));
});

after(async () => {
  await cleanup?.();
});

// ------------------------------------------------------------ helpers

const CH = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const CH2 = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const UUID2 = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

const msg = (seq, extra = {}) => ({
  id: `${CH}-${String(seq).padStart(10, '0')}`,
  channel_id: CH,
  seq,
  author_id: 'u1',
  body: `m${seq}`,
  html: `<p>m${seq}</p>`,
  created_at: new Date(0).toISOString(),
  deleted: false,
  reply_count: 0,
  reactions: [],
  mentions: [],
  mention_channel: false,
  client_id: '',
  ...extra,
});
const frame = (seq, channel = CH, extra = {}) => ({ type: 'message', channel, seq, message: msg(seq, extra) });
const last = () => FakeWebSocket.all[FakeWebSocket.all.length - 1];

/** Clients started by the current test, stopped after it even when it fails. */
let started = [];

/** A started client, its events, and its first socket (not yet accepted). */
function startClient(opts = {}) {
  const client = new mod.RealtimeClient({ url: 'ws://ecpts.test/ws', ...opts });
  started.push(client);
  const events = [];
  client.listen((ev) => events.push(ev));
  client.start();
  return { client, events, ws: last() };
}

const ofKind = (events, kind) => events.filter((e) => e.kind === kind);

describe('frames', () => {
  test('a text frame holds several newline-separated frames; junk and unknown types are skipped', () => {
    const out = mod.parseBatch(
      [
        JSON.stringify({ type: 'subscribed', channel: CH, last_seq: 4 }),
        '{not json',
        JSON.stringify({ type: 'brand_new_type', x: 1 }),
        JSON.stringify({ type: 'message', channel: CH, seq: 5 }), // no message object
        JSON.stringify(frame(6)),
        '',
        JSON.stringify({ type: 'ack', channel: CH, client_id: UUID, seq: 6, id: 'x' }),
      ].join('\n'),
    );
    assert.deepEqual(
      out.map((f) => f.type),
      ['subscribed', 'message', 'ack'],
    );
    assert.equal(out[1].seq, 6);
  });

  test('error frames keep their code, message and ref', () => {
    const f = mod.parseServerFrame(JSON.stringify({ type: 'error', code: 'forbidden', message: 'Non.', ref: UUID }));
    assert.deepEqual(f, { type: 'error', code: 'forbidden', message: 'Non.', ref: UUID });
  });

  test('backoff starts at 0.5 s, doubles and stays under 15 s, with jitter on the upper half', () => {
    assert.equal(mod.backoffDelay(0, () => 0), 250);
    assert.equal(mod.backoffDelay(0, () => 1), 500);
    assert.equal(mod.backoffDelay(1, () => 1), 1000);
    assert.equal(mod.backoffDelay(3, () => 1), 4000);
    for (let n = 0; n < 40; n++) {
      const d = mod.backoffDelay(n);
      assert.ok(d >= 250 && d <= 15_000, `attempt ${n}: ${d} ms`);
    }
    assert.equal(mod.backoffDelay(30, () => 1), 15_000);
    assert.equal(mod.backoffDelay(30, () => 0), 7_500);
  });
});

describe('client', () => {
  beforeEach(() => {
    FakeWebSocket.all = [];
    nav.onLine = true;
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  });
  afterEach(() => {
    for (const c of started) c.stop();
    started = [];
    mock.timers.reset();
  });

  test('subscribes every followed channel from its seq once open, reports the status', () => {
    const { client, events, ws } = startClient();
    assert.equal(ws.url, 'ws://ecpts.test/ws');
    client.follow(CH, 41);
    client.follow(CH2, 0);
    assert.equal(ws.sent.length, 0, 'nothing is written before the socket opens');
    ws.accept();
    assert.deepEqual(ws.sentOf('subscribe'), [
      { type: 'subscribe', channel: CH, since_seq: 41 },
      { type: 'subscribe', channel: CH2, since_seq: 0 },
    ]);
    assert.equal(client.status, 'connecte');
    assert.deepEqual(ofKind(events, 'connected'), [{ kind: 'connected', reconnect: false }]);
    client.stop();
  });

  test('messages out of order are each new once; a repeat is known; resume goes from the highest seq without gap', () => {
    const { client, events, ws } = startClient();
    client.follow(CH, 4);
    ws.accept();
    ws.receive({ type: 'subscribed', channel: CH, last_seq: 4 });
    ws.receive(frame(5), frame(7)); // 6 committed later
    assert.equal(client.resumeSeq(CH), 5, 'a lone 7 does not move the resume point past the missing 6');
    ws.receive(frame(6));
    ws.receive(frame(6)); // a duplicate
    const got = ofKind(events, 'message').map((e) => [e.seq, e.known]);
    assert.deepEqual(got, [
      [5, false],
      [7, false],
      [6, false],
      [6, true],
    ]);
    assert.equal(client.resumeSeq(CH), 7);

    // The link drops: the next socket subscribes from 7 and the backlog
    // replays only what is missing.
    ws.drop();
    assert.equal(client.status, 'reconnexion');
    mock.timers.tick(600); // first retry is at most 0.5 s away
    const ws2 = last();
    assert.notEqual(ws2, ws, 'a new socket');
    ws2.accept();
    assert.deepEqual(ws2.sentOf('subscribe'), [{ type: 'subscribe', channel: CH, since_seq: 7 }]);
    ws2.receive(frame(7), frame(8), { type: 'subscribed', channel: CH, last_seq: 8 });
    const fresh = ofKind(events, 'message').filter((e) => !e.known).map((e) => e.seq);
    assert.deepEqual(fresh, [5, 7, 6, 8], 'every seq reported new exactly once');
    assert.deepEqual(ofKind(events, 'connected').at(-1), { kind: 'connected', reconnect: true });
    client.stop();
  });

  test('subscribed.last_seq completes the seqs held; a lower one is a history reset', () => {
    const { client, events, ws } = startClient();
    client.follow(CH, 3);
    ws.accept();
    ws.receive({ type: 'subscribed', channel: CH, last_seq: 9 });
    assert.equal(client.resumeSeq(CH), 9);
    ws.receive({ type: 'resume' });
    assert.deepEqual(ws.sentOf('subscribe').at(-1), { type: 'subscribe', channel: CH, since_seq: 9 }, 'resume re-subscribes from the last seq');
    ws.receive({ type: 'subscribed', channel: CH, last_seq: 2 });
    assert.deepEqual(ofKind(events, 'reset'), [{ kind: 'reset', channel: CH, lastSeq: 2 }]);
    assert.equal(client.resumeSeq(CH), 2);
    ws.receive(frame(3));
    assert.equal(ofKind(events, 'message').at(-1).known, false, 'after a reset, seq 3 is new again');
    client.stop();
  });

  test('access_changed, and a resume of every channel, ask the app to re-read its lists', () => {
    const { client, events, ws } = startClient();
    client.follow(CH, 0);
    ws.accept();
    ws.receive({ type: 'resume', channel: CH });
    assert.equal(ofKind(events, 'access').length, 0, 'a resume of one channel changes no list');
    ws.receive({ type: 'access_changed' });
    assert.equal(ofKind(events, 'access').length, 1);
    ws.receive({ type: 'resume' });
    assert.equal(ofKind(events, 'access').length, 2, 'after a resume of everything, an access change may have been missed');
    client.stop();
  });

  test('protocol and material frames become library events; malformed ones are skipped', () => {
    const { client, events, ws } = startClient();
    ws.accept();
    ws.receive({ type: 'protocol', id: 'p1', cpts_id: 'c1' });
    ws.receive({ type: 'material', id: 'm1', cpts_id: 'c1', deleted: true });
    ws.receive({ type: 'protocol', cpts_id: 'c1' }); // no id
    ws.receive({ type: 'material', id: 7, cpts_id: 'c1' });
    assert.deepEqual(ofKind(events, 'library'), [
      { kind: 'library', item: 'protocol', id: 'p1', cptsId: 'c1', deleted: false },
      { kind: 'library', item: 'material', id: 'm1', cptsId: 'c1', deleted: true },
    ]);
    client.stop();
  });

  test('message_updated is always an update, never a new message', () => {
    const { client, events, ws } = startClient();
    client.follow(CH, 0);
    ws.accept();
    ws.receive({ type: 'message_updated', channel: CH, message: msg(12, { edited_at: new Date(0).toISOString() }) });
    assert.deepEqual(
      ofKind(events, 'message').map((e) => [e.seq, e.known]),
      [[12, true]],
    );
    assert.equal(client.resumeSeq(CH), 0, 'an update does not move the resume point');
    client.stop();
  });

  test('a send written offline goes out after the subscriptions, again after a drop, and stops at its ack', () => {
    const { client, events, ws } = startClient();
    client.follow(CH, 10);
    client.send({ type: 'send', channel: CH, client_id: UUID, body: 'Bonjour' });
    ws.accept();
    assert.deepEqual(
      ws.sent.map((f) => f.type),
      ['subscribe', 'send'],
      'the backlog is asked for before anything is sent into the channel',
    );
    ws.drop();
    mock.timers.tick(600);
    const ws2 = last();
    ws2.accept();
    assert.deepEqual(ws2.sentOf('send'), [{ type: 'send', channel: CH, client_id: UUID, body: 'Bonjour' }], 'the same client_id again');
    ws2.receive({ type: 'ack', channel: CH, client_id: UUID.toUpperCase(), seq: 11, id: `${CH}-0000000011` });
    assert.deepEqual(ofKind(events, 'ack'), [{ kind: 'ack', channel: CH, clientId: UUID, seq: 11, id: `${CH}-0000000011` }]);
    assert.equal(client.isPending(UUID), false);
    ws2.drop();
    mock.timers.tick(1_100); // second attempt in a row: up to 1 s
    const ws3 = last();
    assert.notEqual(ws3, ws2, 'a third socket');
    ws3.accept();
    assert.equal(ws3.sentOf('send').length, 0, 'an acknowledged send is not sent again');
    client.stop();
  });

  test('an error frame about a send fails it; rate_limited retries it with the same client_id', () => {
    const { client, events, ws } = startClient();
    ws.accept();
    client.send({ type: 'send', channel: CH, client_id: UUID, body: 'a' });
    client.send({ type: 'send', channel: CH, client_id: UUID2, body: 'b' });
    ws.receive({ type: 'error', code: 'forbidden', message: 'Seule la coordination publie ici.', ref: UUID });
    assert.deepEqual(ofKind(events, 'send-failed'), [
      { kind: 'send-failed', clientId: UUID, code: 'forbidden', message: 'Seule la coordination publie ici.' },
    ]);
    ws.receive({ type: 'error', code: 'rate_limited', message: 'Trop de requêtes.', ref: UUID2 });
    assert.equal(ofKind(events, 'send-failed').length, 1, 'rate_limited is not a failure');
    mock.timers.tick(2_000);
    assert.equal(ws.sentOf('send').filter((f) => f.client_id === UUID2).length, 2, 'sent again');
    client.stop();
  });

  test('a send the server did not take (rate_limited, ref) goes again after its retry_after, alone, and ends acked', () => {
    const { client, events, ws } = startClient();
    ws.accept();
    client.send({ type: 'send', channel: CH, client_id: UUID, body: 'a' });
    client.send({ type: 'send', channel: CH, client_id: UUID2, body: 'b' });
    ws.receive(
      { type: 'ack', channel: CH, client_id: UUID, seq: 1, id: `${CH}-0000000001` },
      { type: 'error', code: 'rate_limited', message: 'Trop de requêtes : ralentissez.', ref: UUID2.toUpperCase(), retry_after: 12.5 },
    );
    const sentB = () => ws.sentOf('send').filter((f) => f.client_id === UUID2).length;
    mock.timers.tick(12_400);
    assert.equal(sentB(), 1, 'not before its retry_after');
    assert.equal(ofKind(events, 'send-failed').length, 0, 'waiting for retry_after is not an ack timeout');
    assert.equal(client.isPending(UUID2), true);
    mock.timers.tick(200);
    assert.equal(sentB(), 2, 'sent again once retry_after passed, with the same client_id');
    assert.equal(ws.sentOf('send').filter((f) => f.client_id === UUID).length, 1, 'the acked one is not sent again');
    ws.receive({ type: 'ack', channel: CH, client_id: UUID2, seq: 2, id: `${CH}-0000000002` });
    mock.timers.tick(30_000);
    assert.deepEqual(
      ofKind(events, 'ack').map((e) => e.clientId),
      [UUID, UUID2],
    );
    assert.equal(ofKind(events, 'send-failed').length, 0, 'never "non envoyé"');
    assert.equal(client.isPending(UUID2), false);
    assert.equal(sentB(), 2);
    client.stop();
  });

  test('retry_after is read from error frames: seconds, a number', () => {
    const parse = (extra) => mod.parseServerFrame(JSON.stringify({ type: 'error', code: 'rate_limited', message: 'm', ref: UUID, ...extra }));
    assert.equal(parse({ retry_after: 0.05 }).retry_after, 0.05);
    assert.equal(parse({}).retry_after, undefined);
    assert.equal(parse({ retry_after: '3' }).retry_after, undefined);
    assert.equal(parse({ retry_after: -1 }).retry_after, undefined);
  });

  test('a send without ack for 10 s on an open socket is reported failed; offline it waits', () => {
    nav.onLine = true;
    const { client, events, ws } = startClient();
    client.send({ type: 'send', channel: CH, client_id: UUID, body: 'a' });
    mock.timers.tick(30_000); // not connected yet: waiting is not failing
    assert.equal(ofKind(events, 'send-failed').length, 0);
    ws.accept();
    mock.timers.tick(9_000);
    assert.equal(ofKind(events, 'send-failed').length, 0);
    mock.timers.tick(2_500);
    assert.deepEqual(ofKind(events, 'send-failed'), [{ kind: 'send-failed', clientId: UUID, code: 'timeout', message: '' }]);
    assert.equal(client.isPending(UUID), false);
    client.stop();
  });

  test('too_far_behind: pages through REST from the resume point, then subscribes after the last page', async () => {
    const calls = [];
    const fetchAfter = async (channel, afterSeq, limit) => {
      calls.push([channel, afterSeq, limit]);
      if (afterSeq === 5) return { messages: Array.from({ length: 100 }, (_, i) => msg(6 + i)), last_seq: 130 };
      return { messages: Array.from({ length: 130 - afterSeq }, (_, i) => msg(afterSeq + 1 + i)), last_seq: 130 };
    };
    const { client, events, ws } = startClient({ fetchAfter });
    client.follow(CH, 5);
    ws.accept();
    ws.receive({ type: 'error', code: 'too_far_behind', message: 'Trop de messages manqués.', ref: CH });
    // Let the two pages resolve.
    for (let i = 0; i < 10 && ws.sentOf('subscribe').length < 2; i++) await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, [
      [CH, 5, 100],
      [CH, 105, 100],
    ]);
    assert.deepEqual(ws.sentOf('subscribe').at(-1), { type: 'subscribe', channel: CH, since_seq: 130 });
    const fresh = ofKind(events, 'message').filter((e) => !e.known);
    assert.equal(fresh.length, 125);
    assert.equal(new Set(fresh.map((e) => e.seq)).size, 125, 'no seq twice');
    client.stop();
  });

  test('a failed catch-up page is retried after a backoff, not in a loop', async () => {
    let calls = 0;
    const fetchAfter = async () => {
      calls++;
      throw new Error('réseau');
    };
    const { client, ws } = startClient({ fetchAfter });
    client.follow(CH, 5);
    ws.accept();
    ws.receive({ type: 'error', code: 'too_far_behind', message: '', ref: CH });
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    assert.equal(ws.sentOf('subscribe').length, 1, 'no immediate subscribe after the failure');
    mock.timers.tick(600);
    assert.deepEqual(ws.sentOf('subscribe').at(-1), { type: 'subscribe', channel: CH, since_seq: 5 }, 'tried again from the same seq');
    client.stop();
  });

  test('unsubscribed revokes the channel for good; not_found on subscribe too', () => {
    const { client, events, ws } = startClient();
    client.follow(CH, 0);
    client.follow(CH2, 0);
    ws.accept();
    ws.receive({ type: 'unsubscribed', channel: CH, reason: 'removed' });
    ws.receive({ type: 'error', code: 'not_found', message: 'Ce canal est introuvable.', ref: CH2 });
    assert.deepEqual(ofKind(events, 'revoked'), [
      { kind: 'revoked', channel: CH, reason: 'removed' },
      { kind: 'revoked', channel: CH2, reason: 'not_found' },
    ]);
    ws.receive(frame(1));
    assert.equal(ofKind(events, 'message').length, 0, 'late frames of a revoked channel are dropped');
    ws.drop();
    mock.timers.tick(600);
    last().accept();
    assert.equal(last().sentOf('subscribe').length, 0, 'not subscribed again after a reconnect');
    client.stop();
  });

  test('close 4001 ends the session: no reconnect; 4008 reconnects at once', () => {
    const a = startClient();
    a.ws.accept();
    a.ws.drop(4001);
    assert.deepEqual(ofKind(a.events, 'session-closed'), [{ kind: 'session-closed' }]);
    mock.timers.tick(120_000);
    assert.equal(FakeWebSocket.all.length, 1, 'no new socket after 4001');
    a.client.stop();

    FakeWebSocket.all = [];
    const b = startClient();
    b.ws.accept();
    b.ws.drop(4008);
    mock.timers.tick(300);
    assert.equal(FakeWebSocket.all.length, 2, 'a slow consumer reconnects within 0.3 s');
    b.client.stop();
  });

  test('4029 too_many_connections: said to the user, tried again after a minute', () => {
    const { client, events, ws } = startClient();
    ws.drop(4029, 'too_many_connections'); // refused right after the handshake
    assert.equal(ofKind(events, 'status').at(-1).status, 'trop-de-connexions');
    mock.timers.tick(30_000);
    assert.equal(FakeWebSocket.all.length, 1, 'no new socket within 30 s');
    mock.timers.tick(31_000);
    assert.equal(FakeWebSocket.all.length, 2, 'a new try after a minute');
    client.stop();
  });

  test('the browser going offline closes the socket and waits for "online"; reads are kept for later', () => {
    const { client, events, ws } = startClient();
    client.follow(CH, 3);
    ws.accept();
    nav.onLine = false;
    win.dispatchEvent(new Event('offline'));
    assert.equal(ws.readyState, FakeWebSocket.CLOSED);
    assert.equal(client.status, 'hors-ligne');
    client.read(CH, 3);
    client.typing(CH); // dropped: it would be stale
    mock.timers.tick(20_000);
    assert.equal(FakeWebSocket.all.length, 1, 'no attempt while offline (before the 30 s probe)');
    nav.onLine = true;
    win.dispatchEvent(new Event('online'));
    assert.equal(FakeWebSocket.all.length, 2, 'reconnects as soon as the network is back');
    assert.equal(client.status, 'reconnexion');
    last().accept();
    assert.deepEqual(
      last().sent.map((f) => f.type),
      ['subscribe', 'read'],
    );
    assert.deepEqual(last().sentOf('read'), [{ type: 'read', channel: CH, seq: 3 }]);
    assert.deepEqual(
      ofKind(events, 'status').map((e) => e.status),
      ['connecte', 'hors-ligne', 'reconnexion', 'connecte'],
    );
    client.stop();
  });

  test('a silent link is detected by the application ping and replaced', () => {
    const { client, ws } = startClient();
    ws.accept();
    mock.timers.tick(25_000);
    assert.deepEqual(ws.sentOf('ping'), [{ type: 'ping' }]);
    mock.timers.tick(10_500); // no pong
    assert.equal(ws.readyState, FakeWebSocket.CLOSED, 'the dead socket is closed');
    mock.timers.tick(600);
    assert.equal(FakeWebSocket.all.length, 2, 'and replaced');
    const ws2 = last();
    ws2.accept();
    mock.timers.tick(25_000);
    ws2.receive({ type: 'pong' });
    mock.timers.tick(10_500);
    assert.equal(ws2.readyState, FakeWebSocket.OPEN, 'a pong keeps it');
    client.stop();
  });
});
