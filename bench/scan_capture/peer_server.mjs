// Peer for the scan-capture benchmark (bench/scan_capture/run.sh): the capture server a
// retailer's web team would write with the usual Node.js tools, doing the job kiosk-agent does on
// `GET /c/<token>`:
//
//   1. parse the token from the path and verify its MAC: the same token shape as kiosk-agent's
//      channel codes (CHANNEL_ID "." KEY_ID MAC, MAC = base32 of the first 10 bytes (80 bits) of
//      HMAC-SHA256(key, "kiosk-edge channel v1\0" CHANNEL_ID)), compared in constant time;
//   2. read the device cookie `kd`, or make a new random one and set it;
//   3. classify the user agent;
//   4. insert one row into `events` (the columns of kiosk-agent's journal) in its own
//      transaction, with journal_mode=WAL and synchronous=FULL, so the row is on disk before...
//   5. ...the ~1.7 KB landing page is sent.
//
// fastify + better-sqlite3, both from npm; no logger, no plugins. better-sqlite3 is synchronous:
// each COMMIT (with its fsync) runs on the event loop, as it does in such a server.
//
// Usage: node peer_server.mjs --dir DIR [--port N] [--host 127.0.0.1]
// Prints, once listening (run.sh reads these lines):
//   peer listening on http://127.0.0.1:PORT
//   channel code:  HTTP://127.0.0.1:PORT/C/<token>   Elevator 3 poster
// SIGTERM or SIGINT: stops accepting, finishes requests in flight, closes the database, exits 0.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

import Database from 'better-sqlite3';
import Fastify from 'fastify';

function parseArgs(argv) {
  const options = { dir: '', port: 0, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; ++i) {
    const name = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--dir') options.dir = value;
    else if (name === '--port') options.port = Number.parseInt(value, 10);
    else if (name === '--host') options.host = value;
    else throw new Error(`unknown argument ${name}`);
    ++i;
  }
  if (!options.dir) throw new Error('--dir DIR is required');
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error('--port must be 0..65535');
  }
  return options;
}

// ---- channel tokens (the same grammar as agent/channel_token.hpp) ----

const MAC_DOMAIN = Buffer.from('kiosk-edge channel v1\0', 'latin1');
const MAC_BYTES = 10;  // 80 bits
const MAC_CHARS = 16;  // base32 of 10 bytes
const MAX_CHANNEL_ID = 32;
const MAX_TOKEN = MAX_CHANNEL_ID + 2 + MAC_CHARS;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CHANNEL_ID_RE = /^[A-Z0-9-]{1,32}$/;
const SIGNED_RE = /^[A-Z2-7]{17}$/;

