// Browser tests of issue 13's chat items, as a Slack or Mattermost user
// would check them, on a laptop (1366×800) and a phone (390×844): unread
// badges that agree with the "Nouveaux messages" divider, unread seen at a
// glance (tab title, favicon, the phone's menu button), the coordinator's
// channel view (members on demand, destructive actions behind "⋯" and a
// confirmation), the composer's wording, following a thread one replied
// to, the connection banner, sidebar tooltips and the emoji picker.
// Against the real binary with the demo data; screenshots go to
// frontend/test-results/ to be looked at.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  apiCall,
  apiJSON,
  channelNamed,
  cptsNamed,
  frontendDir,
  login,
  mainList,
  newContext,
  openChannel,
  phoneOptions,
  startAll,
  stopAll,
  waitFor,
} from './harness.mjs';

const coordinator = 'coordination@loire-nord.demo'; // Claire Morel
const nurse = 'infirmiere@loire-nord.demo'; // Sophie Garnier
const physio = 'kine@loire-nord.demo'; // Marc Lefèvre

const laptop = { width: 1366, height: 800 };
const phone = { width: 390, height: 844 };
const shots = path.join(frontendDir, 'test-results');

let server;
let browser;
let ids; // { general, snp }
const run = Date.now().toString(36);
const uniq = (s) => `${s} ${run}-${Math.random().toString(36).slice(2, 7)}`;

/** A page in a new context of this size (phone: a touch screen too). */
async function newPage(viewport) {
  const ctx = await newContext(browser, server, { viewport, ...(viewport === phone ? phoneOptions : {}) });
  return ctx.newPage();
}

const sidebarOf = (page) => page.locator('#barre-laterale');
const apiPost = (page, url, body) => apiCall(page, 'POST', url, body);

async function shot(page, name) {
  await mkdir(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `ux-${name}.png`) });
}

/** Runs fn; on failure adds a screenshot and the server's last output. */
async function withDiagnostics(name, page, fn) {
  try {
    await fn();
  } catch (err) {
    const file = path.join(shots, `ux-failed-${name}.png`);
    await mkdir(shots, { recursive: true });
    await page?.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    err.message += `\n(${page?.url()} → ${file})\n--- ecpts output (tail) ---\n${server.logs().split('\n').slice(-30).join('\n')}`;
    throw err;
  } finally {
    await page?.context().close();
  }
}

/** The sidebar link of a channel (by name) and its badge count. */
const channelLink = (page, id) => sidebarOf(page).locator(`a[href="/canaux/${id}"]`);

