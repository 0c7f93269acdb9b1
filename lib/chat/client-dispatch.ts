// What the client does with each message from the server that no request is waiting for: room messages and
// sender keys to the inbox, presence to the roster, acknowledgements and refusals to the outbox, notices and
// errors to the person. ChatClient (lib/chat/client.ts) decodes each message and offers it to its waiters first.
import type { ChatErrorCode } from '../errors.ts';
import type { E2EClient } from './e2e-client.ts';
import type { Inbox } from './inbox.ts';
import type { ServerMessage } from './messages.ts';
import type { Outbox } from './outbox.ts';
import type { Roster } from './roster.ts';
import type { FileTransfers } from './file-transfer.ts';

/** The parts of a client that server messages reach. */
export interface ClientParts {
  /** The inbox of the current join, if any. */
  inbox(): Inbox | undefined;
  readonly roster: Roster;
  readonly e2e: E2EClient;
  readonly outbox: Outbox;
  readonly files: FileTransfers;
  /** A line for the person. */
  warn(line: string): void;
  /** A refusal or failure for the person. */
  error(e: { code: ChatErrorCode; message: string }): void;
  /** The server stored our message `id` as room seq `seq`. */
  delivered(id: string, seq: number): void;
}

/** Hands one message from the server to the part of the client it is for. */
export function dispatch(m: ServerMessage, c: ClientParts): void {
  switch (m.t) {
    case 'replay': for (const x of m.messages) c.inbox()?.receive(x); if (m.missed) c.warn(`${m.missed} older messages were missed while you were away (only the newest are replayed)`); break;
    case 'msg': c.inbox()?.receive(m.m); break;
    case 'delivered': c.delivered(m.id, m.seq); break;
    case 'presence': c.roster.presence(m.events); break;
    case 'join': case 'leave': c.roster.presence([m]); break;
    case 'users': c.roster.users(m); break;
    case 'notice': c.warn(m.text); break;
    case 'skey': c.inbox()?.receiveKey(m); break;
    case 'rekey': void c.e2e.rekey(m); break;
    case 'error': serverError(m, c); break;
    case 'foffer': case 'fack': case 'fcancel': c.files.message(m).catch((err: Error) => c.warn(`file transfer: ${err.message}`)); break;
    default: break;
  }
}

/** A refusal: the refused message leaves the outbox (unless refused for flood), and the person is told. */
function serverError(m: Extract<ServerMessage, { t: 'error' }>, c: ClientParts): void {
  if (m.id && m.code !== 'flood') c.outbox.drop(m.id);
  c.error({ code: m.code as ChatErrorCode, message: m.message });
}
