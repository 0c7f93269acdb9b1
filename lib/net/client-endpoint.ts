// The client's side of the handshake: HELLO (padded), cookie retry, SERVER_HELLO verified against the
// pinned server key (trust on first use), then a sealed Connection over a connected UDP socket.
import dgram from 'node:dgram';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CONNECTION_ID_BYTES, HANDSHAKE_RESEND_MAX_MS, HANDSHAKE_RESEND_MS, HANDSHAKE_TIMEOUT_MS } from '../constants.ts';
import { Connection } from './connection.ts';
import { datagramLimitFor } from './path-mtu.ts';
import { ChatError, ProtocolError } from '../errors.ts';
import { fingerprintOf } from '../keyfile.ts';
import { decodePacket, encodePacket, type Packet } from '../wire.ts';
import { deriveSessionKeys, helloTranscript, makeEphemeral, transcriptHash, verifyTranscript } from '../session/keys.ts';
import { PacketOpener, PacketSealer } from '../session/protector.ts';

export interface SecureConnectOptions {
  host: string;
  port: number;
  /** The fingerprint pinned for this server, if any. */
  pinned: string | undefined;
  /** Asked on first contact; true to trust and pin. */
  trust: (fingerprint: string) => Promise<boolean>;
  timeoutMs?: number;
}

export interface SecureLink {
  conn: Connection;
  fingerprint: string;
  /** Verifies a stateless reset token for this connection; the token arrives later, inside the session. */
  setResetToken(token: Buffer): void;
  /** Closes the socket. */
  close(): void;
  /** Starts probing larger datagrams towards the server (after login: the server drops them before). */
  probePath(): void;
  /** Datagrams dropped on this link, by reason. */
  dropped: Record<string, number>;
}

/**
 * Runs the handshake with the server at host:port. Rejects with ChatError:
 * 'server_key_changed' (only a key other than the pinned one answered before the timeout; the message names
 * both fingerprints), 'timeout' (no answer), 'server_gone' (socket error),
 * or 'verify_failed' (the user refused to trust the key).
 */
export function connectSecure(o: SecureConnectOptions): Promise<SecureLink> {
  const type = o.host.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type, recvBufferSize: 1 << 20 });
  const connId = randomBytes(CONNECTION_ID_BYTES);
  const eph = makeEphemeral();
  const dropped: Record<string, number> = {};
  const count = (r: string): void => { dropped[r] = (dropped[r] ?? 0) + 1; };
  let cookie = Buffer.alloc(0);
  let resendMs = HANDSHAKE_RESEND_MS;
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  let verifying = false;
  // A reply signed by another key than the pinned one: anyone can send that, so it is only reported when
  // no reply signed by the pinned key came before the handshake's timeout.
  let mismatch: string | undefined;

  return new Promise<SecureLink>((resolve, reject) => {
    const deadline = setTimeout(() => fail(mismatch ? keyChanged(mismatch)
      : new ChatError('timeout', `no answer from ${o.host}:${o.port} — is the server running, and does a firewall let UDP through?`)), o.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    function keyChanged(fingerprint: string): ChatError {
      return new ChatError('server_key_changed',
        `server key changed since last time: pinned ${o.pinned}, now ${fingerprint}. If the server was reinstalled on purpose, remove its line from known_servers in the history dir; otherwise someone may be impersonating it.`,
        { pinned: o.pinned, offered: fingerprint });
    }
    function cleanup(): void {
      clearTimeout(deadline);
      if (timer) clearTimeout(timer);
    }
    function fail(err: Error): void {
      if (settled) return;
      settled = true;
      cleanup();
      socket.removeAllListeners('message');
      try { socket.close(); } catch { /* already closed */ }
      reject(err);
    }
    function sendHello(): void {
      if (settled) return;
      socket.send(encodePacket({ type: 'hello', connId, pn: 0, clientPub: eph.publicRaw, cookie }));
      timer = setTimeout(sendHello, resendMs);
      resendMs = Math.min(resendMs * 2, HANDSHAKE_RESEND_MAX_MS);
    }
    async function onServerHello(p: Extract<Packet, { type: 'server_hello' }>): Promise<void> {
      const transcript = helloTranscript(connId, eph.publicRaw, p.serverPub, p.serverKey);
      if (!verifyTranscript(p.serverKey, transcript, p.signature)) return count('bad_signature');
      const fingerprint = fingerprintOf(p.serverKey);
      if (o.pinned && o.pinned !== fingerprint) {
        mismatch ??= fingerprint;
        return count('key_mismatch');
      }
      if (!o.pinned) {
        // The person may take a while to decide: stop resending and stop the handshake clock meanwhile.
        verifying = true;
        cleanup();
        const ok = await o.trust(fingerprint);
        if (!ok) return fail(new ChatError('verify_failed', `you did not trust the server key ${fingerprint}`));
      }
      if (settled) return;
      settled = true;
      cleanup();
      resolve(establishedLink({ socket, connId, eph, count, dropped }, p, transcript, fingerprint));
    }
    socket.on('error', (err: NodeJS.ErrnoException) => fail(new ChatError('server_gone', err.code === 'ECONNREFUSED'
      ? `nothing is listening on ${o.host}:${o.port} — is the server started, and is the port right?`
      : `network error talking to ${o.host}:${o.port}: ${err.message}`)));
    socket.on('message', (buf) => {
      let p: Packet;
      try { p = decodePacket(buf); } catch (err) { if (err instanceof ProtocolError) return count('malformed'); throw err; }
      if (!p.connId.equals(connId)) return count('unknown_connection');
      if (p.type === 'retry') {
        // The same cookie again: the server is refusing for now (rate, budget); resend on the timer, not at once.
        if (cookie.equals(p.cookie)) return count('retry_again');
        cookie = Buffer.from(p.cookie);
        if (timer) clearTimeout(timer);
        resendMs = HANDSHAKE_RESEND_MS;
        sendHello();
      } else if (p.type === 'server_hello' && !verifying) {
        onServerHello(p).catch((err: Error) => fail(err));
      } else count('unexpected');
    });
    socket.connect(o.port, o.host, (err?: Error) => {
      if (err) return fail(new ChatError('server_gone', `cannot reach ${o.host}:${o.port}: ${err.message}`));
      sendHello();
    });
  });
}

