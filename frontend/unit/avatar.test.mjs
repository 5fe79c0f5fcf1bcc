// Unit tests of the initials avatars (lib/avatar.ts): initials of French
// names, one stable colour per user id spread over the palette, and white
// text readable on every colour (WCAG AA, 4.5:1).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bundle } from './bundle.mjs';

let avatar;
let cleanup;

before(async () => {
  const b = await bundle('lib/avatar.ts');
  avatar = b.mod;
  cleanup = b.cleanup;
});

after(() => cleanup?.());

test('initials of French names', () => {
  assert.equal(avatar.initials('Sophie Garnier'), 'SG');
  assert.equal(avatar.initials('élise marchand'), 'ÉM');
  assert.equal(avatar.initials('Jean-Pierre de la Fontaine'), 'JF');
  assert.equal(avatar.initials('  Inès  '), 'I');
  assert.equal(avatar.initials('(Dr) Hugo Lambert'), 'DL');
  assert.equal(avatar.initials(''), '?');
});

test('one colour per user id, always the same, spread over the palette', () => {
  const ids = Array.from({ length: 240 }, (_, i) => `66aa${i.toString(16).padStart(20, '0')}`);
  for (const id of ids) assert.equal(avatar.avatarColor(id), avatar.avatarColor(id));
  const used = new Set(ids.map((id) => avatar.avatarColor(id)));
  assert.ok(used.size >= avatar.avatarPalette.length - 1, `${used.size} colours used of ${avatar.avatarPalette.length}`);
});

test('white initials are readable on every colour (contrast ≥ 4.5:1)', () => {
  const channel = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  for (const hex of avatar.avatarPalette) {
    const [r, g, b] = [1, 3, 5].map((i) => channel(parseInt(hex.slice(i, i + 2), 16) / 255));
    const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    const ratio = 1.05 / (lum + 0.05);
    assert.ok(ratio >= 4.5, `${hex}: ${ratio.toFixed(2)}`);
  }
});
