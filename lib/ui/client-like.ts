// What the client window needs of ChatClient, apart from both, so the app and its controller import it one way.
import type { ChatClientEvents, ChatMessage } from '../chat/types.ts';
import type { KeysAhead } from '../e2e/keys-ahead.ts';
import type { FileCommandTarget } from '../chat/file-commands.ts';

/** What the window needs of ChatClient (lib/chat/client.ts); a fake in tests and the demo. */
export interface ClientLike {
  on<K extends keyof ChatClientEvents>(event: K, listener: (...args: ChatClientEvents[K]) => void): unknown;
  removeAllListeners(): unknown;
  connect(): Promise<void>;
  authenticate(password: string): Promise<void>;
  join(username: string): Promise<void>;
  send(text: string): string;
  sendEncrypted(text: string): Promise<string>;
  sendDirect(to: string, text: string): Promise<string>;
  users(): string[];
  history(limit: number): Promise<ChatMessage[]>;
  /** Messages not yet stored by the server (also those kept on disk by an earlier run), oldest first. */
  unsent(): Array<{ id: string; text: string; encrypted: boolean; to?: string }>;
  /** Logs in again now, with `password` if given (after the server's password changed). */
  reconnect(password?: string): Promise<void>;
  readonly serverFingerprint: string;
  /** 'password' when this login pinned the server key by the password proof, 'pinned' when known before. */
  readonly verified?: 'password' | 'pinned' | undefined;
  readonly myFingerprint: string;
  /** Each user's key state (new, verified, changed, unknown), for a marker in the users pane (issue 15). */
  readonly e2e?: {
    state(name: string): string;
    safety(name: string): { mine: string; theirs: string; number: string; state: string };
    accept(name: string, verified: boolean): Promise<void>;
  };
  /** File transfers (issue 19): /send, /accept, /decline, /cancel. */
  readonly files?: FileCommandTarget;
  close(): Promise<void>;
}

/** Options of ChatClient's constructor that the window passes. */
export interface ClientFactoryOptions {
  host: string;
  port: number;
  historyDir: string;
  /** Asked on first contact by clients that ask (the fakes); ChatClient pins by the password proof instead. */
  trust: (fingerprint: string, server: string) => Promise<boolean>;
  onProgress: (text: string) => void;
  /** Keys made ahead (lib/e2e/keys-ahead.ts), for the first name that has none on disk. */
  keysAhead?: KeysAhead;
}

/** Makes a client as `new ChatClient(opts)` does (may load the module on first use). */
export type ClientFactory = (opts: ClientFactoryOptions) => Promise<ClientLike>;
