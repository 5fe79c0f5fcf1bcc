// Browser tests of the real-time chat against the real binary with the
// demo data: two professionals of CPTS Loire Nord in "général" (live
// messages, unread badges, threads, reactions, edit, delete, offline and
// resume), then a direct conversation across CPTS that must not leak any
// Loire Nord channel to the Val de Cher pharmacist. Nothing is stubbed:
// every frame comes from the server. Tests share one server and run in
// order; each makes its own messages (unique texts).

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  apiJSON,
  channelNamed,
  cptsNamed,
  csrf,
  frontendDir,
  loggedInPage,
  login,
  mainList,
  newContext,
  openChannel,
  startAll,
  stopAll,
  waitFor,
  withDiagnostics as diagnose,
} from './harness.mjs';

const coordinator = 'coordination@loire-nord.demo'; // Claire Morel
const nurse = 'infirmiere@loire-nord.demo'; // Sophie Garnier
const physio = 'kine@loire-nord.demo'; // Marc Lefèvre
const pharmacist = 'pharmacien@val-de-cher.demo'; // Julien Perrin

let server;
let browser;
let ctxB; // the nurse's context
let pageA; // the coordinator
let pageB; // the nurse
let ids; // { loire, general, snp }
const run = Date.now().toString(36);
const uniq = (s) => `${s} ${run}-${Math.random().toString(36).slice(2, 7)}`;

const context = (opts) => newContext(browser, server, opts);

const sidebarOf = (page) => page.locator('#barre-laterale');
const messageIn = (scope, text) => scope.locator('article.message', { hasText: text });

/** Opens a channel page and waits until its messages and composer are there. */
const openChat = (page, channelId, name) => openChannel(page, channelId, name, { composer: true });

async function send(page, name, text) {
  const box = page.getByRole('textbox', { name: `Écrire dans ${name}` });
  await box.fill(text);
  await box.press('Enter');
}

/** Waits until text is shown as a stored (not pending) message of the list. */
async function confirmed(page, text) {
  const m = mainList(page).locator('article.message:not(.pending)', { hasText: text });
  await m.waitFor();
  return m;
}

/** Waits until a member of the channel's side list shows this presence. */
async function memberPresence(page, name, state) {
  // The member panel opens on demand (its button in the channel header).
  const toggle = page.getByRole('button', { name: /^Membres \(\d+\)$/ });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.locator('#channel-side li', { hasText: name }).locator(`[data-presence="${state}"]`).waitFor();
}

/** Runs fn; on failure adds screenshots and the server's last output. */
const withDiagnostics = (name, pages, fn) => diagnose(server, 'chat', name, pages, fn);

