// Scenario 1: a shopper scans a poster's channel code with a phone, lands on the offer, taps
// "Sign up now", fills in name, mobile number and the required consent, submits, and sees the
// confirmation; on the kiosk's loopback HTTP, then over [https] as phones on the store Wi-Fi do.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import {
  launchBrowser,
  onPage,
  runProgram,
  saveScreenshot,
  startAgent,
  useAgentAndBrowser,
} from './harness.mjs';

const CHANNEL = 'EL3-POSTER-V2';
const session = useAgentAndBrowser();

// The whole signup from a channel code's URL, screenshots named `${shots}-1-landing` and on.
async function signUpThrough(context, channelUrl, shots) {
  await onPage(context, shots, async (page) => {
    // The landing page, as the phone's camera app opens it.
    const landing = await page.goto(channelUrl);
    assert.equal(landing.status(), 200);
    await page.locator('h1', { hasText: 'Welcome' }).waitFor();
    assert.equal(await page.locator('.notice').count(), 0, 'a valid code shows no "not recognised" notice');
    const signUp = page.locator('a.button', { hasText: 'Sign up now' });
    assert.equal(await signUp.getAttribute('href'), `/signup?channel=${CHANNEL}`);
    await saveScreenshot(page, `${shots}-1-landing`, { fullPage: true });

    await Promise.all([page.waitForURL(/\/signup\?channel=EL3-POSTER-V2$/), signUp.click()]);
    await page.locator('h1', { hasText: 'Sign up for your gift' }).waitFor();
    assert.equal(await page.locator('input[name=channel]').inputValue(), CHANNEL);

    await page.locator('#name').fill('Ada Lovelace');
    await page.locator('#phone').fill('138 1234 5678');
    await page.locator('#consent_service').check();
    await saveScreenshot(page, `${shots}-2-form-filled`, { fullPage: true });

    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/signup') && r.request().method() === 'POST'),
      page.locator('button[type=submit]').click(),
    ]);
    assert.equal(response.status(), 200);
    const result = page.locator('#result');
    await result.waitFor({ state: 'visible' });
    assert.equal((await result.textContent()).trim(), "You're signed up");
    await page.locator('text=Thank you! Show your gift voucher in store').waitFor();
    await saveScreenshot(page, `${shots}-3-result`, { fullPage: true });
  });
}

test('a shopper opens a channel URL, signs up and sees the confirmation', { timeout: 60_000 }, async () => {
  const { agent, browser } = session;
  const channelUrl = agent.channels.get(CHANNEL);
  assert.ok(channelUrl, `the banner lists no channel code for ${CHANNEL}`);
  assert.match(channelUrl, /^HTTP:\/\/127\.0\.0\.1:\d+\/C\/EL3-POSTER-V2\./);
  await signUpThrough(browser.context, channelUrl, 'signup');

  // The same poster in Chinese, the pages' default language (?lang= overrides the browser's).
  await onPage(browser.context, 'signup-zh', async (page) => {
    const landing = await page.goto(`${channelUrl}?lang=zh`);
    assert.equal(landing.status(), 200);
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh');
    await page.locator('h1', { hasText: '欢迎光临' }).waitFor();
    await page.locator('a.button', { hasText: '立即注册' }).waitFor();
    await saveScreenshot(page, 'signup-4-landing-zh', { fullPage: true });
  });

  await session.stopAndExpectCleanExit();
});

// A kiosk with [https], its certificate self-signed here (a store's comes from a CA phones trust:
// the browser is told only to accept this one). Codes point at the HTTPS listener, and the
// shopper's cookies are Secure.
test('a phone signs up over the kiosk\'s HTTPS listener', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-https-'));
  const cert = path.join(dir, 'kiosk.pem');
  const key = path.join(dir, 'kiosk-key.pem');
  await runProgram('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const agent = await startAgent({
    configToml: `[https]\ncertificate = "${cert}"\nprivate_key = "${key}"\nlisten_address = "127.0.0.1"\nport = 0\n`,
  });
  const browser = await launchBrowser({ ignoreHTTPSErrors: true });
  try {
    const channelUrl = agent.channels.get(CHANNEL);
    assert.match(channelUrl ?? '', /^HTTPS:\/\/127\.0\.0\.1:\d+\/C\/EL3-POSTER-V2\./);
    await signUpThrough(browser.context, channelUrl, 'signup-https');
    const device = (await browser.context.cookies()).find((cookie) => cookie.name === 'kd');
    assert.equal(device?.secure, true, `the device cookie: ${JSON.stringify(device)}`);
  } finally {
    await browser.close();
    const { code } = await agent.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, `kiosk-agent should exit 0 on SIGTERM\n${agent.stderr()}`);
  }
});

// What a shopper types on the kiosk's own touchscreen stays out of the kiosk browser's memory:
// chromium saves form entries it may offer the next shopper (its profile's "Web Data", table
// autofill) from a phone's signup page, and none from the touchscreen's.
test('the kiosk touchscreen keeps no name or number for the next shopper', { timeout: 60_000 }, async () => {
  const agent = await startAgent();
  try {
    const savedEntries = async (signupPath, name, phone) => {
      const browser = await launchBrowser();
      let entries;
      try {
        await onPage(browser.context, `autofill${signupPath.includes('touch') ? '-touch' : ''}`, async (page) => {
          await page.goto(`${agent.base}${signupPath}`);
          await page.locator('#name').fill(name);
          await page.locator('#phone').fill(phone);
          await page.locator('#consent_service').check();
          await Promise.all([page.waitForURL(/\/signup$/), page.locator('button[type=submit]').click()]);
          await page.locator('#result').waitFor();
        });
      } finally {
        await browser.close(async (profile) => {
          const webData = path.join(profile, 'Default', 'Web Data');
          entries = await runProgram('sqlite3', [webData, 'SELECT name FROM autofill ORDER BY name']);
        });
      }
      return entries.split('\n').filter((line) => line.length > 0);
    };
    assert.deepEqual(await savedEntries(`/signup?channel=${CHANNEL}`, 'Ada Lovelace', '138 1234 5678'),
      ['name', 'phone'], 'a phone keeps its own entries (else this check could not fail)');
    assert.deepEqual(await savedEntries('/signup?channel=KIOSK-SCREEN&touch=1', 'Grace Hopper', '139 8765 4321'),
      [], 'the kiosk touchscreen keeps none');
  } finally {
    const { code } = await agent.stop();
    assert.equal(code, 0, `kiosk-agent should exit 0 on SIGTERM\n${agent.stderr()}`);
  }
});
