// Cost of "Send Encrypted" with real-size keys (RSA-3072): sealing one message for 50 recipients,
// and verifying + decrypting one. Medians of several runs. Run alone: npx tsx bench/e2e.ts
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { CLIENT_RSA_BITS } from '../lib/constants.ts';
import { generateRsaKeyPair } from '../lib/keyfile.ts';
import { bundleFingerprint, ownUserKeys, type ClientKeys, type UserKeys } from '../lib/e2e/keys.ts';
import { forRecipient, openEnvelope, ReplayGuard, sealEnvelope } from '../lib/e2e/seal.ts';

/** Recipients of the sealed message. */
const RECIPIENTS = 50;
/** Distinct identities generated; recipients reuse them (one RSA op costs the same whichever key it uses). */
const POOL = 4;
/** Timed runs per figure; the median is reported. */
const RUNS = 15;
/** A typical chat line, in bytes. */
const TEXT = 'x'.repeat(200);

async function makeClient(): Promise<ClientKeys> {
  const [enc, sig] = await Promise.all([generateRsaKeyPair(CLIENT_RSA_BITS), generateRsaKeyPair(CLIENT_RSA_BITS)]);
  const bundle = { enc: enc.spki.toString('base64'), sig: sig.spki.toString('base64') };
  return { enc, sig, bundle, fingerprint: bundleFingerprint(bundle) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/**
 * Measures, in ms (medians of 15 runs, after one warm-up): sealing one 200-byte message for 50 recipients
 * with RSA-3072 keys, and opening it (shape check, signature check, key unwrap, AES-GCM) as one recipient.
 * The opened copy is the one the server forwards (forRecipient). Generates 8 RSA-3072 key pairs first
 * (about 5 s on 2 cores, not counted).
 */
export async function benchE2E(): Promise<{ encrypt50_ms: number; open_ms: number }> {
  const clients = await Promise.all(Array.from({ length: POOL }, makeClient));
  const sender = clients[0]!;
  const senderKeys = ownUserKeys(sender);
  const recipients = new Map<string, UserKeys>();
  for (let i = 0; i < RECIPIENTS; i++) recipients.set(`user${String(i).padStart(2, '0')}`, ownUserKeys(clients[i % POOL]!));
  const me = 'user01';
  const mine = clients[1 % POOL]!;
  const seal = (id: string) => sealEnvelope({ id, from: 'sender', text: TEXT, recipients, sender });

  const env = forRecipient(seal('warm-up'), me);
  const sealMs: number[] = [];
  const openMs: number[] = [];
  for (let run = 0; run < RUNS; run++) sealMs.push(time(() => seal(`m${run}`)));
  for (let run = -1; run < RUNS; run++) {
    const seen = new ReplayGuard(); // fresh each run: the same envelope again is not a replay here
    let ok = false;
    const ms = time(() => { ok = openEnvelope(env, { me, mine, senderKeys, seen }).ok; });
    if (!ok) throw new Error('benchmark envelope did not open');
    if (run >= 0) openMs.push(ms);
  }
  return { encrypt50_ms: round(median(sealMs)), open_ms: round(median(openMs)) };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchE2E();
  console.log(`e2e (RSA-${CLIENT_RSA_BITS}): seal for ${RECIPIENTS} recipients ${r.encrypt50_ms} ms; verify + decrypt one ${r.open_ms} ms (medians of ${RUNS})`);
}