describe('e-CPTS chat in two browsers', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
    pageA = await loggedInPage(browser, server, coordinator);
    pageB = await loggedInPage(browser, server, nurse);
    ctxB = pageB.context();
    const loire = await cptsNamed(pageA, 'CPTS Loire Nord');
    const general = await channelNamed(pageA, loire.id, 'général');
    const snp = await channelNamed(pageA, loire.id, 'soins-non-programmés');
    ids = { loire: loire.id, general: general.id, snp: snp.id };
  });

  after(() => stopAll(browser, server));

  test('a message appears at once for the other member; unread and mention badges elsewhere', { timeout: 120_000 }, async () => {
    await withDiagnostics('live', { A: pageA, B: pageB }, async () => {
      await openChat(pageA, ids.general, 'général');
      await openChat(pageB, ids.general, 'général');

      // Typing shows on the other side; "@" suggests people and professions.
      const boxA = pageA.getByRole('textbox', { name: 'Écrire dans général' });
      await boxA.pressSequentially('Je regarde ça @Soph');
      await pageB.getByText('Claire écrit…').waitFor();
      const suggestions = pageA.getByRole('listbox', { name: 'Suggestions de mention' });
      await suggestions.getByRole('option', { name: /Sophie Garnier/ }).waitFor();
      await boxA.press('Enter');
      assert.equal(await boxA.inputValue(), 'Je regarde ça @Sophie.Garnier ', 'Enter picks the suggestion, it does not send');
      await boxA.pressSequentially('et les @pharm');
      await suggestions.getByRole('option', { name: /@pharmaciens/ }).waitFor();
      await boxA.press('Tab');
      assert.equal(await boxA.inputValue(), 'Je regarde ça @Sophie.Garnier et les @pharmaciens ');
      // Shift+Enter is a new line, not a send.
      await boxA.press('Shift+Enter');
      assert.ok((await boxA.inputValue()).endsWith('\n'), 'Shift+Enter adds a line');
      await boxA.fill('');

      const hello = uniq('Bonjour à toutes et tous, réunion SNP jeudi');
      await send(pageA, 'général', hello);
      // The author sees it at once (pending, then stored), the nurse live.
      await messageIn(mainList(pageA), hello).waitFor();
      await confirmed(pageA, hello);
      const seen = messageIn(mainList(pageB), hello);
      await seen.waitFor();
      assert.equal(await seen.count(), 1, 'the nurse sees the message once');
      assert.match((await seen.textContent()) ?? '', /Claire Morel/, 'with its author');
      assert.match((await seen.textContent()) ?? '', /Médecin généraliste/, 'and her profession');
      assert.equal(new URL(pageB.url()).pathname, `/canaux/${ids.general}`, 'without leaving or reloading the page');
      // Both are online in each other's member list.
      await memberPresence(pageB, 'Claire Morel', 'online');
      await memberPresence(pageA, 'Sophie Garnier', 'online');

      // A message in a channel the nurse is not looking at: an unread badge.
      const snpLink = sidebarOf(pageB).locator(`a[href="/canaux/${ids.snp}"]`);
      const before = Number((await snpLink.getAttribute('data-unread')) ?? '0');
      await openChat(pageA, ids.snp, 'soins-non-programmés');
      const slot = uniq('Créneau SNP libre demain 9 h à Riorges');
      await send(pageA, 'soins-non-programmés', slot);
      await confirmed(pageA, slot);
      await waitFor(async () => Number((await snpLink.getAttribute('data-unread')) ?? '0') >= before + 1, {
        what: 'an unread badge on soins-non-programmés in the nurse sidebar',
      });
      await snpLink.locator('.unread-badge').waitFor();
      assert.ok(await snpLink.evaluate((a) => a.classList.contains('unread')), 'the channel name is bold');

      // A mention of the nurse: a distinct mention badge.
      const mention = uniq('@Sophie.Garnier pouvez-vous prendre ce créneau ?');
      await send(pageA, 'soins-non-programmés', mention);
      await confirmed(pageA, mention);
      await waitFor(async () => Number((await snpLink.getAttribute('data-mentions')) ?? '0') >= 1, {
        what: 'a mention badge on soins-non-programmés',
      });
      await snpLink.locator('.mention-badge').waitFor();
      // The channel the nurse is reading gets no badge.
      const generalLink = sidebarOf(pageB).locator(`a[href="/canaux/${ids.general}"]`);
      assert.equal(await generalLink.getAttribute('data-unread'), '0', 'the channel on screen stays read');

      // Opening the channel reads it: the badges go away, here and on the server.
      await snpLink.click();
      await pageB.waitForURL(`**/canaux/${ids.snp}`);
      await messageIn(mainList(pageB), mention).waitFor();
      // The "Nouveaux messages" divider sits at her read marker: what she
      // had not read (the new slot at least) comes after it.
      const divider = mainList(pageB).locator('.new-divider');
      await divider.waitFor();
      const slotItem = messageIn(mainList(pageB), slot);
      const after = await divider.evaluate(
        (li, el) => Boolean(li.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING),
        await slotItem.elementHandle(),
      );
      assert.ok(after, 'the unread slot comes after the divider');
      await waitFor(async () => (await snpLink.getAttribute('data-unread')) === '0' && (await snpLink.getAttribute('data-mentions')) === '0', {
        what: 'the badges to clear once the channel is read',
      });
      await waitFor(
        async () => {
          const { channels } = await apiJSON(pageB, '/api/v1/unread');
          const u = channels.find((c) => c.channel_id === ids.snp);
          return u && u.unread === 0 && u.mentions === 0;
        },
        { what: 'GET /unread to agree that soins-non-programmés is read' },
      );
    });
  });

  test('a reply in a thread: count, panel, follow and unfollow, followed threads and replies views', { timeout: 120_000 }, async () => {
    await withDiagnostics('thread', { A: pageA, B: pageB }, async () => {
      await openChat(pageA, ids.general, 'général');
      await openChat(pageB, ids.general, 'général');
      const rootText = uniq('Qui peut voir Mme D. à sa sortie lundi ?');
      // The root's author follows her thread (the server decides): its
      // replies count in her "Fils suivis" badge until she reads them.
      const followedA = sidebarOf(pageA).locator('a[href="/fils"]');
      const followedBefore = Number((await followedA.getAttribute('data-unread')) ?? '0');
      await send(pageA, 'général', rootText);
      await confirmed(pageA, rootText);

      // The nurse answers in the thread.
      const root = messageIn(mainList(pageB), rootText);
      await root.waitFor();
      await root.hover();
      await root.getByRole('button', { name: 'Répondre dans un fil' }).click();
      const panelB = pageB.locator('.thread-panel');
      await panelB.getByRole('heading', { name: 'Fil de discussion' }).waitFor();
      await messageIn(panelB, rootText).waitFor();
      const reply = uniq('Je passe lundi matin pour le pansement.');
      const replyBox = panelB.getByRole('textbox', { name: 'Répondre dans le fil…' });
      await replyBox.fill(reply);
      await replyBox.press('Enter');
      await panelB.locator('article.message:not(.pending)', { hasText: reply }).waitFor();
      // The reply stays in the thread, not in the channel's list.
      assert.equal(await messageIn(mainList(pageB), reply).count(), 0, 'the reply is not in the main list');

      // The coordinator sees the count on her message, then the reply in the panel.
      const rootA = messageIn(mainList(pageA), rootText);
      const count = rootA.getByRole('button', { name: /1 réponse/ });
      await count.waitFor();
      await waitFor(async () => Number(await followedA.getAttribute('data-unread')) === followedBefore + 1, {
        what: '"Fils suivis" to count the reply to her thread',
      });
      // Reading the panel marks the thread read once, not in a loop.
      const threadReads = [];
      const pageErrors = [];
      const onRequest = (r) => r.url().includes('/thread-read') && threadReads.push(r.url());
      const onError = (e) => pageErrors.push(e.message);
      pageA.on('request', onRequest);
      pageA.on('pageerror', onError);
      await count.click();
      const panelA = pageA.locator('.thread-panel');
      await panelA.locator('article.message', { hasText: reply }).waitFor();
      assert.match((await panelA.textContent()) ?? '', /Sophie Garnier/);
      await waitFor(async () => Number(await followedA.getAttribute('data-unread')) === followedBefore, {
        what: '"Fils suivis" to drop the thread once read',
      });
      pageA.off('request', onRequest);
      pageA.off('pageerror', onError);
      assert.deepEqual(pageErrors, [], 'no script error while the panel is open');
      assert.ok(threadReads.length >= 1 && threadReads.length <= 2, `the thread is marked read once (${threadReads.length} requests)`);

      // The author of the root follows her thread; unfollow, then follow again.
      const rootId = await rootA.getAttribute('data-id');
      assert.ok(rootId, 'the root has an id');
      const follow = panelA.getByRole('button', { name: /^(Suivre|Ne plus suivre)$/ });
      await waitFor(async () => (await follow.getAttribute('aria-pressed')) === 'true', { what: 'the root author to follow the thread' });
      await follow.click();
      await waitFor(async () => (await follow.getAttribute('aria-pressed')) === 'false', { what: 'unfollow' });
      let followed = await apiJSON(pageA, '/api/v1/threads');
      assert.ok(!followed.threads.some((t) => t.root.id === rootId), 'GET /threads no longer lists the thread');
      await follow.click();
      await waitFor(async () => (await follow.getAttribute('aria-pressed')) === 'true', { what: 'follow again' });
      followed = await apiJSON(pageA, '/api/v1/threads');
      assert.ok(followed.threads.some((t) => t.root.id === rootId), 'GET /threads lists the thread again');

      // Escape closes the panel.
      await pageA.keyboard.press('Escape');
      await panelA.waitFor({ state: 'detached' });

      // "Fils suivis" and "Réponses à mes messages".
      await sidebarOf(pageA).getByRole('link', { name: /Fils suivis/ }).click();
      await pageA.waitForURL('**/fils');
      await pageA.locator('.thread-list li', { hasText: rootText }).waitFor();
      await sidebarOf(pageA).getByRole('link', { name: /Réponses à mes messages/ }).click();
      await pageA.waitForURL('**/reponses');
      const item = pageA.locator('.reply-list li', { hasText: reply });
      await item.waitFor();
      await item.getByRole('link', { name: 'Ouvrir le fil' }).click();
      await pageA.waitForURL((u) => u.pathname === `/canaux/${ids.general}` && u.searchParams.get('fil') === rootId);
      await pageA.locator('.thread-panel article.message', { hasText: reply }).waitFor();

      // README's picture (make screenshot): a channel with its thread open.
      if (process.env.ECPTS_SCREENSHOT) {
        await pageA.screenshot({ path: path.resolve(frontendDir, '..', 'docs', 'screenshot.png') });
      }
    });
  });

  test('reactions, edit with history, delete', { timeout: 120_000 }, async () => {
    await withDiagnostics('edit', { A: pageA, B: pageB }, async () => {
      await openChat(pageA, ids.general, 'général');
      await openChat(pageB, ids.general, 'général');
      const original = uniq('Protocole cystite : version à relire');
      await send(pageA, 'général', original);
      await confirmed(pageA, original);
      const onB = messageIn(mainList(pageB), original);
      await onB.waitFor();

      // The nurse reacts 👍; the coordinator sees the count.
      await onB.hover();
      await onB.getByRole('button', { name: 'Réagir' }).click();
      await pageB.getByRole('button', { name: 'pouce vers le haut', exact: true }).first().click();
      const chipB = onB.locator('button.chip[data-emoji="👍"]');
      await chipB.waitFor();
      assert.equal(await chipB.getAttribute('aria-pressed'), 'true', 'her reaction is marked as hers');
      const onA = messageIn(mainList(pageA), original);
      const chipA = onA.locator('button.chip[data-emoji="👍"]');
      await chipA.waitFor();
      assert.equal((await chipA.locator('.count').textContent())?.trim(), '1');
      assert.equal(await chipA.getAttribute('aria-pressed'), 'false', 'not the coordinator’s reaction');

      // The coordinator edits her message; the nurse sees the new text and "modifié".
      const edited = uniq('Protocole cystite : version validée');
      await onA.hover();
      await onA.getByRole('button', { name: 'Modifier' }).click();
      const editor = pageA.getByRole('textbox', { name: 'Modifier le message' });
      await editor.fill(edited);
      await editor.press('Enter');
      const editedB = messageIn(mainList(pageB), edited);
      await editedB.waitFor();
      await editedB.getByRole('button', { name: '(modifié)' }).waitFor();
      assert.equal(await messageIn(mainList(pageB), original).count(), 0, 'the old text is gone from the list');
      // The previous version is kept.
      await editedB.getByRole('button', { name: '(modifié)' }).click();
      const history = pageB.getByRole('dialog', { name: 'Versions précédentes' });
      await history.getByText(original).waitFor();
      await history.getByRole('button', { name: 'Fermer' }).click();
      await history.waitFor({ state: 'hidden' });

      // ↑ in the empty composer edits my last message; Escape cancels.
      await pageA.getByRole('textbox', { name: 'Écrire dans général' }).press('ArrowUp');
      await pageA.getByRole('textbox', { name: 'Modifier le message' }).waitFor();
      await pageA.getByRole('textbox', { name: 'Modifier le message' }).press('Escape');
      await pageA.getByRole('textbox', { name: 'Modifier le message' }).waitFor({ state: 'detached' });

      // Delete, after a confirmation: "Message supprimé" for everyone.
      const toDelete = messageIn(mainList(pageA), edited);
      // Its id now: once deleted, its text (and so this locator) is gone.
      const id = await toDelete.getAttribute('data-id');
      assert.ok(id, 'the message has an id');
      await toDelete.hover();
      await toDelete.getByRole('button', { name: 'Supprimer' }).click();
      await pageA.getByRole('dialog', { name: 'Supprimer le message' }).getByRole('button', { name: 'Supprimer' }).click();
      const gone = mainList(pageB).locator(`article.message[data-id="${id}"]`);
      await gone.getByText('Message supprimé').waitFor();
      assert.equal(await messageIn(mainList(pageB), edited).count(), 0, 'the text is gone for the nurse');
      await mainList(pageA).locator(`article.message[data-id="${id}"]`).getByText('Message supprimé').waitFor();
    });
  });

  test('keyboard: arrows move between messages, Tab reaches their actions, Escape goes back', { timeout: 120_000 }, async () => {
    await withDiagnostics('keyboard', { A: pageA }, async () => {
      await openChat(pageA, ids.general, 'général');
      const text = uniq('Au clavier : qui a le protocole chutes ?');
      await send(pageA, 'général', text);
      const m = await confirmed(pageA, text);
      const focused = () =>
        pageA.evaluate(() => {
          const el = document.activeElement;
          return { tag: el?.tagName ?? '', label: el?.getAttribute('aria-label') ?? '', text: el?.textContent ?? '' };
        });
      // The list is one tab stop; ↑ goes to the newest message, then up and down.
      await mainList(pageA).focus();
      await pageA.keyboard.press('ArrowUp');
      let f = await focused();
      assert.equal(f.tag, 'ARTICLE');
      assert.ok(f.text.includes(text), 'the newest message has the focus');
      await pageA.keyboard.press('ArrowUp');
      assert.ok(!(await focused()).text.includes(text), '↑ moves to the message above');
      await pageA.keyboard.press('ArrowDown');
      assert.ok((await focused()).text.includes(text), '↓ comes back');
      // Tab goes into its actions, shown while it has the focus: first the
      // author's name (their profile card) when the message shows it.
      await pageA.keyboard.press('Tab');
      f = await focused();
      if (f.text === 'Claire Morel') {
        await pageA.keyboard.press('Tab');
        f = await focused();
      }
      assert.equal(f.label, 'Réagir');
      assert.ok(await m.getByRole('button', { name: 'Réagir' }).isVisible());
      // The picker opens on its search field; ↓ goes to the emoji, walked
      // with the arrows; Enter reacts.
      await pageA.keyboard.press('Enter');
      assert.equal((await focused()).label, 'Rechercher un emoji');
      await pageA.getByRole('button', { name: 'pouce vers le haut', exact: true }).first().waitFor();
      await pageA.keyboard.press('ArrowDown');
      assert.equal((await focused()).label, 'pouce vers le haut');
      await pageA.keyboard.press('ArrowRight');
      assert.equal((await focused()).label, 'cœur rouge');
      await pageA.keyboard.press('ArrowLeft');
      await pageA.keyboard.press('Enter');
      await m.locator('button.chip[data-emoji="👍"][aria-pressed="true"]').waitFor();
      // The reply button opens the thread; Escape closes it and gives the focus back to the message.
      await pageA.keyboard.press('Tab');
      assert.equal((await focused()).label, 'Répondre dans un fil');
      await pageA.keyboard.press('Enter');
      const panel = pageA.locator('.thread-panel');
      await panel.getByRole('heading', { name: 'Fil de discussion' }).waitFor();
      await pageA.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });
      assert.ok(await m.evaluate((el) => el.contains(document.activeElement)), 'the focus is back on the message');
      // Escape in the list: back to the composer.
      await mainList(pageA).focus();
      await pageA.keyboard.press('ArrowUp');
      await pageA.keyboard.press('Escape');
      assert.equal((await focused()).tag, 'TEXTAREA');
    });
  });

  test('offline, then back: "Reconnexion…", every missed message once and in order, the offline message delivered once', { timeout: 150_000 }, async () => {
    await withDiagnostics('offline', { A: pageA, B: pageB }, async () => {
      await openChat(pageA, ids.general, 'général');
      await openChat(pageB, ids.general, 'général');
      // The socket B opens when the network returns: what it asks, what it gets.
      const resumed = { sent: [], received: [] };
      const onSocket = (ws) => {
        ws.on('framesent', (ev) => resumed.sent.push(JSON.parse(String(ev.payload))));
        ws.on('framereceived', (ev) => {
          for (const line of String(ev.payload).split('\n')) if (line.trim()) resumed.received.push(JSON.parse(line));
        });
      };

      await ctxB.setOffline(true);
      await pageB.getByText(/Reconnexion…/).waitFor();
      // Her last connection closed: the coordinator sees her offline.
      await memberPresence(pageA, 'Sophie Garnier', 'offline');

      const missed = [uniq('Hors ligne 1 : planning'), uniq('Hors ligne 2 : garde'), uniq('Hors ligne 3 : astreinte')];
      for (const text of missed) {
        await send(pageA, 'général', text);
        await confirmed(pageA, text);
      }
      // The nurse writes while offline: shown at once, pending.
      const mine = uniq('Écrit sans réseau, à envoyer au retour');
      await send(pageB, 'général', mine);
      const pending = mainList(pageB).locator('article.message.pending', { hasText: mine });
      await pending.waitFor();
      assert.equal(await pending.getAttribute('data-state'), 'sending');
      await pending.getByText('En attente du réseau…').waitFor();
      for (const text of missed) {
        assert.equal(await messageIn(mainList(pageB), text).count(), 0, 'nothing arrives while offline');
      }
      assert.equal(await messageIn(mainList(pageA), mine).count(), 0, 'the offline message has not left');
      const missedSeqs = [];
      for (const text of missed) missedSeqs.push(Number(await messageIn(mainList(pageA), text).getAttribute('data-seq')));

      pageB.on('websocket', onSocket);
      await ctxB.setOffline(false);
      await waitFor(async () => (await pageB.getByText(/Reconnexion…/).count()) === 0, { what: 'the banner to go' });
      for (const text of missed) await messageIn(mainList(pageB), text).waitFor();
      await confirmed(pageB, mine);
      await messageIn(mainList(pageA), mine).waitFor();

      // Exactly once, in order, on both sides.
      const textsB = await mainList(pageB).locator('article.message').allTextContents();
      const at = missed.map((t) => textsB.findIndex((x) => x.includes(t)));
      for (const [i, t] of missed.entries()) {
        assert.equal(textsB.filter((x) => x.includes(t)).length, 1, `"${t}" once for the nurse`);
        assert.ok(at[i] >= 0);
      }
      assert.ok(at[0] < at[1] && at[1] < at[2], `in order (${at.join(', ')})`);
      assert.equal(textsB.filter((x) => x.includes(mine)).length, 1, 'her own message once for the nurse');
      pageB.off('websocket', onSocket);
      await memberPresence(pageA, 'Sophie Garnier', 'online');

      // The resume went by seq on the new socket: subscribe from before the
      // first missed message, the backlog carried each missed one once, and
      // the offline message went out with its client_id.
      const sub = resumed.sent.find((f) => f.type === 'subscribe' && f.channel === ids.general);
      assert.ok(sub, 'général is subscribed again');
      assert.ok(sub.since_seq < missedSeqs[0], `since_seq ${sub.since_seq} is before the first missed seq ${missedSeqs[0]}`);
      for (const seq of missedSeqs) {
        const n = resumed.received.filter((f) => f.type === 'message' && f.channel === ids.general && f.seq === seq).length;
        assert.equal(n, 1, `seq ${seq} replayed once on the socket`);
      }
      const out = resumed.sent.filter((f) => f.type === 'send' && f.body === mine);
      assert.equal(out.length, 1, 'the offline message is sent once on the new socket');
      assert.ok(
        resumed.received.some((f) => f.type === 'ack' && f.client_id === out[0].client_id),
        'and acknowledged by its client_id',
      );
      await waitFor(async () => (await mainList(pageB).locator('article.message.pending').count()) === 0, {
        what: 'no pending message left',
      });
      // Give any duplicate time to arrive before counting on the other side:
      // wait for a later message to travel the same path.
      const marker = uniq('Retour à la normale');
      await send(pageB, 'général', marker);
      await messageIn(mainList(pageA), marker).waitFor();
      const textsA = await mainList(pageA).locator('article.message').allTextContents();
      assert.equal(textsA.filter((x) => x.includes(mine)).length, 1, 'the coordinator sees it once');
      const { messages } = await apiJSON(pageA, `/api/v1/channels/${ids.general}/messages?limit=20`);
      assert.equal(messages.filter((m) => m.body === mine).length, 1, 'stored once on the server');
    });
  });

  test('a send the server never acknowledges is marked "Non envoyé" and "Renvoyer" delivers it once', { timeout: 120_000 }, async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    // A link that loses the nurse's sends (the socket itself stays up).
    let dropSends = true;
    await page.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        if (dropSends && typeof m === 'string' && m.includes('"type":"send"')) return;
        server.send(m);
      });
      server.onMessage((m) => ws.send(m));
    });
    await withDiagnostics('unsent', { A: pageA, nurse: page }, async () => {
      await login(page, nurse);
      await openChat(pageA, ids.general, 'général');
      await openChat(page, ids.general, 'général');
      const text = uniq('Envoyé sans accusé de réception');
      await send(page, 'général', text);
      const failed = mainList(page).locator('article.message.pending.failed', { hasText: text });
      await failed.waitFor({ timeout: 20_000 }); // after the 10 s ack timeout
      assert.match((await failed.textContent()) ?? '', /Non envoyé/);
      assert.equal(await messageIn(mainList(pageA), text).count(), 0, 'nothing reached the others');
      dropSends = false;
      await failed.getByRole('button', { name: 'Renvoyer' }).click();
      await confirmed(page, text);
      await messageIn(mainList(pageA), text).waitFor();
      await waitFor(async () => (await mainList(page).locator('article.message.pending').count()) === 0, { what: 'no pending copy left' });
      assert.equal(await messageIn(mainList(page), text).count(), 1, 'once for the author');
      assert.equal(await messageIn(mainList(pageA), text).count(), 1, 'once for the others');
    });
    await ctx.close();
  });

  test('an announcement channel has no composer for members; history loads upwards keeping the place', { timeout: 150_000 }, async () => {
    await withDiagnostics('history', { A: pageA, B: pageB }, async () => {
      const { channels } = await apiJSON(pageA, '/api/v1/channels');
      const annonces = channels.find((c) => c.cpts_id === ids.loire && c.name === 'annonces');
      assert.ok(annonces, 'Loire Nord has an announcement channel');
      await pageB.goto(`/canaux/${annonces.id}`);
      await pageB.getByRole('heading', { level: 1, name: 'annonces' }).waitFor();
      await pageB.getByText('Seule la coordination publie dans ce canal d’annonces.').waitFor();
      assert.equal(await pageB.getByRole('textbox', { name: /Écrire dans/ }).count(), 0, 'no composer for a member');
      await pageA.goto(`/canaux/${annonces.id}`);
      await pageA.getByRole('textbox', { name: 'Écrire dans annonces' }).waitFor();

      // 70 messages in a group channel, posted through REST.
      const chutes = channels.find((c) => c.name === 'prévention-chutes');
      assert.ok(chutes, 'the coordinator is in prévention-chutes');
      const token = await csrf(pageA);
      const tag = uniq('Historique');
      for (let i = 1; i <= 70; i++) {
        const res = await pageA.request.post(`/api/v1/channels/${chutes.id}/messages`, {
          headers: { 'X-CSRF-Token': token },
          data: { body: `${tag} n°${i}.`, client_id: crypto.randomUUID() },
        });
        assert.equal(res.status(), 201, `POST message ${i} answered ${res.status()}`);
      }
      // Read up to the end (no "Nouveaux messages" divider to scroll to),
      // then open the channel on a fresh page: it shows the bottom.
      const { last_seq: lastSeq } = await apiJSON(pageB, `/api/v1/channels/${chutes.id}/messages?limit=1`);
      const read = await pageB.request.post(`/api/v1/channels/${chutes.id}/read`, {
        headers: { 'X-CSRF-Token': await csrf(pageB) },
        data: { seq: lastSeq },
      });
      assert.equal(read.status(), 204);
      await openChat(pageB, chutes.id, 'prévention-chutes');
      const list = mainList(pageB);
      await messageIn(list, `${tag} n°70.`).waitFor();
      // The newest page only: 50 messages, the oldest of them n°21.
      assert.equal(await messageIn(list, `${tag} n°20.`).count(), 0, 'older messages are not loaded yet');
      const anchor = messageIn(list, `${tag} n°21.`);
      await anchor.waitFor();
      // Scroll to the top: the previous page arrives and n°21 stays where it was.
      await list.evaluate((el) => {
        el.scrollTop = 0;
        el.dispatchEvent(new Event('scroll'));
      });
      await messageIn(list, `${tag} n°1.`).waitFor();
      const [box, view] = [await anchor.boundingBox(), await list.boundingBox()];
      assert.ok(box && view && box.y >= view.y - 5 && box.y <= view.y + view.height, 'the message on screen before stays on screen');
      const texts = await list.locator('article.message').allTextContents();
      const pos = [1, 20, 21, 70].map((n) => texts.findIndex((t) => t.includes(`${tag} n°${n}.`)));
      assert.ok(pos.every((p, i) => p >= 0 && (i === 0 || p > pos[i - 1])), `in order (${pos.join(', ')})`);
      for (const n of [1, 20, 21, 70]) {
        assert.equal(texts.filter((t) => t.includes(`${tag} n°${n}.`)).length, 1, `n°${n} once`);
      }
    });
  });

  test('a direct conversation across CPTS: no Loire Nord channel ever reaches the Val de Cher pharmacist', { timeout: 150_000 }, async () => {
    const ctxK = await context();
    const ctxP = await context();
    const pageK = await ctxK.newPage();
    const pageP = await ctxP.newPage();
    // Every frame the pharmacist's page receives, from its first socket on.
    const frames = [];
    const sent = []; // and every frame it sends
    pageP.on('websocket', (ws) => {
      ws.on('framereceived', (ev) => {
        const data = typeof ev.payload === 'string' ? ev.payload : ev.payload.toString('utf8');
        for (const line of data.split('\n')) if (line.trim()) frames.push(JSON.parse(line));
      });
      ws.on('framesent', (ev) => {
        const data = typeof ev.payload === 'string' ? ev.payload : ev.payload.toString('utf8');
        for (const line of data.split('\n')) if (line.trim()) sent.push(JSON.parse(line));
      });
    });
    await withDiagnostics('direct', { kine: pageK, pharmacien: pageP }, async () => {
      // Loire Nord channels, as the coordinator sees them (archived too).
      const coordChannels = [
        ...(await apiJSON(pageA, '/api/v1/channels')).channels,
        ...(await apiJSON(pageA, '/api/v1/channels?archived=1')).channels,
      ];
      const loireChannels = coordChannels.filter((c) => c.cpts_id === ids.loire);
      const loireIds = new Set(loireChannels.map((c) => c.id));
      const loireOnlyNames = ['soins-non-programmés', 'sortie-hospitalisation', 'prévention-chutes'];
      assert.ok(loireIds.size >= 3);

      // The physiotherapist opens a conversation with the pharmacist (they share the inter-CPTS group).
      await login(pageK, physio);
      await sidebarOf(pageK).getByRole('button', { name: 'Nouvelle conversation' }).click();
      const dialog = pageK.getByRole('dialog', { name: 'Nouvelle conversation' });
      await dialog.getByLabel('Rechercher une personne').fill('Perrin');
      await dialog.getByLabel(/Julien Perrin/).check();
      await dialog.getByRole('button', { name: 'Ouvrir la conversation' }).click();
      await pageK.waitForURL('**/messages/*');
      const convId = new URL(pageK.url()).pathname.split('/').pop();
      await pageK.getByRole('heading', { level: 1, name: /Julien Perrin/ }).waitFor();
      const hello = uniq('Bonjour Julien, pour le patient BPCO : inhalateur revu ?');
      const boxK = pageK.getByRole('textbox', { name: /Écrire à Julien Perrin/ });
      await boxK.fill(hello);
      await boxK.press('Enter');
      await confirmed(pageK, hello);

      // The pharmacist logs in: the conversation is in his sidebar, unread.
      await login(pageP, pharmacist);
      const convLink = sidebarOf(pageP).locator(`a[href="/messages/${convId}"]`);
      await convLink.waitFor();
      assert.match((await convLink.textContent()) ?? '', /Marc Lefèvre/);
      await waitFor(async () => Number((await convLink.getAttribute('data-unread')) ?? '0') >= 1, {
        what: 'an unread badge on the conversation',
      });
      await convLink.click();
      await pageP.waitForURL(`**/messages/${convId}`);
      await messageIn(mainList(pageP), hello).waitFor();
      const answer = uniq('Oui, revu ce matin, technique correcte.');
      const boxP = pageP.getByRole('textbox', { name: /Écrire à Marc Lefèvre/ });
      await boxP.fill(answer);
      await boxP.press('Enter');
      await confirmed(pageP, answer);
      await messageIn(mainList(pageK), answer).waitFor();

      // The pharmacist's general channel of Val de Cher, to look around.
      const mine = (await apiJSON(pageP, '/api/v1/channels')).channels;
      for (const c of mine) assert.ok(!loireIds.has(c.id), `GET /channels leaks Loire Nord channel ${c.id}`);
      const vcGeneral = mine.find((c) => c.name === 'général');
      if (vcGeneral) await openChat(pageP, vcGeneral.id, 'général');

      // Nothing of Loire Nord on his page…
      const text = (await pageP.locator('body').textContent()) ?? '';
      for (const name of loireOnlyNames) assert.ok(!text.includes(name), `the page shows "${name}"`);
      assert.ok(!/\bbureau\b/.test(text), 'the page shows "bureau"');
      assert.ok(!text.includes('CPTS Loire Nord'), 'the page names CPTS Loire Nord');
      // …nor on his socket, which did carry the conversation.
      assert.ok(frames.some((f) => f.channel === convId), 'frames of the conversation were recorded');
      for (const f of frames) {
        assert.ok(!loireIds.has(f.channel), `a ${f.type} frame for Loire Nord channel ${f.channel}`);
        if (f.message) assert.ok(!loireIds.has(f.message.channel_id), `a message of Loire Nord channel ${f.message.channel_id}`);
        if (f.ref) assert.ok(!loireIds.has(f.ref), `an error about Loire Nord channel ${f.ref}`);
      }

      // The physiotherapist leaves the inter-CPTS group: they share nothing
      // any more. Both pages turn the conversation read-only at once, its
      // history still there.
      await pageP.goto(`/messages/${convId}`);
      await messageIn(mainList(pageP), answer).waitFor();
      await pageP.getByRole('textbox', { name: /Écrire à Marc Lefèvre/ }).waitFor();
      const { groups } = await apiJSON(pageA, '/api/v1/groups');
      const bpco = groups.find((g) => g.name === 'Parcours BPCO inter-CPTS');
      assert.ok(bpco, 'the coordinator runs the BPCO group');
      const kineId = (await apiJSON(pageK, '/api/v1/me')).user.id;
      const gone = await pageA.request.delete(`/api/v1/groups/${bpco.id}/members/${kineId}`, {
        headers: { 'X-CSRF-Token': await csrf(pageA) },
      });
      assert.equal(gone.status(), 204);
      for (const [page, other] of [
        [pageK, 'Julien Perrin'],
        [pageP, 'Marc Lefèvre'],
      ]) {
        await page
          .getByText(`Cette conversation est en lecture seule : vous ne partagez plus de CPTS ou de groupe avec ${other}.`)
          .waitFor();
        assert.equal(await page.getByRole('textbox', { name: /Écrire (dans|à)/ }).count(), 0, 'no composer');
        await messageIn(mainList(page), hello).waitFor();
      }
      // The read-only conversation is not subscribed to again and again
      // (the server would refuse each time): once the page has settled,
      // at most one more try.
      const subscribes = () => sent.filter((f) => f.type === 'subscribe' && f.channel === convId).length;
      const settled = subscribes();
      await pageP.waitForTimeout(1_500);
      assert.ok(subscribes() <= settled + 1, `${subscribes() - settled} more subscribes to the read-only conversation`);
      // Back into the group for what follows.
      const back = await pageA.request.post(`/api/v1/groups/${bpco.id}/members`, {
        headers: { 'X-CSRF-Token': await csrf(pageA) },
        data: { user_id: kineId },
      });
      assert.equal(back.status(), 201);
    });
    await ctxK.close();
    await ctxP.close();
  });

  test('a new group conversation appears at once for the others, with its first message unread', { timeout: 120_000 }, async () => {
    await withDiagnostics('new-conversation', { coordinatrice: pageA, infirmiere: pageB }, async () => {
      // The coordinator's page stays where it is, never reloaded.
      const before = (await apiJSON(pageA, '/api/v1/conversations')).conversations ?? [];
      await sidebarOf(pageB).getByRole('button', { name: 'Nouvelle conversation' }).click();
      const dialog = pageB.getByRole('dialog', { name: 'Nouvelle conversation' });
      for (const who of ['Morel', 'Lefèvre']) {
        await dialog.getByLabel('Rechercher une personne').fill(who);
        await dialog.getByLabel(new RegExp(who)).check();
      }
      await dialog.getByRole('button', { name: 'Ouvrir la conversation' }).click();
      await pageB.waitForURL('**/messages/*');
      const convId = new URL(pageB.url()).pathname.split('/').pop();
      assert.ok(!before.some((c) => c.id === convId), 'a new conversation, not one the coordinator had');
      const link = sidebarOf(pageA).locator(`a[href="/messages/${convId}"]`);
      await link.waitFor({ timeout: 5_000 }); // well before any poll: the server said so
      const hello = uniq('Petit point sur la sortie de M. R. demain ?');
      const box = pageB.getByRole('textbox', { name: /Écrire à / });
      await box.fill(hello);
      await box.press('Enter');
      await confirmed(pageB, hello);
      await waitFor(async () => Number((await link.getAttribute('data-unread')) ?? '0') >= 1, {
        what: 'an unread badge on the new conversation',
      });
      await link.click();
      await messageIn(mainList(pageA), hello).waitFor();
    });
  });

  test('on a phone the thread panel covers the screen and Escape closes it', { timeout: 120_000 }, async () => {
    const ctx = await context({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    await withDiagnostics('phone', { phone: page }, async () => {
      await login(page, nurse);
      await openChat(page, ids.general, 'général');
      const text = uniq('Depuis mon téléphone');
      await send(page, 'général', text);
      const m = await confirmed(page, text);
      // No hover on a touch screen: a message's actions take no room until
      // it is tapped.
      const replyButton = m.getByRole('button', { name: 'Répondre dans un fil' });
      assert.equal(await replyButton.isVisible(), false, 'the actions are hidden before a tap');
      await m.tap({ position: { x: 6, y: 6 } });
      await replyButton.tap();
      const panel = page.locator('.thread-panel');
      await panel.getByRole('heading', { name: 'Fil de discussion' }).waitFor();
      const box = await panel.boundingBox();
      assert.ok(box && box.width >= 370, `the panel takes the whole width (${box?.width}px)`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at 375px (overflow ${overflow}px)`);
      await page.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });

      // The member list covers the page, its own toggle too: it has a close button.
      await page.getByRole('button', { name: /^Membres \(\d+\)$/ }).tap();
      const side = page.locator('#channel-side');
      await side.getByRole('heading', { name: /Membres/ }).waitFor();
      const close = page.locator('.side-close').getByRole('button', { name: 'Fermer' });
      assert.ok(await close.evaluate((el) => el === document.activeElement), 'the close button has the focus');
      await close.tap();
      await side.waitFor({ state: 'hidden' });
    });
    await ctx.close();
  });
});
