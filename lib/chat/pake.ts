// The room login: CPace (lib/session/cpace.ts) inside the sealed session, then key confirmation.
//
// The server speaks first (CPace's party A): its share comes with `hello`, so a login costs one round
// trip as before. The client (party B) answers with its share and its confirmation tag; the server checks
// the tag — that is the login — and answers with its own tag, which proves to the client that the server
// knows the room password. Both tags come from the ISK, which covers sid (the session's transcript hash),
// CI (the server key's fingerprint and the connection id) and both shares. Nothing either side sends is a
// function of the password alone, so neither a listener nor a fake server can test a guess offline:
// each guess costs a full login attempt (counted by the server's per-address limit). docs/PROTOCOL.md, "Login".
import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { ownCopy } from '../bytes.ts';
import {
  calculateGenerator, confirmTag, FIELD_BYTES, intermediateKey, isIdentity, parsePrefixFree, prefixFreeCat,
  sampleScalar, scalarMultVfy,
} from '../session/cpace.ts';

/** ADa, the associated data in the server's CPace message. */
export const SERVER_AD = Buffer.from('obrolan/1 server');
/** ADb, the associated data in the client's CPace message. */
export const CLIENT_AD = Buffer.from('obrolan/1 client');

/** What binds a login to one session: sid, and the two parts of CI. */
export interface LoginBinding {
  /** SHA-256 of the handshake transcript (Connection.sessionHash), 32 bytes. */
  sid: Buffer;
  /** The server key's fingerprint, "SHA256:…" (lib/keyfile.ts). */
  fingerprint: string;
  /** The connection id, 8 bytes. */
  connId: Buffer;
}

/** PRS: the room password in Unicode NFC, UTF-8. */
export function passwordBytes(password: string): Buffer {
  return Buffer.from(password.normalize('NFC'), 'utf8');
}

/** CI = prefix_free_cat(fingerprint as UTF-8, connection id). */
export function channelIdentifier(b: LoginBinding): Buffer {
  return prefixFreeCat(Buffer.from(b.fingerprint, 'utf8'), b.connId);
}

function generator(password: string, b: LoginBinding): Buffer {
  return calculateGenerator(passwordBytes(password), channelIdentifier(b), b.sid);
}

/** The share Y of a CPace message `prefix_free_cat(Y, AD)` with the expected AD; undefined if malformed. */
function shareOf(msg: Buffer, ad: Buffer): Buffer | undefined {
  try {
    const [y, got] = parsePrefixFree(msg, 2);
    return y!.length === FIELD_BYTES && got!.equals(ad) ? y : undefined;
  } catch {
    return undefined;
  }
}

function sameTag(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The server's side of the login on one connection. `message` is its CPace message (MSGa) for the next
 * attempt; every failed check makes a fresh one (new scalar), so no two attempts share a transcript.
 */
export class ServerLogin {
  private readonly g: Buffer;
  private y!: KeyObject;
  message!: Buffer;

  /** `sample` makes each attempt's scalar (fixed ones only in the worked example of docs/PROTOCOL.md). */
  constructor(password: string, private readonly binding: LoginBinding, private readonly sample: () => KeyObject = sampleScalar) {
    // Own copies: both live as long as the login waits, and a slice would keep a whole 8 KiB pool slab.
    this.g = ownCopy(generator(password, binding));
    this.renew();
  }

  /**
   * Checks the client's CPace message and confirmation tag. Returns the server's tag on success; on
   * failure (wrong password, malformed message, low-order share) returns undefined and makes a new message.
   */
  check(clientMsg: Buffer, clientTag: Buffer): Buffer | undefined {
    const msgA = this.message;
    const y = this.y;
    const yb = shareOf(clientMsg, CLIENT_AD);
    const k = yb && scalarMultVfy(y, yb);
    if (k && !isIdentity(k)) {
      const isk = intermediateKey(this.binding.sid, k, msgA, clientMsg);
      if (sameTag(clientTag, confirmTag(isk, clientMsg))) return confirmTag(isk, msgA);
    }
    this.renew();
    return undefined;
  }

  private renew(): void {
    this.y = this.sample();
    this.message = ownCopy(prefixFreeCat(scalarMultVfy(this.y, this.g), SERVER_AD));
  }
}

/** The client's answer to a server's CPace message, and the tag the server must answer with. */
export interface ClientAnswer {
  /** MSGb = prefix_free_cat(Yb, ADb). */
  message: Buffer;
  /** The client's confirmation tag: HMAC over MSGb. */
  tag: Buffer;
  /** The tag a server that knows the password sends back: HMAC over MSGa. */
  expectedServerTag: Buffer;
}

/**
 * The client's side of one attempt: answers the server's CPace message `serverMsg` (MSGa). Returns
 * undefined when that message is malformed or its share has low order — no server that follows the
 * protocol sends one. `y` is the client's fresh scalar (a fixed one only in the worked example).
 */
export function answerLogin(password: string, binding: LoginBinding, serverMsg: Buffer, y: KeyObject = sampleScalar()): ClientAnswer | undefined {
  const ya = shareOf(serverMsg, SERVER_AD);
  if (!ya) return undefined;
  const message = prefixFreeCat(scalarMultVfy(y, generator(password, binding)), CLIENT_AD);
  const k = scalarMultVfy(y, ya);
  if (isIdentity(k)) return undefined;
  const isk = intermediateKey(binding.sid, k, serverMsg, message);
  return { message, tag: confirmTag(isk, message), expectedServerTag: confirmTag(isk, serverMsg) };
}

/** True when the server's tag is the one `answer` expects (constant-time compare). */
export function serverProved(answer: ClientAnswer, serverTag: Buffer): boolean {
  return sameTag(serverTag, answer.expectedServerTag);
}
