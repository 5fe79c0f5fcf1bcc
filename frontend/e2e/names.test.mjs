// Browser tests of look-alike names and deceptive links, against the real
// binary with the demo data: a channel name hiding a zero-width space or
// reading as an existing one is refused with the server's French message,
// a link whose text names another address shows where it really leads,
// and people are shown with their profession and commune.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiJSON,
  cptsNamed,
  loggedInPage,
  mainList,
  startAll,
  stopAll,
  waitFor,
  withDiagnostics as diagnose,
} from './harness.mjs';

const coordinator = 'coordination@loire-nord.demo'; // Claire Morel, Roanne
const nurse = 'infirmiere@loire-nord.demo'; // Sophie Garnier, Riorges

let server;
let browser;

/** A page of its own logged in as email (a demo account). */
const newPage = (email) => loggedInPage(browser, server, email);

/** Runs fn; on failure adds a screenshot and the server's last output. */
const withDiagnostics = (page, name, fn) => diagnose(server, 'names', name, page, fn);

describe('look-alike names and links in a browser', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
  });

  after(() => stopAll(browser, server));

  test('a channel named like "général" is refused with a French message', { timeout: 120_000 }, async () => {
    const page = await newPage(coordinator);
    await withDiagnostics(page, 'channel', async () => {
      const loire = await cptsNamed(page, 'CPTS Loire Nord');
      await page.goto(`/cpts/${loire.id}/admin`);
      await page.getByRole('heading', { name: /Administration — CPTS Loire Nord/ }).waitFor();
      await page.getByRole('tab', { name: 'Canaux' }).click();
      const rows = page.locator('.channel-rows > li');
      await rows.first().waitFor();
      const before = await rows.count();

      const nameInput = page.getByLabel('Nom du canal');
      const error = page.locator('#new-ch-name-error');
      const create = page.getByRole('button', { name: 'Créer le canal' });

      // A zero-width space after the name: refused, and the message says why.
      await nameInput.fill('général\u200b');
      await create.click();
      await waitFor(async () => /invisible/.test((await error.textContent()) ?? ''), {
        what: 'the error under the channel name',
      });
      const hidden = (await error.textContent()) ?? '';
      assert.match(hidden, /Le nom du canal contient un caractère invisible/, hidden);
      assert.match(hidden, /U\+200B/, 'the message names the character');
      assert.equal(await nameInput.getAttribute('aria-invalid'), 'true', 'the field is marked invalid');

      // The same name without its accents (and combining accents) reads alike.
      for (const name of ['General', 'ge\u0301ne\u0301ral']) {
        await nameInput.fill(name);
        await create.click();
        await waitFor(async () => /porte déjà ce nom/.test((await error.textContent()) ?? ''), {
          what: `the name_taken error for ${JSON.stringify(name)}`,
        });
      }
      assert.equal(await rows.count(), before, 'no channel was added to the list');
      const { channels } = await apiJSON(page, '/api/v1/channels?archived=1');
      const generals = channels.filter((c) => c.cpts_id === loire.id && c.name.normalize('NFKD').replace(/\p{M}|\u200b/gu, '').toLowerCase() === 'general');
      assert.equal(generals.length, 1, `one "général" on the server: ${JSON.stringify(generals.map((c) => c.name))}`);
    });
    await page.context().close();
  });

  test('a link whose text is another address shows its real host; people show profession and commune', { timeout: 120_000 }, async () => {
    const nursePage = await newPage(nurse);
    const coordPage = await newPage(coordinator);
    await withDiagnostics(coordPage, 'link', async () => {
      const { channels } = await apiJSON(nursePage, '/api/v1/channels');
      const general = channels.find((c) => c.name === 'général');
      assert.ok(general, 'the nurse sees général');
      for (const page of [nursePage, coordPage]) {
        await page.goto(`/canaux/${general.id}`);
        await page.getByRole('textbox', { name: 'Écrire dans général' }).waitFor();
        await mainList(page).waitFor();
      }

      const box = nursePage.getByRole('textbox', { name: 'Écrire dans général' });
      const tag = `vérifiez ${Date.now().toString(36)}`;
      await box.fill(`${tag} : [https://ameli.fr](https://evil.example/x)`);
      await box.press('Enter');

      // On the coordinator's screen: the link keeps its text, and the real
      // host follows it, visibly.
      const message = mainList(coordPage).locator('article.message', { hasText: tag });
      await message.waitFor();
      const link = message.locator('.body a', { hasText: 'https://ameli.fr' });
      await link.waitFor();
      assert.equal(await link.getAttribute('href'), 'https://evil.example/x');
      const host = message.locator('.body .link-host');
      await host.waitFor();
      assert.ok(await host.isVisible(), 'the real host is visible');
      assert.equal((await host.textContent())?.trim(), '(evil.example)');
      const hostBox = await host.boundingBox();
      assert.ok(hostBox && hostBox.width > 20 && hostBox.height > 5, `the host takes room on screen: ${JSON.stringify(hostBox)}`);
      assert.match((await message.locator('.body').innerText()) ?? '', /https:\/\/ameli\.fr \(evil\.example\)/);

      // The message names its author with her profession and commune (the
      // header itself may be folded into the previous message's).
      assert.match((await message.getAttribute('aria-label')) ?? '', /^Sophie Garnier, Infirmi.*, Riorges$/);

      // The mention suggestions tell people apart by profession and commune.
      await box.pressSequentially('@Clai');
      const option = nursePage.getByRole('listbox', { name: 'Suggestions de mention' }).getByRole('option', { name: /Claire Morel/ });
      await option.waitFor();
      assert.match((await option.textContent()) ?? '', /Médecin généraliste · Roanne/);
      await box.fill('');
    });
    await nursePage.context().close();
    await coordPage.context().close();
  });
});
