// Browser tests of files in the chat against the real binary with the
// demo data: the nurse of CPTS Loire Nord uploads a PNG (upload slowed
// down so that the progress bar shows, and one upload cancelled) and a
// PDF in "général", sends them; the coordinator sees the thumbnail, opens
// it in the viewer and previews the PDF (drawn by pdf.js); the Val de Cher
// pharmacist gets nothing by the file URLs. Nothing is stubbed.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import {
  apiJSON,
  canvasDrawn,
  channelNamed,
  cptsNamed,
  loggedInPage,
  login,
  newContext,
  openChannel,
  startAll,
  stopAll,
  waitFor,
  withDiagnostics as diagnose,
} from './harness.mjs';

const coordinator = 'coordination@loire-nord.demo';
const nurse = 'infirmiere@loire-nord.demo';
const pharmacist = 'pharmacien@val-de-cher.demo';

let server;
let browser;
let ctxB; // the nurse's context
let pageA; // the coordinator
let pageB; // the nurse
let ids;
const run = Date.now().toString(36);

// ------------------------------------------------------------ test files

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** An RGB PNG of w×h; noisy pixels do not compress, so the file is large. */
function png(w, h, noisy) {
  const raw = noisy ? randomBytes((w * 3 + 1) * h) : Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0; // filter: none
    if (noisy) continue;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = x % 256;
      raw[o + 1] = y % 256;
      raw[o + 2] = 180;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const pdf = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n' +
    '4 0 obj<</Length 44>>stream\nBT /F1 24 Tf 40 70 Td (Protocole) Tj ET\nendstream endobj\n' +
    '5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

// ------------------------------------------------------------ helpers

const context = () => newContext(browser, server, { timeout: 20_000 });

/** Runs fn; on failure adds screenshots and the server's last output. */
const withDiagnostics = (name, pages, fn) => diagnose(server, 'files', name, pages, fn);

const picker = (page) => page.locator('form.composer input[type="file"]');

// ------------------------------------------------------------ tests

describe('files in the chat', { concurrency: false }, () => {
  before(async () => {
    ({ server, browser } = await startAll());
    pageA = await loggedInPage(browser, server, coordinator, { timeout: 20_000 });
    pageB = await loggedInPage(browser, server, nurse, { timeout: 20_000 });
    ctxB = pageB.context();
    const loire = await cptsNamed(pageA, 'CPTS Loire Nord');
    const general = await channelNamed(pageA, loire.id, 'général');
    ids = { general: general.id };
  });

  after(() => stopAll(browser, server));

  let files; // the sent message's files, from the API

  test('the nurse uploads a PNG (progress bar, cancel) and a PDF, and sends them', async () => {
    await withDiagnostics('upload', { nurse: pageB }, async () => {
      await openChannel(pageB, ids.general, 'général', { composer: true });
      const big = png(700, 500, true); // about 1 MB
      assert.ok(big.length > 900_000, `noisy PNG of ${big.length} bytes`);
      // Slow uploads down so that the progress shows.
      const cdp = await ctxB.newCDPSession(pageB);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 300 * 1024 });

      // One upload cancelled: it goes from the list.
      await picker(pageB).setInputFiles({ name: 'annule.png', mimeType: 'image/png', buffer: big });
      const cancelled = pageB.locator('form.composer li', { hasText: 'annule.png' });
      await cancelled.locator('progress').waitFor();
      await cancelled.getByRole('button', { name: 'Annuler l’envoi' }).click();
      await cancelled.waitFor({ state: 'detached' });

      // The photo: a visible progress bar, moving, then done.
      await picker(pageB).setInputFiles({ name: 'plaie-talon.png', mimeType: 'image/png', buffer: big });
      const item = pageB.locator('form.composer li', { hasText: 'plaie-talon.png' });
      const bar = item.getByRole('progressbar', { name: 'Envoi de plaie-talon.png' });
      await bar.waitFor({ state: 'visible' });
      await waitFor(async () => Number(await bar.getAttribute('value').catch(() => '0')) > 0, { what: 'the progress bar to move' });
      await item.getByRole('button', { name: 'Retirer plaie-talon.png' }).waitFor({ timeout: 30_000 });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

      await picker(pageB).setInputFiles({ name: 'protocole-plaies.pdf', mimeType: 'application/pdf', buffer: pdf });
      await pageB.locator('form.composer li', { hasText: 'protocole-plaies.pdf' }).getByRole('button', { name: 'Retirer protocole-plaies.pdf' }).waitFor();

      const caption = `Photo et protocole ${run}`;
      const box = pageB.getByRole('textbox', { name: 'Écrire dans général' });
      await box.fill(caption);
      await box.press('Enter');
      const msg = pageB.locator('article.message:not(.pending)', { hasText: caption });
      await msg.waitFor();
      // The composer's list is empty again.
      assert.equal(await pageB.locator('form.composer li').count(), 0);

      const page = await apiJSON(pageB, `/api/v1/channels/${ids.general}/messages`);
      const sent = page.messages.find((m) => m.body === caption);
      assert.ok(sent, 'the message is stored');
      assert.deepEqual(
        sent.files.map((f) => [f.name, f.kind]),
        [
          ['plaie-talon.png', 'image'],
          ['protocole-plaies.pdf', 'pdf'],
        ],
      );
      files = sent.files;
    });
  });

  test('the coordinator sees the thumbnail, opens the viewer and previews the PDF', async () => {
    await withDiagnostics('view', { coordinator: pageA }, async () => {
      await openChannel(pageA, ids.general, 'général', { composer: true });
      const msg = pageA.locator('article.message', { hasText: `Photo et protocole ${run}` });
      await msg.waitFor();
      const thumb = msg.getByRole('button', { name: 'Agrandir l’image plaie-talon.png' });
      const img = thumb.locator('img');
      await waitFor(() => img.evaluate((el) => el.complete && el.naturalWidth > 0), { what: 'the thumbnail to load' });
      assert.ok((await img.evaluate((el) => el.naturalWidth)) <= 320, 'a thumbnail, not the photo');
      assert.match(await img.getAttribute('src'), /\?thumb=1$/);

      await thumb.click();
      const dialog = pageA.getByRole('dialog', { name: 'plaie-talon.png' });
      await dialog.waitFor();
      const full = dialog.getByRole('img', { name: 'plaie-talon.png' });
      await waitFor(() => full.evaluate((el) => el.complete && el.naturalWidth === 700), { what: 'the full image in the viewer' });
      await dialog.getByRole('button', { name: 'Fermer' }).click();
      await dialog.waitFor({ state: 'hidden' });

      await msg.getByRole('button', { name: 'Aperçu' }).click();
      const canvas = msg.locator('figure canvas').first();
      await canvas.waitFor();
      // Drawn: dark pixels of the word "Protocole" on the white page.
      await canvasDrawn(canvas);
      assert.equal(await msg.getByRole('link', { name: 'protocole-plaies.pdf', exact: true }).getAttribute('href'), files[1].url);
    });
  });

  test('a Val de Cher member gets nothing by the file URLs', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    try {
      await login(page, pharmacist);
      for (const url of [files[0].url, files[0].thumb_url, files[1].url]) {
        const res = await page.request.get(url);
        assert.equal(res.status(), 404, `${url} answered ${res.status()}`);
        const body = await res.json();
        assert.equal(body.error.code, 'not_found');
        assert.ok(!res.headers()['content-disposition'], 'no file headers');
      }
      // Nor by opening the link in the browser.
      const res = await page.goto(files[1].url);
      assert.equal(res.status(), 404);
    } finally {
      await ctx.close();
    }
  });
});
