// AEAD on every datagram after the handshake: AES-256-GCM with the 16-byte header as
// associated data and a nonce made from the packet number, plus replay protection.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { AEAD_TAG_BYTES, CONNECTION_ID_BYTES, HEADER_BYTES, LARGE_PAYLOAD_MAX_BYTES, MAX_PACKET_NUMBER } from '../constants.ts';
import { ownCopy } from '../bytes.ts';
import { writeHeader } from '../wire.ts';
import type { DirectionKeys } from './keys.ts';
import { ReplayWindow } from './replay-window.ts';

const CIPHER = 'aes-256-gcm';
/** createCipheriv's options, made once rather than per datagram. */
const GCM = { authTagLength: AEAD_TAG_BYTES } as const;
const KEY_BYTES = 32;
const IV_BYTES = 12;
/** Offset of the 48-bit packet number in the header, and its width, in bytes. */
const PN_OFFSET = 10;
const PN_BYTES = 6;
/** Offset of the connection id in the header, in bytes. */
const CONN_ID_OFFSET = 2;

function checkKeys(keys: DirectionKeys, connId: Buffer): void {
  if (keys.key.length !== KEY_BYTES) throw new RangeError(`AES-256 key must be ${KEY_BYTES} bytes, got ${keys.key.length}`);
  if (keys.iv.length !== IV_BYTES) throw new RangeError(`IV must be ${IV_BYTES} bytes, got ${keys.iv.length}`);
  if (connId.length !== CONNECTION_ID_BYTES) throw new RangeError(`connection id must be ${CONNECTION_ID_BYTES} bytes`);
}

/**
 * Writes into `nonce` the IV XOR the packet number as a 12-byte big-endian integer: unique per packet while
 * pn never repeats. Returns `nonce`, a scratch buffer of its owner (createCipheriv copies it).
 */
function nonceFor(nonce: Buffer, iv: Buffer, pn: number): Buffer {
  nonce.fill(0, 0, IV_BYTES - PN_BYTES);
  nonce.writeUIntBE(pn, IV_BYTES - PN_BYTES, PN_BYTES);
  for (let i = 0; i < IV_BYTES; i++) nonce[i] = nonce[i]! ^ iv[i]!;
  return nonce;
}

/** Seals outgoing payloads of one direction; numbers packets 0, 1, 2, … and never reuses one. */
export class PacketSealer {
  // A KeyObject made once: createCipheriv then skips importing the raw key for every datagram.
  readonly #key: KeyObject;
  readonly #iv: Buffer;
  readonly #nonce = Buffer.alloc(IV_BYTES);
  readonly #connId: Buffer;
  #nextPn: number;

  /**
   * `keys` of the sending direction; `connId` the 8-byte connection id. `firstPn` (default 0) exists for
   * tests of the limit: starting anywhere but 0 with keys used before would reuse nonces.
   * Throws RangeError on a wrong key, IV or id length.
   */
  constructor(keys: DirectionKeys, connId: Buffer, firstPn = 0) {
    checkKeys(keys, connId);
    if (!Number.isInteger(firstPn) || firstPn < 0) throw new RangeError(`first packet number out of range: ${firstPn}`);
    this.#key = createSecretKey(keys.key);
    this.#iv = ownCopy(keys.iv);
    this.#connId = ownCopy(connId);
    this.#nextPn = firstPn;
  }

  /** The packet number the next `seal` will use. */
  get nextPn(): number {
    return this.#nextPn;
  }

  /**
   * Returns the whole SEALED datagram: header + ciphertext + 16-byte tag (payload.length + 32 bytes).
   * Throws RangeError when the payload exceeds LARGE_PAYLOAD_MAX_BYTES or packet numbers are exhausted
   * (the session must end; keys are never reused with a repeated number).
   */
  seal(payload: Uint8Array): Buffer {
    return Buffer.concat(this.sealParts(payload));
  }

