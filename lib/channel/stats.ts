// The counters a channel reports (Channel.stats()).

/** Counters and estimates of one channel. */
export interface ChannelStats {
  /** Payloads sent. */
  sent: number;
  /** DATA fragments sent again. */
  retransmits: number;
  /** Valid payloads received. */
  received: number;
  /** DATA fragments received more than once. */
  duplicates: number;
  srttMs: number;
  rtoMs: number;
  /** Send window, in fragments. */
  window: number;
  /** Fragments sent and not acked. */
  inFlight: number;
  /** Bytes queued or in flight (what SEND_BUFFER_MAX_BYTES limits). */
  queuedBytes: number;
  /** Messages handed to onMessage. */
  delivered: number;
  /** DATA fragments sent, first sends and retransmissions. */
  fragmentsSent: number;
  /** Fragments dropped for being too far ahead, and messages dropped as malformed. */
  dropped: number;
  malformed: number;
}
