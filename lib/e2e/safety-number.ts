// The safety number two people read aloud to check that each holds the other's real keys: 60 digits in
// groups of 5, the same on both sides (the two halves are ordered), from both bundle fingerprints.
import { createHash } from 'node:crypto';

const LABEL = 'obrolan e2e v2 safety number';
/** Digits made from each fingerprint. */
const DIGITS_PER_SIDE = 30;

/** 30 decimal digits of one fingerprint: six 5-digit groups, each a 40-bit big-endian chunk of SHA-256 mod 100000. */
function half(fingerprint: string): string {
  const h = createHash('sha256').update(LABEL).update('\u0000').update(fingerprint, 'utf8').digest();
  let out = '';
  for (let i = 0; out.length < DIGITS_PER_SIDE; i += 5) out += String(h.readUIntBE(i, 5) % 100_000).padStart(5, '0');
  return out;
}

/** The safety number of two users' key fingerprints, as "12345 67890 …" (12 groups); symmetric in its arguments. */
export function safetyNumber(fpA: string, fpB: string): string {
  const [a, b] = [half(fpA), half(fpB)].sort();
  return (a! + b!).match(/\d{5}/g)!.join(' ');
}