  /**
   * The same datagram as `seal`, as its three parts (header, ciphertext, tag) for a gathering send:
   * the ciphertext is not copied once more into one buffer. Throws as `seal`.
   */
  sealParts(payload: Uint8Array): [header: Buffer, ciphertext: Buffer, tag: Buffer] {
    if (payload.length > LARGE_PAYLOAD_MAX_BYTES) throw new RangeError(`payload of ${payload.length} bytes exceeds ${LARGE_PAYLOAD_MAX_BYTES}`);
    const pn = this.#nextPn;
    if (pn > MAX_PACKET_NUMBER) throw new RangeError('packet numbers exhausted: the session must be closed');
    this.#nextPn = pn + 1;
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    writeHeader(header, 'sealed', this.#connId, pn);
    const cipher = createCipheriv(CIPHER, this.#key, nonceFor(this.#nonce, this.#iv, pn), GCM);
    cipher.setAAD(header);
    const ciphertext = cipher.update(payload);
    cipher.final(); // GCM is a stream mode: final() adds nothing, but it computes the tag
    return [header, ciphertext, cipher.getAuthTag()];
  }
}

/** Counters of an opener: datagrams opened, refused as unauthenticated, refused as replays or too old. */
export interface OpenerStats {
  opened: number;
  /** Tag did not verify, wrong connection id, or too short to hold a tag. */
  badTag: number;
  /** Packet number already opened, or older than the replay window. */
  replay: number;
}

/** Opens incoming SEALED datagrams of one direction; drops (and counts) forgeries and replays. */
export class PacketOpener {
  readonly #key: KeyObject;
  readonly #iv: Buffer;
  readonly #nonce = Buffer.alloc(IV_BYTES);
  readonly #connId: Buffer;
  readonly #window: ReplayWindow;
  readonly #stats: OpenerStats = { opened: 0, badTag: 0, replay: 0 };

  /** `keys` of the receiving direction; `windowSize` in packets (default REPLAY_WINDOW). Throws RangeError on bad lengths. */
  constructor(keys: DirectionKeys, connId: Buffer, windowSize?: number) {
    checkKeys(keys, connId);
    this.#key = createSecretKey(keys.key);
    this.#iv = ownCopy(keys.iv);
    this.#connId = ownCopy(connId);
    this.#window = new ReplayWindow(windowSize);
  }

  /** A snapshot of the counters. */
  get stats(): Readonly<OpenerStats> {
    return { ...this.#stats };
  }

  /**
   * Returns the payload of a whole SEALED datagram (header already checked by wire.decodeHeader), or null
   * when it is not authentic (bad tag, other connection id, too short) or a replay. Never throws on input.
   */
  open(datagram: Buffer): Buffer | null {
    if (datagram.length < HEADER_BYTES + AEAD_TAG_BYTES || !this.#connId.equals(datagram.subarray(CONN_ID_OFFSET, CONN_ID_OFFSET + CONNECTION_ID_BYTES))) {
      this.#stats.badTag++;
      return null;
    }
    const pn = datagram.readUIntBE(PN_OFFSET, PN_BYTES);
    // Cheap check first; the window is only moved once the tag proves the number is genuine.
    if (!this.#window.accepts(pn)) {
      this.#stats.replay++;
      return null;
    }
    const payload = this.#decrypt(datagram, pn);
    if (!payload) {
      this.#stats.badTag++;
      return null;
    }
    this.#window.commit(pn);
    this.#stats.opened++;
    return payload;
  }

  #decrypt(datagram: Buffer, pn: number): Buffer | null {
    const tagAt = datagram.length - AEAD_TAG_BYTES;
    try {
      const decipher = createDecipheriv(CIPHER, this.#key, nonceFor(this.#nonce, this.#iv, pn), GCM);
      decipher.setAAD(datagram.subarray(0, HEADER_BYTES));
      decipher.setAuthTag(datagram.subarray(tagAt));
      const head = decipher.update(datagram.subarray(HEADER_BYTES, tagAt));
      const tail = decipher.final(); // throws when the tag does not verify; empty otherwise (GCM is a stream mode)
      return tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch {
      return null;
    }
  }
}
