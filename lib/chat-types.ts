// The shapes the chat core shows to its users: the windows, the line mode and the tests.
import type { ChatErrorCode } from './errors.ts';

/** One chat message as a person sees it, live or from history. */
export interface ChatMessage {
  /** Client-chosen message id (unique per sender), used for idempotent resends. */
  id: string;
  /** Room sequence number stamped by the server; the same for every client. 0 for direct messages. */
  seq: number;
  from: string;
  /** The text; for an encrypted message the client could not open, a notice instead. */
  text: string;
  encrypted: boolean;
  /** Server time when stored, ms since the epoch. */
  ts: number;
  /** Set on a direct message: the one recipient. */
  to?: string;
  /** True when the text is a notice, not the sender's words (e.g. "an encrypted message sent before you joined"). */
  notice?: boolean;
}

/** A user in the room. */
export interface RoomUser {
  name: string;
  /** "SHA256:…" fingerprint of the user's end-to-end keys. */
  keys?: string;
  /** Only on the server: "ip:port". */
  address?: string;
  /** ms since the epoch. */
  since?: number;
}

/** What the client is doing, for a status bar. */
export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Events of ChatClient (lib/client-core.ts). */
export interface ChatClientEvents {
  ready: [];
  message: [ChatMessage];
  delivered: [{ id: string; seq: number }];
  join: [{ user: string }];
  leave: [{ user: string }];
  users: [{ users: string[] }];
  state: [ClientState];
  /** A refusal or failure to show a person. */
  error: [{ code: ChatErrorCode; message: string }];
  /** Something to show as a system line (keys changed, flood delay, could not verify…). */
  warning: [string];
}

/** Events of ChatServer (lib/server-core.ts). */
export interface ChatServerEvents {
  listening: [{ host: string; port: number }];
  join: [{ user: string; address: string }];
  leave: [{ user: string; reason: string }];
  message: [ChatMessage];
  refused: [{ address: string; code: ChatErrorCode }];
  /** One line for the server's live log. */
  log: [string];
  stopped: [];
}

/** Counters the server window shows. */
export interface ServerStats {
  users: number;
  connections: number;
  messages: number;
  datagramsIn: number;
  datagramsOut: number;
  /** Dropped datagrams by reason: malformed, unauthenticated (tag did not verify), replay, unknown connection, amplification… */
  dropped: Record<string, number>;
  /** Data fragments sent again (lost or late acks) on the connections open now. */
  retransmits: number;
}
