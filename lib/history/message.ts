// The shape of one chat message as stored and shown: the history keeps these, the chat layer makes them.

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