describe('issue 13: the chat as a Slack or Mattermost user judges it', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
    const page = await newPage(laptop);
    await login(page, coordinator);
    const loire = await cptsNamed(page, 'CPTS Loire Nord');
    const general = await channelNamed(page, loire.id, 'général');
    const snp = await channelNamed(page, loire.id, 'soins-non-programmés');
    ids = { general: general.id, snp: snp.id };
    await page.context().close();
  });

  after(() => stopAll(browser, server));

  test('1. the badge counts what sits below "Nouveaux messages" (thread replies apart)', { timeout: 90_000 }, async () => {
    const page = await newPage(laptop);
    await withDiagnostics('unread', page, async () => {
      await login(page, nurse);
      // The demo: after the nurse's own message in général, messages of
      // others, one of them with replies in its thread. The badge counts
      // the messages, not the replies: what sits below the divider.
      const link = channelLink(page, ids.general);
      await waitFor(async () => Number(await link.getAttribute('data-unread')) > 0, { what: 'unread in général for the nurse' });
      const badge = Number(await link.getAttribute('data-unread'));
      const { channels } = await apiJSON(page, '/api/v1/unread');
      assert.equal(channels.find((u) => u.channel_id === ids.general)?.unread, badge, 'GET /unread agrees with the badge');
      await openChannel(page, ids.general, 'général');
      const divider = mainList(page).locator('.new-divider');
      await divider.waitFor();
      const below = await mainList(page).evaluate((log) => {
        const items = [...log.querySelectorAll('ol.items > li')];
        const i = items.findIndex((li) => li.classList.contains('new-divider'));
        return items.slice(i + 1).filter((li) => li.querySelector('article.message')).map((li) => li.textContent ?? '');
      });
      assert.equal(below.length, badge, `the badge said ${badge}; below the divider: ${JSON.stringify(below)}`);
      assert.ok(
        below.some((t) => /vaccination antigrippale/.test(t) && /\d+ réponses?/.test(t)),
        'a message below the divider has replies, which the badge did not count',
      );
      await shot(page, 'unread-divider-1366');
      // Read now: the badge goes, and stays gone after a reload.
      await waitFor(async () => (await link.getAttribute('data-unread')) === '0', { what: 'général read' });
      await page.reload();
      await mainList(page).waitFor();
      await waitFor(async () => (await channelLink(page, ids.general).getAttribute('data-unread')) === '0', {
        what: 'général still read after a reload',
      });
    });
  });

  test('2. unread at a glance: tab title, favicon dot, the phone menu badge for a direct message', { timeout: 120_000 }, async () => {
    const page = await newPage(laptop);
    await withDiagnostics('glance-laptop', page, async () => {
      await login(page, coordinator);
      await page.goto('/');
      // The coordinator's unread: the sum of her sidebar badges.
      const sum = async () =>
        (await sidebarOf(page).locator('a[data-unread]').evaluateAll((as) => as.map((a) => Number(a.getAttribute('data-unread') || 0)))).reduce(
          (a, b) => a + b,
          0,
        );
      await waitFor(async () => (await sum()) > 0, { what: 'something unread for the coordinator' });
      const n = await sum();
      await waitFor(async () => (await page.title()) === `(${n}) Accueil · e-CPTS`, { what: `the title "(${n}) Accueil · e-CPTS"` });
      const icon = page.locator('link[rel="icon"]');
      assert.equal(await icon.getAttribute('data-unread'), 'true');
      assert.match((await icon.getAttribute('href')) ?? '', /^data:image\/svg\+xml,.*circle/);
      await shot(page, 'glance-1366');
    });

    // The nurse on her phone, everything read; Marc writes to her directly.
    const phonePage = await newPage(phone);
    await withDiagnostics('glance-phone', phonePage, async () => {
      await login(phonePage, nurse);
      // Everything read: her channels, and the followed threads with new
      // replies that the demo history leaves her (they count in the title).
      const { channels, threads } = await apiJSON(phonePage, '/api/v1/unread');
      for (const u of channels) if (u.last_seq > u.read_seq) await apiPost(phonePage, `/api/v1/channels/${u.channel_id}/read`, { seq: u.last_seq });
      for (const t of threads ?? []) {
        if (!t.unread) continue;
        const { replies } = await apiJSON(phonePage, `/api/v1/messages/${t.thread_id}/thread`);
        await apiPost(phonePage, `/api/v1/messages/${t.thread_id}/thread-read`, { seq: replies.at(-1).seq });
      }
      await phonePage.goto('/');
      const menu = phonePage.locator('button.menu-button');
      await menu.waitFor();
      await waitFor(async () => (await phonePage.title()) === 'Accueil · e-CPTS', { what: 'no count in the title' });
      assert.equal(await menu.locator('.menu-badge').count(), 0, 'no badge on the menu button');
      assert.equal(await phonePage.locator('link[rel="icon"]').getAttribute('data-unread'), 'false');

      const marc = await newPage(laptop);
      await login(marc, physio);
      const me = await apiJSON(phonePage, '/api/v1/me');
      const { conversation } = await apiPost(marc, '/api/v1/conversations', { user_ids: [me.user.id] });
      await apiPost(marc, `/api/v1/channels/${conversation.id}/messages`, { body: uniq('Sophie, un patient pour demain ?'), client_id: crypto.randomUUID() });
      await marc.context().close();

      const badge = menu.locator('.menu-badge');
      await badge.waitFor();
      assert.equal(await badge.getAttribute('data-unread'), '1');
      assert.match((await menu.getAttribute('aria-label')) ?? (await menu.textContent()) ?? '', /1 message non lu/);
      await waitFor(async () => (await phonePage.title()) === '(1) Accueil · e-CPTS', { what: 'the title "(1) Accueil · e-CPTS"' });
      assert.equal(await phonePage.locator('link[rel="icon"]').getAttribute('data-unread'), 'true');
      await shot(phonePage, 'glance-menu-badge-390');
      // The drawer shows the conversation with its badge.
      await menu.tap();
      const conv = sidebarOf(phonePage).locator('a[href^="/messages/"]', { hasText: 'Marc Lefèvre' });
      await waitFor(async () => (await conv.getAttribute('data-unread')) === '1', { what: 'the conversation badge in the drawer' });
      await conv.tap();
      // Read on screen: the badge, the count and the dot go.
      await phonePage.getByRole('textbox', { name: 'Écrire à Marc Lefèvre' }).waitFor();
      await waitFor(async () => (await phonePage.title()) === 'Marc Lefèvre · e-CPTS', { what: 'the count to leave the title' });
      assert.equal(await menu.locator('.menu-badge').count(), 0, 'no badge once read');
      assert.equal(await phonePage.locator('link[rel="icon"]').getAttribute('data-unread'), 'false');
    });
  });

  for (const [size, viewport] of [
    ['1366', laptop],
    ['390', phone],
  ]) {
    test(`3. the coordinator's channel view at ${size}px: members on demand, "Retirer" and "Archiver" behind ⋯ and a confirmation`, { timeout: 90_000 }, async () => {
      const page = await newPage(viewport);
      await withDiagnostics(`coordinator-${size}`, page, async () => {
        await login(page, coordinator);
        await openChannel(page, ids.general, 'général');
        const side = page.locator('#channel-side');
        assert.equal(await side.count(), 0, 'no member panel by default');
        assert.equal(await page.getByRole('button', { name: /^Retirer/ }).count(), 0, 'no "Retirer" in sight');
        assert.equal(await page.getByRole('button', { name: 'Archiver' }).count(), 0, 'no "Archiver" in sight');
        if (viewport === laptop) {
          const list = await mainList(page).boundingBox();
          assert.ok(list && list.width > 1366 - 300 - 60, `the messages take the width (${list?.width}px)`);
        }
        await shot(page, `coordinator-closed-${size}`);

        const toggle = page.getByRole('button', { name: 'Membres (6)' });
        assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
        await toggle.click();
        await side.getByRole('heading', { name: /Membres/ }).waitFor();
        assert.equal(await side.locator('li').count(), 6, 'six members listed');
        assert.equal(await side.getByRole('button', { name: /^Retirer/ }).count(), 0, 'still no "Retirer" button in the list');
        await shot(page, `coordinator-members-${size}`);

        // Remove: ⋯ of a member, then a confirmation that names her.
        await side.getByRole('button', { name: 'Actions pour Sophie Garnier' }).click();
        await page.getByRole('menuitem', { name: 'Retirer' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.waitFor();
        assert.match(await dialog.textContent(), /Retirer Sophie Garnier de ce canal/);
        await shot(page, `coordinator-remove-confirm-${size}`);
        await dialog.getByRole('button', { name: 'Annuler' }).click();
        await dialog.waitFor({ state: 'detached' });
        assert.equal(await side.locator('li', { hasText: 'Sophie Garnier' }).count(), 1, 'cancelling keeps her');

        // Archive: ⋯ of the channel, then a confirmation that names it.
        if (viewport === phone) await page.locator('.side-close').getByRole('button', { name: 'Fermer' }).tap();
        await page.getByRole('button', { name: 'Actions sur le canal' }).click();
        await page.getByRole('menuitem', { name: 'Archiver' }).click();
        await dialog.waitFor();
        assert.match(await dialog.textContent(), /Archiver #général/);
        await shot(page, `coordinator-archive-confirm-${size}`);
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
        const ch = await apiJSON(page, `/api/v1/channels/${ids.general}`);
        assert.equal(ch.channel.archived, false, 'nothing archived');
      });
    });
  }

  for (const [size, viewport] of [
    ['1366', laptop],
    ['390', phone],
  ]) {
    test(`5. at ${size}px faces: initials avatars of a stable colour, a profile card on a click, "Envoyer un message"`, { timeout: 90_000 }, async () => {
      const page = await newPage(viewport);
      await withDiagnostics(`faces-${size}`, page, async () => {
        await login(page, nurse);
        await openChannel(page, ids.general, 'général');
        const welcome = mainList(page).locator('article.message', { hasText: 'Bienvenue sur e-CPTS' });
        const avatar = welcome.locator('.face .avatar');
        assert.equal(await avatar.textContent(), 'CM', "Claire Morel's initials");
        const colour = await avatar.evaluate((el) => getComputedStyle(el).backgroundColor);
        // The same person, the same colour: in the member list too.
        await page.getByRole('button', { name: /^Membres \(\d+\)$/ }).click();
        const inList = page.locator('#channel-side li', { hasText: 'Claire Morel' }).locator('.avatar');
        assert.equal(await inList.evaluate((el) => getComputedStyle(el).backgroundColor), colour);
        const other = page.locator('#channel-side li', { hasText: 'Inès Caron' }).locator('.avatar');
        assert.equal(await other.textContent(), 'IC');
        if (viewport === phone) await page.locator('.side-close').getByRole('button', { name: 'Fermer' }).tap();
        else await page.getByRole('button', { name: /^Membres \(\d+\)$/ }).click();
        await shot(page, `faces-messages-${size}`);

        // A click on the name: the card, with the RPPS (we share Loire Nord).
        await welcome.getByRole('button', { name: 'Claire Morel' }).click();
        const card = page.getByRole('dialog', { name: 'Claire Morel' });
        await card.waitFor();
        await card.getByText('CPTS Loire Nord').waitFor();
        const text = await card.textContent();
        assert.match(text, /Médecin/);
        assert.match(text, /Roanne/);
        assert.match(text, /RPPS\s*\d{11}/);
        await shot(page, `faces-card-${size}`);
        await card.getByRole('button', { name: 'Envoyer un message' }).click();
        await page.waitForURL(/\/messages\//);
        await page.getByRole('textbox', { name: 'Écrire à Claire Morel' }).waitFor();
      });
    });
  }

  test('5. no RPPS on the card of someone from another CPTS; the directory opens cards too', { timeout: 60_000 }, async () => {
    const page = await newPage(laptop);
    await withDiagnostics('faces-foreign', page, async () => {
      await login(page, 'pharmacien@val-de-cher.demo');
      await page.goto('/annuaire');
      const row = page.getByRole('button', { name: 'Voir le profil de Karim Benali' });
      await row.waitFor();
      await row.click();
      const card = page.getByRole('dialog', { name: 'Karim Benali' });
      await card.getByText('CPTS Val de Cher').waitFor();
      assert.match(await card.textContent(), /RPPS/, 'same CPTS: the RPPS shows');
      await card.getByRole('button', { name: 'Fermer' }).click();
      // Marc (Loire Nord) shares only a group with Julien: no RPPS.
      const { conversations } = await apiJSON(page, '/api/v1/conversations');
      const conv = conversations.find((c) => c.participants.some((p) => p.name === 'Marc Lefèvre'));
      await page.goto(`/messages/${conv.id}`);
      const msg = mainList(page).locator('article.message', { hasText: 'atelier BPCO' });
      await msg.getByRole('button', { name: 'Marc Lefèvre' }).click();
      const marc = page.getByRole('dialog', { name: 'Marc Lefèvre' });
      await marc.getByText(/Mably/).waitFor();
      await waitFor(async () => !(await marc.getByText('Chargement du profil…').count()), { what: 'the card loaded' });
      assert.doesNotMatch(await marc.textContent(), /RPPS/, 'no shared CPTS: no RPPS');
    });
  });

  test('7. the composer says "Écrire à Julien Perrin…" in a direct conversation and "#général" in a channel', { timeout: 60_000 }, async () => {
    const page = await newPage(laptop);
    await withDiagnostics('composer', page, async () => {
      await login(page, physio);
      await openChannel(page, ids.general, 'général');
      assert.equal(await page.getByRole('textbox', { name: 'Écrire dans général' }).getAttribute('placeholder'), 'Écrire dans #général…');
      await sidebarOf(page).locator('a[href^="/messages/"]', { hasText: 'Julien Perrin' }).click();
      const box = page.getByRole('textbox', { name: 'Écrire à Julien Perrin' });
      await box.waitFor();
      assert.equal(await box.getAttribute('placeholder'), 'Écrire à Julien Perrin…');
      await shot(page, 'composer-direct-1366');
    });
  });

  test('8. replying in a thread turns "Suivre" into "Ne plus suivre" at once', { timeout: 60_000 }, async () => {
    const page = await newPage(laptop);
    await withDiagnostics('follow', page, async () => {
      await login(page, physio);
      await openChannel(page, ids.general, 'général');
      // Marc did not reply to the welcome message: he does not follow it.
      const root = mainList(page).locator('article.message', { hasText: 'Bienvenue sur e-CPTS' });
      await root.hover();
      await root.getByRole('button', { name: 'Répondre' }).click();
      const panel = page.locator('.thread-panel');
      const follow = panel.getByRole('button', { name: 'Suivre', exact: true });
      await follow.waitFor();
      assert.equal(await follow.getAttribute('aria-pressed'), 'false');
      const box = panel.getByRole('textbox');
      await box.fill(uniq('Profil complété, merci'));
      await box.press('Enter');
      await panel.getByRole('button', { name: 'Ne plus suivre' }).waitFor({ timeout: 5_000 });
      assert.equal(await panel.getByRole('button', { name: 'Ne plus suivre' }).getAttribute('aria-pressed'), 'true');
    });
  });

  for (const [size, viewport] of [
    ['1366', laptop],
    ['390', phone],
  ]) {
    test(`8. at ${size}px the offline banner leaves the channel title in sight`, { timeout: 60_000 }, async () => {
      const page = await newPage(viewport);
      await withDiagnostics(`offline-${size}`, page, async () => {
        await login(page, nurse);
        await openChannel(page, ids.general, 'général');
        await page.context().setOffline(true);
        const banner = page.locator('.conn .banner');
        await banner.waitFor({ timeout: 30_000 });
        const b = await banner.boundingBox();
        const h = await page.getByRole('heading', { level: 1, name: 'général' }).boundingBox();
        assert.ok(b && h, 'banner and title both shown');
        assert.ok(b.y + b.height <= h.y + 0.5, `the banner (bottom ${b.y + b.height}) ends above the title (top ${h.y})`);
        const box = await page.getByRole('textbox', { name: 'Écrire dans général' }).boundingBox();
        assert.ok(box && box.y + box.height <= viewport.height, 'the composer stays on screen');
        await shot(page, `offline-banner-${size}`);
        await page.context().setOffline(false);
        await banner.waitFor({ state: 'detached', timeout: 30_000 });
      });
    });
  }

  test('8. long sidebar names end in an ellipsis and carry their full name as a tooltip', { timeout: 60_000 }, async () => {
    const page = await newPage(laptop);
    await withDiagnostics('tooltip', page, async () => {
      await login(page, nurse);
      const link = channelLink(page, ids.snp);
      await link.waitFor();
      assert.equal(await link.getAttribute('title'), 'soins-non-programmés');
      const label = link.locator('.label');
      const style = await label.evaluate((el) => ({ overflow: getComputedStyle(el).textOverflow, ws: getComputedStyle(el).whiteSpace }));
      assert.deepEqual(style, { overflow: 'ellipsis', ws: 'nowrap' });
      for (const a of await sidebarOf(page).locator('a.channel').all()) {
        assert.ok(await a.getAttribute('title'), `${await a.textContent()} has a tooltip`);
      }
    });
  });

  for (const [size, viewport] of [
    ['1366', laptop],
    ['390', phone],
  ]) {
    test(`8. at ${size}px the emoji picker: lazy French data set, search, categories, recent first`, { timeout: 90_000 }, async () => {
      const page = await newPage(viewport);
      await withDiagnostics(`emoji-${size}`, page, async () => {
        const chunks = [];
        page.on('response', (r) => {
          if (/\/assets\/.*\.js$/.test(r.url())) chunks.push(r.url());
        });
        await login(page, coordinator);
        await openChannel(page, ids.snp, 'soins-non-programmés');
        const before = chunks.length;
        const open = page.getByRole('button', { name: 'Insérer un emoji' });
        await open.click();
        const pop = page.locator('.picker .popover');
        const search = pop.getByRole('searchbox', { name: 'Rechercher un emoji' });
        await search.waitFor();
        // The data set comes with the first opening, as chunks of its own.
        await pop.getByRole('group', { name: 'Catégories' }).waitFor();
        assert.ok(chunks.length > before, `the emoji data loaded on opening (${chunks.slice(before).join(', ')})`);
        assert.ok((await pop.getByRole('group', { name: 'Catégories' }).getByRole('button').count()) >= 8, 'categories');
        await pop.getByRole('heading', { name: /voyages et lieux/i }).waitFor({ state: 'attached' });
        await pop.getByRole('group', { name: 'Catégories' }).getByRole('button', { name: 'objets' }).click();
        await search.fill('stéthoscope');
        await pop.getByRole('button', { name: 'stéthoscope', exact: true }).waitFor();
        await search.fill('coeur rouge');
        const heart = pop.getByRole('button', { name: 'cœur rouge', exact: true });
        await heart.waitFor();
        await shot(page, `emoji-search-${size}`);
        await heart.click();
        await pop.waitFor({ state: 'detached' });
        const box = page.getByRole('textbox', { name: 'Écrire dans soins-non-programmés' });
        assert.match(await box.inputValue(), /❤️/);
        // Reopened: the recent ones come first, the heart at their head.
        await open.click();
        await pop.getByRole('heading', { name: 'Récents' }).waitFor();
        const first = pop.locator('section[data-group="recent"] .grid button').first();
        assert.equal(await first.textContent(), '❤️');
        assert.equal(await first.getAttribute('title'), 'cœur rouge');
        await shot(page, `emoji-recent-${size}`);
        await page.keyboard.press('Escape');
        await pop.waitFor({ state: 'detached' });
      });
    });
  }
});
