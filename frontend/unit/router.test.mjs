// Unit tests of src/lib/router.svelte.ts: where the login page may send
// someone (safeNext) and navigate, which never leaves the app's origin.
// A scripted window stands in for the browser's location and history.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { bundle } from './bundle.mjs';

const origin = 'http://127.0.0.1:8080';

/** location and history of one tab: pushState and replaceState move it. */
const fake = {
  assigned: [],
  location: null,
  reset(path = '/connexion') {
    const u = new URL(path, origin);
    this.assigned = [];
    this.location = {
      origin,
      href: u.href,
      pathname: u.pathname,
      search: u.search,
      hash: u.hash,
      assign: (to) => this.assigned.push(String(to)),
      replace: (to) => this.assigned.push(String(to)),
    };
  },
  go(to) {
    const u = new URL(to, this.location.href);
    if (u.origin !== origin) throw new Error(`history moved to another origin: ${u.href}`);
    Object.assign(this.location, { href: u.href, pathname: u.pathname, search: u.search, hash: u.hash });
  },
};
fake.reset();

let mod;
let cleanup;

before(async () => {
  globalThis.window = {
    get location() {
      return fake.location;
    },
    history: {
      pushState: (_s, _t, to) => fake.go(to),
      replaceState: (_s, _t, to) => fake.go(to),
    },
    addEventListener() {},
    removeEventListener() {},
    scrollTo() {},
  };
  ({ mod, cleanup } = await bundle('lib/router.svelte.ts'));
});

after(async () => {
  await cleanup?.();
  delete globalThis.window;
});

beforeEach(() => fake.reset());

// What the login page reads from ?suite=… once URLSearchParams decoded it.
const foreign = [
  '/\\evil.invalid/phish', // ?suite=/%5Cevil.invalid/phish
  '/\t/evil.invalid/x', // ?suite=%2F%09%2Fevil.invalid%2Fx
  '/\n/evil.invalid/x',
  '\\\\evil.invalid/x',
  '//evil.invalid/x',
  '///evil.invalid/x',
  ' //evil.invalid/x',
  'https://evil.invalid/annuaire',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
];

describe('safeNext', () => {
  test('anything that leads to another origin goes home', () => {
    for (const next of foreign) {
      assert.equal(mod.safeNext(next), '/', JSON.stringify(next));
    }
  });

  test('paths the router does not know, the login page itself and nothing go home', () => {
    for (const next of [null, '', '/inconnu', '/api/v1/me', '/connexion', '/connexion?suite=/annuaire', 'http:evil.invalid/x']) {
      assert.equal(mod.safeNext(next), '/', JSON.stringify(next));
    }
  });

  test('an in-app page of this origin is kept, with its query and hash', () => {
    assert.equal(mod.safeNext('/annuaire'), '/annuaire');
    assert.equal(mod.safeNext('/canaux/c1?message=7#fin'), '/canaux/c1?message=7#fin');
    assert.equal(mod.safeNext('/invitation/abc-DEF_1'), '/invitation/abc-DEF_1');
    assert.equal(mod.safeNext(`${origin}/profil`), '/profil');
  });
});

describe('navigate', () => {
  test('never leaves the origin', () => {
    for (const to of foreign) {
      fake.reset('/connexion');
      mod.navigate(to, { replace: true });
      assert.deepEqual(fake.assigned, [], `navigate(${JSON.stringify(to)}) asked the browser to leave`);
      assert.equal(fake.location.origin, origin);
      assert.equal(fake.location.pathname, '/', `navigate(${JSON.stringify(to)}) goes home`);
      assert.equal(mod.router.route.name, 'home');
    }
  });

  test('moves within the app', () => {
    mod.navigate('/annuaire?q=kine#liste');
    assert.deepEqual(fake.assigned, []);
    assert.equal(fake.location.pathname + fake.location.search + fake.location.hash, '/annuaire?q=kine#liste');
    assert.equal(mod.router.route.name, 'directory');
    assert.equal(mod.router.param('q'), 'kine');
  });
});
