// Stateless reset: a server that lost a connection's state (e.g. after a restart) can still prove
// to the client that the connection is gone, with a token only it can compute from its own key.
import { createHmac, hkdfSync, type KeyObject } from 'node:crypto';
import { CONNECTION_ID_BYTES } from '../constants.ts';
import { RESET_TOKEN_BYTES } from '../wire.ts';

/** Reset key, in bytes. */
const RESET_KEY_BYTES = 32;
const RESET_KEY_SALT = Buffer.from('obrolan/1 reset salt');
const RESET_KEY_INFO = 'obrolan/1 stateless reset key';

/**
 * Derives the reset key from the server's long-lived private key (HKDF-SHA256 over its PKCS#8 DER):
 * the same after a restart, unknown to anyone without the private key. Throws TypeError for a non-private key.
 */
export function resetKeyFrom(serverPrivateKey: KeyObject): Buffer {
  if (serverPrivateKey.type !== 'private') throw new TypeError('reset key needs a private key');
  const der = serverPrivateKey.export({ type: 'pkcs8', format: 'der' });
  return Buffer.from(hkdfSync('sha256', der, RESET_KEY_SALT, RESET_KEY_INFO, RESET_KEY_BYTES));
}

/** The 16-byte reset token of a connection id: truncated HMAC-SHA256. Throws RangeError on a wrong id length. */
export function resetToken(resetKey: Buffer, connId: Buffer): Buffer {
  if (connId.length !== CONNECTION_ID_BYTES) throw new RangeError(`connection id must be ${CONNECTION_ID_BYTES} bytes`);
  return createHmac('sha256', resetKey).update(connId).digest().subarray(0, RESET_TOKEN_BYTES);
}
