// The shapes the chat core shows to its users: the windows, the line mode and the tests.
import type { ChatErrorCode } from '../errors.ts';

export type { ChatMessage } from '../history/message.ts';
import type { ChatMessage } from '../history/message.ts';
import type { ClientKeys } from '../e2e/keys.ts';
import type { KeysAhead } from '../e2e/keys-ahead.ts';

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

/** Events of ChatClient (lib/chat/client.ts). */
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
  // Files (issue 19; lib/chat/file-transfer.ts): keys is the sender's key state; direction 'in' or 'out'.
  file_offer: [{ id: string; from: string; name: string; size: number; sha256: string; keys: string }];
  file_progress: [{ id: string; bytes: number; size: number; direction: string }];
  file_done: [{ id: string; path: string; sha256: string; direction: string }];
  file_failed: [{ id: string; reason: string }];
}

/** Events of ChatServer (lib/chat/server.ts). */
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
  /** Connections (and handshakes being signed) not logged in yet. */
  preLogin?: number;
  /** Compacting collections run after attacks ended (lib/compact-after-attack.ts). */
  compactions?: number;
}

/** Options of ChatClient (lib/chat/client.ts). */
export interface ChatClientOptions {
  host: string;
  port: number;
  historyDir: string;
  onProgress?: (text: string) => void;
  /** Keys to use instead of loading them from the history dir (many clients in one process share them). */
  keys?: ClientKeys;
  /** Key pairs being made since the program started (lib/e2e/keys-ahead.ts): used at the first join for
   * a name that has no keys on disk yet, so a first start does not wait for the whole key generation. */
  keysAhead?: KeysAhead;
  /** Keep history and known users' keys on disk (default true); false keeps them in memory only — for a
   * load generator that simulates many machines in one process. Keys and pinned servers still use historyDir. */
  persist?: boolean;
  /** Reconnect by itself when the connection is lost (default true). */
  reconnect?: boolean;
  /** Where received files are saved (default: downloads/ in historyDir) and the largest accepted or sent (issue 19). */
  downloads?: string;
  maxFile?: number;
}
