// The server's half of the handshake (lib/net/server-endpoint.ts): an ephemeral key, the session keys, the
// server key's RSA signature of the transcript (through the endpoint's gate on signatures at once) and SERVER_HELLO.
import { ownCopy } from '../bytes.ts';
import { ProtocolError } from '../errors.ts';
import type { Gate } from '../gate.ts';
import type { RsaKeyPair } from '../keyfile.ts';
import { deriveSessionKeys, helloTranscript, makeEphemeral, signTranscript, transcriptHash } from '../session/keys.ts';
import { encodePacket, type Packet } from '../wire.ts';

export type Hello = Extract<Packet, { type: 'hello' }>;
export type SessionKeys = ReturnType<typeof deriveSessionKeys>;

/** A HELLO answered: SERVER_HELLO (kept to answer a resent HELLO again) and what the new connection is made of. */
export interface HandshakeAnswer { connId: Buffer; serverHello: Buffer; sessionHash: Buffer; keys: SessionKeys }

/** Answers HELLOs with the server's identity. */
export class HandshakeSigner {
  /** `signing`: the gate on signatures made at once (MAX_CONCURRENT_SIGNATURES). */
  constructor(private readonly identity: RsaKeyPair, private readonly signing: Gate) {}

  /** Derives the session keys and signs; 'bad_key_share' for a client key the keys cannot be derived from. */
  async answer(p: Hello): Promise<HandshakeAnswer | 'bad_key_share'> {
    const eph = makeEphemeral();
    const transcript = helloTranscript(p.connId, p.clientPub, eph.publicRaw, this.identity.spki);
    // Derive first: a small-order client key is refused before it costs an RSA signature.
    let keys: SessionKeys;
    try {
      keys = deriveSessionKeys(eph.privateKey, p.clientPub, transcript);
    } catch (err) {
      if (err instanceof ProtocolError) return 'bad_key_share';
      throw err;
    }
    const signature = await this.sign(transcript);
    const connId = ownCopy(p.connId);
    const serverHello = ownCopy(encodePacket({ type: 'server_hello', connId, pn: 0, serverPub: eph.publicRaw, serverKey: this.identity.spki, signature }));
    return { connId, serverHello, sessionHash: transcriptHash(transcript), keys };
  }

  // Closures made here keep only what they name alive: one made in answer() would keep its whole scope
  // (the transcript, a slice of an 8 KiB pool slab) as long as it lives.
  private sign(transcript: Buffer): Promise<Buffer> { return this.signing.run(() => signTranscript(this.identity.privateKey, transcript)); }
}