function base32(bytes) {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

function channelMac(secret, channelId) {
  const mac = crypto.createHmac('sha256', secret)
                  .update(MAC_DOMAIN)
                  .update(channelId, 'latin1')
                  .digest()
                  .subarray(0, MAC_BYTES);
  return base32(mac);
}

const KEY_ID = 'A';

function issueToken(secret, channelId) {
  return `${channelId}.${KEY_ID}${channelMac(secret, channelId)}`;
}

// {channelId} when genuine, else {reason}.
function verifyToken(secret, token) {
  if (token.length > MAX_TOKEN) return { reason: 'malformed' };
  const upper = token.toUpperCase();
  const dot = upper.indexOf('.');
  if (dot < 0) return { reason: 'malformed' };
  const channelId = upper.slice(0, dot);
  const signed = upper.slice(dot + 1);
  if (!CHANNEL_ID_RE.test(channelId) || !SIGNED_RE.test(signed)) return { reason: 'malformed' };
  if (signed[0] !== KEY_ID) return { reason: 'unknown key' };
  const expected = Buffer.from(channelMac(secret, channelId), 'latin1');
  const given = Buffer.from(signed.slice(1), 'latin1');
  if (!crypto.timingSafeEqual(expected, given)) return { reason: 'bad mac' };
  return { channelId };
}

// ---- visitor: device cookie, language, user agent ----

const DEVICE_RE = /^[0-9a-f]{32}$/;

function findCookie(header, name) {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function userAgentClass(agent = '') {
  if (agent.includes('MicroMessenger')) return 'wechat';
  if (agent.includes('AlipayClient')) return 'alipay';
  if (agent.includes('iPhone') || agent.includes('iPad')) return 'ios';
  if (agent.includes('Android')) return 'android';
  return 'other';
}

// ---- the landing page (the same size and shape as kiosk-agent's, ~1.7 KB) ----

const STYLE = `*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;
  background:#f6f3ee;color:#1d1d1f;line-height:1.5}
main{max-width:30rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
p{font-size:1.05rem}
.offer{background:#fff;border-radius:1rem;padding:1.25rem;box-shadow:0 1px 4px #0001}
.notice{background:#fff4d6;border-radius:.75rem;padding:.75rem 1rem}
.button{display:block;width:100%;text-align:center;background:#c8102e;color:#fff;border:0;
  border-radius:.75rem;padding:1rem;font-size:1.15rem;text-decoration:none;margin-top:1.25rem}
label{display:block;font-weight:600;margin-top:1rem}
input[type=text],input[type=tel]{width:100%;font-size:1.1rem;padding:.75rem;margin-top:.35rem;
  border:1px solid #bbb;border-radius:.5rem;background:#fff}
input[aria-invalid=true]{border:2px solid #c8102e}
.check{display:flex;gap:.6rem;align-items:flex-start;font-weight:400}
.check input{width:1.4rem;height:1.4rem;margin-top:.15rem}
.hint{font-size:.9rem;color:#555}
.error{color:#c8102e;font-weight:600;margin:.3rem 0 0}
.lang{float:right;font-size:.95rem;color:#333}
`;

const TEXT = {
  zh: {
    title: '欢迎光临', offer: '注册即送好礼', other: 'English', otherTag: 'en',
    body: '留下姓名和手机号，即可领取礼品券，到店出示即可兑换。', button: '立即注册',
    invalid: '这个二维码无法识别，但优惠依然有效。',
  },
  en: {
    title: 'Welcome', offer: 'Sign up for a gift', other: '中文', otherTag: 'zh',
    body: 'Leave your name and mobile number to get a gift voucher; show it at the counter.',
    button: 'Sign up now', invalid: 'We could not read this code, but the offer still stands.',
  },
};

function landingPage(lang, channelId, invalid) {
  const t = TEXT[lang];
  // channelId is [A-Z0-9-] only (checked by verifyToken): nothing to escape.
  const signup = channelId ? `/signup?channel=${channelId}` : '/signup';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
      `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${t.title}` +
      `</title><style>\n${STYLE}</style></head><body><main><a class="lang" href="?lang=` +
      `${t.otherTag}">${t.other}</a><h1>${t.title}</h1>` +
      (invalid ? `<p class="notice">${t.invalid}</p>` : '') +
      `<section class="offer"><h2>${t.offer}</h2><p>${t.body}</p></section>` +
      `<a class="button" href="${signup}">${t.button}</a></main></body></html>`;
}

function chooseLanguage(request) {
  const chosen = findCookie(request.headers.cookie, 'lang');
  if (chosen === 'en' || chosen === 'zh') return chosen;
  const accept = request.headers['accept-language'] || '';
  return accept.toLowerCase().startsWith('en') ? 'en' : 'zh';
}

// ---- database ----

function openDatabase(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS events (
             seq INTEGER PRIMARY KEY,
             type TEXT NOT NULL,
             occurred_at_ms INTEGER NOT NULL,
             monotonic_ns INTEGER NOT NULL,
             boot_id TEXT NOT NULL,
             channel_id TEXT,
             payload_version INTEGER NOT NULL,
             payload TEXT NOT NULL)`);
  const mode = db.pragma('journal_mode', { simple: true });
  const sync = db.pragma('synchronous', { simple: true });
  if (mode !== 'wal' || sync !== 2) {
    throw new Error(`expected journal_mode=wal, synchronous=2 (FULL); got ${mode}, ${sync}`);
  }
  return db;
}

function bootId() {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  } catch {
    return crypto.randomUUID();
  }
}

// ---- server ----

const CHANNELS = new Map([
  ['EL3-POSTER-V2', 'Elevator 3 poster'],
  ['COUNTER-CARD', 'Counter card'],
  ['FLYER-NOV', 'November flyer'],
]);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  fs.mkdirSync(options.dir, { recursive: true });
  const db = openDatabase(path.join(options.dir, 'peer.db'));
  const insert = db.prepare(
      'INSERT INTO events (type, occurred_at_ms, monotonic_ns, boot_id, channel_id, ' +
      'payload_version, payload) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const boot = bootId();
  // One transaction per scan: BEGIN, INSERT, COMMIT (the COMMIT fsyncs the WAL).
  const recordScan = db.transaction((channelId, payload) => {
    insert.run('scan', Date.now(), process.hrtime.bigint(), boot, channelId, 1, payload);
  });
  const secret = crypto.randomBytes(32);

  const app = Fastify({ logger: false });

  const scan = async (request, reply) => {
    const verdict = verifyToken(secret, request.params.token);
    let device = findCookie(request.headers.cookie, 'kd');
    const newDevice = !(device && DEVICE_RE.test(device));
    if (newDevice) device = crypto.randomBytes(16).toString('hex');
    const payload = { code: 'channel', valid: verdict.channelId !== undefined, device,
                      ua: userAgentClass(request.headers['user-agent']) };
    if (verdict.channelId !== undefined) {
      payload.known = CHANNELS.has(verdict.channelId);
      payload.active = payload.known;
    } else {
      payload.reason = verdict.reason;
    }
    try {
      recordScan(verdict.channelId ?? null, JSON.stringify(payload));
    } catch (error) {
      // Like kiosk-agent, the shopper still sees the offer; the failure is for the operator.
      process.stderr.write(`peer: scan not recorded: ${error.message}\n`);
    }
    if (newDevice) {
      reply.header('set-cookie',
                   `kd=${device}; Max-Age=31536000; Path=/; HttpOnly; SameSite=Lax`);
    }
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.type('text/html; charset=utf-8');
    return landingPage(chooseLanguage(request), verdict.channelId ?? '',
                       verdict.channelId === undefined);
  };
  app.get('/c/:token', scan);
  app.get('/C/:token', scan);
  app.get('/healthz', async () => ({
    status: 'ok',
    stored_count: db.prepare('SELECT count(*) AS n FROM events').get().n,
  }));

  const address = await app.listen({ host: options.host, port: options.port });
  const port = new URL(address).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  process.stdout.write(`peer listening on http://${host}:${port}\n`);
  process.stdout.write(`  sqlite ${db.prepare('SELECT sqlite_version() AS v').get().v}, ` +
                       `journal_mode=WAL, synchronous=FULL, db ${path.join(options.dir, 'peer.db')}\n`);
  for (const [id, name] of CHANNELS) {
    process.stdout.write(`  channel code:  HTTP://${host.toUpperCase()}:${port}/C/` +
                         `${issueToken(secret, id)}   ${name}\n`);
  }

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`peer: ${signal}: finishing requests in flight, then stopping\n`);
    await app.close();
    db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`peer: ${error.message}\n`);
  process.exit(1);
});
