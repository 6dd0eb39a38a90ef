// Scenario 4: a shopper signs up and gets a voucher; the clerk logs in at the counter and
// redeems it by a USB scanner (keystrokes into the code field), sees it refused the second time,
// then redeems another voucher with the counter page's camera (chromium's fake camera playing a
// video of the voucher's QR code).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import {
  decodeQrPng,
  launchBrowser,
  onPage,
  renderQrVideo,
  saveScreenshot,
  useAgentAndBrowser,
} from './harness.mjs';

const session = useAgentAndBrowser({ needDecoder: true });
const DESK = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, isMobile: false, hasTouch: false };

// Signs up on a phone page; returns the voucher's token as the page shows it.
async function signUpForVoucher(page, base, phone) {
  await page.goto(`${base}/signup?channel=COUNTER-CARD`);
  await page.locator('#name').fill('Grace Hopper');
  await page.locator('#phone').fill(phone);
  await page.locator('#consent_service').check();
  await Promise.all([page.waitForURL(/\/v\/V1\./), page.locator('button[type=submit]').click()]);
  const token = decodeURIComponent(new URL(page.url()).pathname.slice('/v/'.length));
  const shown = (await page.locator('#token').textContent()).replace(/\s+/g, '');
  assert.equal(shown, token, 'the code under the QR is the token, for typing');
  return token;
}

async function logIn(page, counterUrl, pin) {
  await page.goto(counterUrl);
  await page.locator('#staff').fill('demo');
  await page.locator('#pin').fill(pin);
  await Promise.all([page.waitForURL(counterUrl), page.locator('button[type=submit]').click()]);
  await page.locator('#code').waitFor();
}

test('a voucher is shown to the shopper and redeemed once at the counter', { timeout: 90_000 }, async () => {
  const { agent, browser } = session;
  assert.ok(agent.counterUrl && agent.demoPin, 'the banner names the counter and the demo PIN');

  const token = await onPage(browser.context, 'voucher', async (page) => {
    const token = await signUpForVoucher(page, agent.base, '139 0000 1111');
    await page.locator('#gift', { hasText: 'Welcome gift' }).waitFor();
    const shot = await saveScreenshot(page.locator('#voucher-qr'), 'counter-1-voucher-qr');
    assert.deepEqual(await decodeQrPng(shot), [token], 'the QR on the phone reads as the token');
    await saveScreenshot(page, 'counter-1-voucher', { fullPage: true });
    return token;
  });

  const desk = await launchBrowser(DESK);
  try {
    await onPage(desk.context, 'counter', async (page) => {
      await page.goto(agent.counterUrl);
      await page.locator('#pin').fill('000000x');
      await page.locator('#staff').fill('demo');
      await page.locator('button[type=submit]').click();
      await page.locator('#login-error').waitFor();
      await logIn(page, agent.counterUrl, agent.demoPin);

      // A keyboard-wedge scanner: the whole code in a burst of keystrokes, then Enter.
      await page.locator('#code').pressSequentially(token, { delay: 0 });
      await page.keyboard.press('Enter');
      const result = page.locator('#result');
      await page.locator('#result.redeemed').waitFor();
      assert.equal(await page.locator('#result-title').textContent(), 'Redeemed: Welcome gift');
      await saveScreenshot(page, 'counter-2-redeemed');

      // Typed again (slowly, by hand): refused, with who redeemed it and when.
      await page.locator('#code').pressSequentially(token.slice(0, 12), { delay: 60 });
      await page.locator('#code').pressSequentially(token.slice(12), { delay: 0 });
      await page.keyboard.press('Enter');
      await page.locator('#result.refused[data-reason=already_redeemed]').waitFor();
      assert.equal(await page.locator('#result-title').textContent(), 'Already redeemed');
      const details = await result.textContent();
      assert.match(details, /Redeemed at/);
      assert.match(details, /demo/);
      assert.match(details, /Do not hand over the gift/);
      await saveScreenshot(page, 'counter-3-already-redeemed');

      await page.locator('#code').fill('V1.NOTAVOUCHER');
      await page.keyboard.press('Enter');
      await page.locator('#result.refused[data-reason=not_a_voucher]').waitFor();
    });
  } finally {
    await desk.close();
  }
});

test("the counter page's own camera redeems a voucher", { timeout: 90_000 }, async () => {
  const { agent, browser } = session;
  const token = await onPage(browser.context, 'voucher-camera', (page) =>
    signUpForVoucher(page, agent.base, '139 0000 2222'));
  const video = await renderQrVideo(token, path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-y4m-')), 'voucher.y4m'));
  const camera = await launchBrowser(DESK, [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${video}`,
  ]);
  try {
    await onPage(camera.context, 'counter-camera', async (page) => {
      await logIn(page, agent.counterUrl, agent.demoPin);
      await page.locator('#camera').click();
      await page.locator('#result.redeemed').waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('#result-title').textContent(), 'Redeemed: Welcome gift');
      await saveScreenshot(page, 'counter-4-camera-redeemed');
    });
  } finally {
    await camera.close();
    fs.rmSync(path.dirname(video), { recursive: true, force: true });
  }
  await session.stopAndExpectCleanExit();
});