/** What the handshake leaves for the session: its socket, connection id, key share and drop counters. */
interface HandshakeState { socket: dgram.Socket; connId: Buffer; eph: ReturnType<typeof makeEphemeral>; count: (r: string) => void; dropped: Record<string, number> }

/** The session after a verified SERVER_HELLO: keys, the connection, and the socket handing it datagrams. */
function establishedLink(h: HandshakeState, p: Extract<Packet, { type: 'server_hello' }>, transcript: Buffer, fingerprint: string): SecureLink {
  const { socket, connId, eph, count, dropped } = h;
  const keys = deriveSessionKeys(eph.privateKey, p.serverPub, transcript);
  let token: Buffer | undefined;
  const conn = new Connection({
    connId,
    sessionHash: transcriptHash(transcript),
    sealer: new PacketSealer(keys.clientToServer, connId),
    opener: new PacketOpener(keys.serverToClient, connId),
    sendDatagram: (d) => { try { socket.send(d); } catch { count('send_error'); } },
    countDrop: count,
  });
  socket.removeAllListeners('message');
  socket.on('message', (buf) => {
    let pk: Packet;
    try { pk = decodePacket(buf); } catch (err) { if (err instanceof ProtocolError) return count('malformed'); throw err; }
    if (!pk.connId.equals(connId)) return count('unknown_connection');
    if (pk.type === 'sealed') conn.receiveDatagram(buf);
    else if (pk.type === 'reset' && token && timingSafeEqual(pk.token, token)) conn.kill('reset', 'the server no longer knows this session (it restarted?)');
    else count('unexpected');
  });
  conn.once('gone', () => { try { socket.close(); } catch { /* closed */ } });
  return {
    conn,
    fingerprint,
    dropped,
    probePath: () => conn.probePath(datagramLimitFor(socket.remoteAddress().address)),
    setResetToken: (t) => { if (t.length === 16) token = t; },
    close: () => {
      // The owner is done with this link: stop its timers without telling anyone it is gone.
      conn.removeAllListeners('gone');
      conn.kill('local', 'closed by its owner');
      try { socket.close(); } catch { /* closed */ }
    },
  };
}
