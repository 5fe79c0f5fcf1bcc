// Browser test of making a channel private and public again, against the
// real binary with the demo data: the coordinator of CPTS Loire Nord uses
// the channel's "⋯" menu and its French confirmation; the midwife, a
// member of the CPTS but not of the channel, who has it open, loses it at
// once — its page says so and "Parcourir les canaux" no longer offers it —
// and gets it back when it is made public again. Nothing is stubbed.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiJSON,
  cptsNamed,
  csrf,
  loggedInPage,
  startAll,
  stopAll,
  waitFor,
  withDiagnostics as diagnose,
} from './harness.mjs';

const coordinator = 'coordination@loire-nord.demo'; // Claire Morel
const midwife = 'sage-femme@loire-nord.demo'; // Aurélie Fontaine, not a member of the new channel

let server;
let browser;
let pageA; // the coordinator
let pageB; // the midwife
const name = `e2e-visibilite-${Date.now().toString(36)}`;
let channelId;

const sidebarOf = (page) => page.locator('#barre-laterale');
/** "Parcourir les canaux": the public channels one may join. */
const browseOf = (page) => sidebarOf(page).locator('section[aria-labelledby="side-browse"]');

/** Runs fn; on failure adds screenshots and the server's last output. */
const withDiagnostics = (label, pages, fn) => diagnose(server, 'visibility', label, pages, fn);

/** Picks an entry of the channel's "⋯" menu and confirms its dialog. */
async function fromMenu(page, entry, expectText) {
  await page.getByRole('button', { name: 'Actions sur le canal' }).click();
  await page.getByRole('menuitem', { name: entry }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const text = await dialog.textContent();
  assert.match(text, expectText);
  // French typography: a no-break space before "?" and ":".
  assert.ok(text.includes('\u00a0?'), `no no-break space before "?" in ${JSON.stringify(text)}`);
  return dialog;
}

describe('making a channel private or public', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
    pageA = await loggedInPage(browser, server, coordinator);
    pageB = await loggedInPage(browser, server, midwife);
    // A fresh public channel of Loire Nord, made by the coordinator.
    const loire = await cptsNamed(pageA, 'CPTS Loire Nord');
    const res = await pageA.request.post('/api/v1/channels', {
      data: { name, cpts_id: loire.id, topic: 'Essai de visibilité' },
      headers: { 'X-CSRF-Token': await csrf(pageA) },
    });
    assert.equal(res.status(), 201, `create the channel: ${await res.text()}`);
    channelId = (await res.json()).channel.id;
  });

  after(() => stopAll(browser, server));

  test('"Rendre privé" hides it from non-members at once; "Rendre public" brings it back', { timeout: 150_000 }, async () => {
    await withDiagnostics('private', { coordinator: pageA, midwife: pageB }, async () => {
      // The midwife sees the public channel offered, and opens it.
      await pageB.reload();
      const offered = browseOf(pageB).getByRole('link', { name: new RegExp(name) });
      await offered.waitFor();
      assert.equal(await offered.getByRole('img', { name: 'Canal public' }).count(), 1, 'offered with the public icon');
      await pageB.goto(`/canaux/${channelId}`);
      await pageB.getByRole('heading', { level: 1, name }).waitFor();
      await pageB.getByText('Vous n’êtes pas membre de ce canal.').waitFor();

      // The coordinator makes it private from the channel's menu.
      await pageA.goto(`/canaux/${channelId}`);
      const heading = pageA.getByRole('heading', { level: 1, name });
      await heading.getByRole('img', { name: 'Canal public' }).waitFor();
      const dialog = await fromMenu(pageA, 'Rendre privé', /Seuls ses membres actuels le verront désormais/);
      assert.match(await dialog.textContent(), /les autres membres de la CPTS le perdent aussitôt/);
      await dialog.getByRole('button', { name: 'Rendre privé' }).click();
      await dialog.waitFor({ state: 'detached' });
      await pageA.getByText('Le canal est désormais privé.').first().waitFor();
      // The icon follows, in the header and in the coordinator's sidebar.
      await heading.getByRole('img', { name: 'Canal privé' }).waitFor();
      await sidebarOf(pageA).getByRole('link', { name: new RegExp(name) }).getByRole('img', { name: 'Canal privé' }).waitFor();
      const ch = await apiJSON(pageA, `/api/v1/channels/${channelId}`);
      assert.equal(ch.channel.visibility, 'private');
      assert.equal(ch.channel.member, true, 'the coordinator stays a member');

      // The midwife, who had it open, loses it at once: no reload.
      await pageB.getByText('Ce canal vient d’être rendu privé').waitFor();
      await waitFor(async () => (await browseOf(pageB).getByRole('link', { name: new RegExp(name) }).count()) === 0, {
        what: 'the channel made private to leave the midwife’s "Parcourir les canaux"',
      });
      assert.equal(await sidebarOf(pageB).getByRole('link', { name: new RegExp(name) }).count(), 0, 'nowhere in her sidebar');
      // Nor after a reload, nor by its address.
      await pageB.reload();
      // Her lists are loaded once another public channel is offered.
      await browseOf(pageB).getByRole('link', { name: /soins-non-programmés/ }).waitFor();
      assert.equal(await browseOf(pageB).getByRole('link', { name: new RegExp(name) }).count(), 0, 'not offered after a reload');
      const read = await pageB.request.get(`/api/v1/channels/${channelId}`);
      assert.equal(read.status(), 404, 'the midwife cannot read it by its address');

      // Public again: offered to the midwife again, live, with its icon.
      await pageB.goto('/');
      await browseOf(pageB).getByRole('link', { name: /soins-non-programmés/ }).waitFor();
      const back = await fromMenu(pageA, 'Rendre public', /Tous les membres de la CPTS pourront le voir/);
      await back.getByRole('button', { name: 'Rendre public' }).click();
      await back.waitFor({ state: 'detached' });
      await heading.getByRole('img', { name: 'Canal public' }).waitFor();
      const again = browseOf(pageB).getByRole('link', { name: new RegExp(name) });
      await again.waitFor();
      await again.getByRole('img', { name: 'Canal public' }).waitFor();
    });
  });
});
