// Unit tests of the stores views call instead of the API: the member
// lists (lib/stores/members.svelte.ts) and a CPTS's invitations
// (lib/stores/invitations.svelte.ts, a ListStore). A scripted fetch
// answers and records each request.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { bundle } from './bundle.mjs';

/** Requests seen, and the answers to give, in order. */
const net = {
  seen: [],
  answers: [],
  answer(status, body) {
    this.answers.push({ status, body });
  },
};

const realFetch = globalThis.fetch;
let members;
let invitations;
const cleanups = [];

before(async () => {
  globalThis.fetch = async (url, init = {}) => {
    net.seen.push({ method: init.method ?? 'GET', url: String(url), body: init.body ? JSON.parse(init.body) : undefined });
    const a = net.answers.shift();
    if (!a) throw new Error(`unexpected request ${init.method} ${url}`);
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), { status: a.status });
  };
  for (const [entry, set] of [
    ['lib/stores/members.svelte.ts', (m) => (members = m)],
    ['lib/stores/invitations.svelte.ts', (m) => (invitations = m)],
  ]) {
    const b = await bundle(entry);
    set(b.mod);
    cleanups.push(b.cleanup);
  }
});

after(async () => {
  globalThis.fetch = realFetch;
  for (const c of cleanups) await c();
});

beforeEach(() => {
  net.seen = [];
  net.answers = [];
});

const member = (id, status = 'active', role = 'membre') => ({
  user: { id, name: id, profession: 'x', profession_label: 'X' },
  role,
  status,
  created_at: '2026-01-01T00:00:00Z',
});

describe('Roster', () => {
  test('reads, adds and removes the members of a channel at its own path', async () => {
    const r = new members.Roster('channels', 'c/1');
    net.answer(200, { members: [member('a'), member('b')] });
    await r.load();
    assert.equal(r.loaded, true);
    assert.deepEqual(r.items.map((m) => m.user.id), ['a', 'b']);

    net.answer(201, { member: member('c') });
    net.answer(200, { members: [member('a'), member('b'), member('c')] });
    await r.add('c');
    assert.ok(r.has('c'), 'the list is read again after an addition');

    net.answer(204);
    await r.remove('a');
    assert.deepEqual(r.items.map((m) => m.user.id), ['b', 'c']);
    assert.deepEqual(
      net.seen.map((s) => `${s.method} ${s.url}`),
      [
        'GET /api/v1/channels/c%2F1/members',
        'POST /api/v1/channels/c%2F1/members',
        'GET /api/v1/channels/c%2F1/members',
        'DELETE /api/v1/channels/c%2F1/members/a',
      ],
    );
    assert.deepEqual(net.seen[1].body, { user_id: 'c' });
  });

  test('a CPTS validation and role change put the server’s member back in place', async () => {
    const r = new members.Roster('cpts', 'k');
    net.answer(200, { members: [member('a', 'pending'), member('b')] });
    await r.load();
    net.answer(200, { member: member('a', 'active') });
    await r.validate('a');
    net.answer(200, { member: member('b', 'active', 'coordinateur') });
    await r.setRole('b', 'coordinateur');
    assert.deepEqual(
      r.items.map((m) => [m.user.id, m.status, m.role]),
      [
        ['a', 'active', 'membre'],
        ['b', 'active', 'coordinateur'],
      ],
    );
    assert.equal(net.seen[1].url, '/api/v1/cpts/k/members/a/validate');
    assert.deepEqual([net.seen[2].method, net.seen[2].body], ['PATCH', { role: 'coordinateur' }]);
  });

  test('a failed read is thrown to the view and still counts as answered', async () => {
    const r = new members.Roster('groups', 'g');
    net.answer(403, { error: { code: 'forbidden', message: 'Accès refusé.' } });
    await assert.rejects(r.load(), /Accès refusé/);
    assert.equal(r.loaded, true);
  });

  test('candidates for a private channel are the active members of its CPTS or group', async () => {
    net.answer(200, { members: [member('a'), member('p', 'pending')] });
    const list = await members.candidatesFor({ id: 'ch', group_id: 'g' });
    assert.deepEqual(list.map((m) => m.user.id), ['a']);
    assert.equal(net.seen[0].url, '/api/v1/groups/g/members');
    assert.deepEqual(await members.candidatesFor({ id: 'dm' }), []);
    assert.equal(net.seen.length, 1, 'a channel of neither asks nothing');
  });
});

describe('Invitations', () => {
  const inv = (id, email) => ({ id, email, cpts_id: 'k', role: 'membre', created_at: '', expires_at: '' });

  test('a sent invitation comes first, a revoked one goes', async () => {
    const list = new invitations.Invitations('k');
    net.answer(200, { invitations: [inv('1', 'a@x.test')] });
    await list.load();
    net.answer(201, { invitation: inv('2', 'b@x.test') });
    await list.send('b@x.test', 'membre');
    assert.deepEqual(list.items.map((i) => i.id), ['2', '1']);
    assert.deepEqual(net.seen[1].body, { email: 'b@x.test', role: 'membre' });
    net.answer(204);
    await list.revoke('1');
    assert.deepEqual(list.items.map((i) => i.id), ['2']);
    assert.equal(net.seen[2].url, '/api/v1/cpts/k/invitations/1');
  });

  test('a failed reload keeps what was shown, with its error; a good one clears it', async () => {
    const list = new invitations.Invitations('k');
    net.answer(200, { invitations: [inv('1', 'a@x.test')] });
    await list.load();
    net.answer(500, { error: { code: 'internal', message: 'Erreur interne.' } });
    await list.load();
    assert.equal(list.loaded, true);
    assert.equal(list.error?.message, 'Erreur interne.');
    assert.deepEqual(list.items.map((i) => i.id), ['1']);
    net.answer(200, { invitations: [] });
    await list.load();
    assert.equal(list.error, null);
    assert.deepEqual(list.items, []);
  });
});
