// Every tunable of Obrolan in one place, each with its unit.

// ── wire ─────────────────────────────────────────────────────────────
/** Protocol version carried in every datagram header. */
export const PROTOCOL_VERSION = 1;
/** Largest datagram we send or accept, in bytes (fits any LAN MTU with IPv4/IPv6 + UDP headers). */
export const MAX_DATAGRAM_BYTES = 1200;
/** Datagram header: version (1) + type (1) + connection id (8) + packet number (6), in bytes. */
export const HEADER_BYTES = 16;
/** Connection id length, in bytes. */
export const CONNECTION_ID_BYTES = 8;
/** AES-GCM authentication tag, in bytes. */
export const AEAD_TAG_BYTES = 16;
/** Frame bytes that fit in one sealed datagram of the base size. */
export const MAX_PAYLOAD_BYTES = MAX_DATAGRAM_BYTES - HEADER_BYTES - AEAD_TAG_BYTES;
/**
 * Largest SEALED datagram a side accepts from a logged-in peer, in bytes: a sender uses more than 1,200
 * only after a probe of that size was answered (docs/PROTOCOL.md "Larger datagrams"), and never more than
 * its outgoing interface's MTU allows, so IP never fragments it.
 */
export const LARGE_DATAGRAM_MAX_BYTES = 60 * 1024;
/** Frame bytes that fit in the largest sealed datagram. */
export const LARGE_PAYLOAD_MAX_BYTES = LARGE_DATAGRAM_MAX_BYTES - HEADER_BYTES - AEAD_TAG_BYTES;
/** A path probe is sent again after this long without an answer, in ms; at most PROBE_TRIES probes. */
export const PROBE_RETRY_MS = 1_000;
export const PROBE_TRIES = 3;
/** Largest packet number (48 bits). */
export const MAX_PACKET_NUMBER = 2 ** 48 - 1;
/** Most ack ranges one ACK frame carries. */
export const MAX_ACK_RANGES = 32;

// ── channel ──────────────────────────────────────────────────────────
/** Largest application message, in bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Delay before a lone ack is sent, so acks coalesce, in ms. */
export const ACK_DELAY_MS = 20;
/** Ack at once after this many unacknowledged data frames, in frames. */
export const ACK_EVERY_FRAMES = 16;
/** Retransmission timeout before any RTT is measured, in ms. */
export const RTO_INITIAL_MS = 300;
/** Smallest retransmission timeout, in ms (Linux TCP's: a receiver that stalls 100–200 ms under load —
 * a GC pause, a burst of logins — is not answered with resends; 100 ms tripled resends in a login ramp). */
export const RTO_MIN_MS = 200;
/** Largest retransmission timeout after doubling, in ms. */
export const RTO_MAX_MS = 2_000;
/** A frame is resent early when this many later frames are acked, in frames. */
export const FAST_RETRANSMIT_THRESHOLD = 3;
/** The peer is reported gone after this long with data outstanding and no progress, in ms. */
export const GIVE_UP_MS = 10_000;
/** A PING is sent after this long without sending anything, in ms. */
export const KEEPALIVE_MS = 5_000;
/** The peer is reported gone after this long without receiving anything, in ms. */
export const IDLE_TIMEOUT_MS = 15_000;
/** Data frames in flight (sent, not acked) at the start, in frames (8 small messages share a datagram, so
 * 256 is ~32 datagrams: a client receiving thousands of messages a second is not window-bound at first). */
export const SEND_WINDOW_INITIAL = 256;
/** Fewest data frames in flight after losses, in frames. */
export const SEND_WINDOW_MIN = 4;
/** Most data frames in flight, in frames. */
export const SEND_WINDOW_MAX = 1024;
/** Bytes one channel may hold queued or in flight before sendMessage refuses (backpressure). */
export const SEND_BUFFER_MAX_BYTES = 4 * 1024 * 1024;
/** How far ahead of the next expected sequence number a frame is buffered, in frames (≥ 1024 dedup window). */
export const RECEIVE_WINDOW = 4096;

// ── session ──────────────────────────────────────────────────────────
/** Replay window for packet numbers, in packets. */
export const REPLAY_WINDOW = 2048;
/** Cookie time slot, in ms; a cookie from this slot or the previous one is accepted. */
export const COOKIE_SLOT_MS = 30_000;
/** How often the cookie secret is replaced, in ms. */
export const COOKIE_SECRET_ROTATE_MS = 120_000;
/** An address that has not echoed a cookie gets at most this many times the bytes it sent. */
export const AMPLIFICATION_FACTOR = 3;
/** HELLO is resent after this long without an answer, in ms (doubling, capped at HANDSHAKE_RESEND_MAX_MS). */
export const HANDSHAKE_RESEND_MS = 400;
/** Largest HELLO resend interval, in ms. */
export const HANDSHAKE_RESEND_MAX_MS = 1_000;
/** A handshake with no answer fails after this long, in ms. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** RSA signatures the server computes at once, in libuv's thread pool (4 threads by default): the rest wait
 * their turn, so a login storm never takes the threads that history writes need (ack = stored). */
export const MAX_CONCURRENT_SIGNATURES = 2;
/** Server identity key size, in bits. */
export const SERVER_RSA_BITS = 3072;

// ── login ────────────────────────────────────────────────────────────
/** Wrong passwords allowed per client address per window. */
export const LOGIN_MAX_FAILURES = 5;
/** The window over which wrong passwords are counted, in ms. */
export const LOGIN_FAILURE_WINDOW_MS = 60_000;
/** Longest username, in characters (after NFKC). */
export const USERNAME_MAX_CHARS = 32;

// ── room ─────────────────────────────────────────────────────────────
/** Default UDP port of the server. */
export const DEFAULT_PORT = 7447;
/** Largest chat text, in bytes of UTF-8. */
export const MAX_TEXT_BYTES = 16 * 1024;
/** Most messages replayed to a (re)joining client. */
export const REPLAY_MAX = 200;
/** Flood control: sustained messages per second per user, and the burst allowed. */
export const FLOOD_RATE_PER_S = 5;
export const FLOOD_BURST = 10;
/** A client writes its own history copy at most this often, in ms: the message is shown at once, and the
 * server holds it anyway (a crash before the write means it is replayed at the next join). */
export const CLIENT_HISTORY_WRITE_GAP_MS = 100;
/** Client reconnect backoff: first delay and cap, in ms. */
export const RECONNECT_INITIAL_MS = 250;
export const RECONNECT_MAX_MS = 2_000;

// ── end-to-end ───────────────────────────────────────────────────────
/** Client RSA key size for OAEP and PSS key pairs, in bits. */
export const CLIENT_RSA_BITS = 3072;

// ── hostile peers (issue 12): login deadline, memory budget before login, handshake rates ──
/** A connection that has not logged in (password and name) this long after its handshake is closed, in ms. */
export const LOGIN_DEADLINE_MS = 10_000;
/** The server handles logins (auth, join) for at most this long per event-loop turn, then lets chat in, in ms. */
export const LOGIN_SLICE_MS = 4;
/** Receive window of a connection before login, in fragments (RECEIVE_WINDOW after login). */
export const PRELOGIN_RECEIVE_WINDOW = 16;
/** Bytes one connection may hold in its reorder buffer and a half-assembled message before login. */
export const PRELOGIN_BUFFER_BYTES = 16 * 1024;
/** Sealed datagrams one connection may send before login (an honest login sent 3 on loopback; resends add a few). */
export const PRELOGIN_MAX_DATAGRAMS = 64;
/** Connections not yet logged in, in all (beyond it only addresses that logged in recently may add one). */
export const PRELOGIN_MAX_CONNECTIONS = 1_024;
/** Connections not yet logged in (including handshakes being signed) from one IP address. */
export const PRELOGIN_MAX_PER_IP = 16;
/** New handshakes (RSA signatures) per IP address: sustained rate per second and burst; beyond it HELLO
 * gets a RETRY, not a signature. A login gives its token back. */
export const HANDSHAKE_RATE_PER_S = 4;
export const HANDSHAKE_BURST = 8;
/** New handshakes of all addresses without a login in the last RECENT_LOGIN_MS, together: sustained rate
 * per second and burst; beyond it their HELLO gets a RETRY. Bounds what many attacking addresses force. */
export const NEWCOMER_HANDSHAKES_PER_S = 8;
export const NEWCOMER_HANDSHAKE_BURST = 16;
/** Handshakes queued for a signature beyond which only addresses that logged in recently are signed for. */
export const HANDSHAKE_BUSY_QUEUE = 64;
/** An address whose client logged in within this long keeps priority when the server is busy, in ms. */
export const RECENT_LOGIN_MS = 10 * 60_000;
/** IP addresses whose handshake rate and recent login are remembered (the oldest are forgotten). */
export const ADMISSION_MAX_ADDRESSES = 10_000;
/** `keys` requests per connection: sustained rate per second and burst. */
export const KEYS_RATE_PER_S = 5;
export const KEYS_BURST = 20;
/** Most names one `keys` request may carry (a client asks in several requests beyond it). */
export const KEYS_MAX_NAMES = 32;
/** Spent cookies remembered (each starts at most one handshake while it is valid, ≤ 60 s). */
export const COOKIES_SPENT_MAX = 100_000;
/** How often connections past their login deadline are closed, in ms. */
export const LOGIN_SWEEP_MS = 500;
/** A connection id whose reset token was sent (it was unknown then) cannot start a handshake for this long, in ms. */
export const RESET_REVEALED_MS = 60_000;

// ── names (issue 14: one rule, one folding, look-alikes refused) ──────
/** Most combining marks in a row in a name (Thai and Devanagari need 2–3; "Zalgo" text stacks dozens). */
export const NAME_MAX_MARKS_IN_ROW = 3;
/** Most names a server remembers as known (seen in the room), for refusing look-alikes of absent users. */
export const KNOWN_NAMES_MAX = 10_000;

// ── discovery (rooms on this LAN) ────────────────────────────────────
/** UDP port every server answers discovery queries on (shared with reuseAddr), the default room port too. */
export const DISCOVERY_PORT = 7447;
/** Exact size of a discovery query, in bytes; an answer is never larger (no reflection amplification). */
export const DISCOVERY_QUERY_BYTES = 128;
/** Longest room name carried in an answer, in bytes of UTF-8 (longer names are cut at a character). */
export const ROOM_NAME_MAX_BYTES = 64;
/** Answers per source IP address: sustained per second, and the burst allowed. */
export const DISCOVERY_ANSWERS_PER_S_PER_SOURCE = 2;
export const DISCOVERY_BURST_PER_SOURCE = 5;
/** Answers per second from one server in total, whatever the sources (spoofed sources included). */
export const DISCOVERY_ANSWERS_PER_S = 100;
/** Source addresses the rate limiter remembers; beyond this the least recently seen is forgotten. */
export const DISCOVERY_MAX_SOURCES = 1024;
/** Most rooms one search keeps (answers beyond it are ignored). */
export const DISCOVERY_MAX_ROOMS = 256;
/** A search sends its query a second time after this long (a lost broadcast), in ms. */
export const DISCOVERY_REPEAT_MS = 300;
/** A server looks for new or vanished interfaces to answer on this often, in ms. */
export const DISCOVERY_RESCAN_MS = 10_000;
/** How long `client.ts --discover` waits for answers by default, in ms. */
export const DISCOVERY_WAIT_MS = 1_500;
/** How long the rooms list waits before it says nobody answered, in ms. */
export const DISCOVERY_EMPTY_AFTER_MS = 2_000;
/** The rooms list asks again this often while shown, in ms. */
export const DISCOVERY_REFRESH_MS = 5_000;

// ── chat window input (issue 17) ─────────────────────────────────────
/** Lines the chat input's Up/Down history keeps (this session plus the last ones of earlier sessions). */
export const CHAT_HISTORY_LINES = 100;
/** A paste of more lines than this asks before it becomes one message. */
export const PASTE_ASK_LINES = 5;
/** `server.ts --headless` prints its counters this often (and on SIGUSR1), in ms. */
export const HEADLESS_COUNTERS_MS = 60_000;

// ── Send Encrypted with sender keys (issue 15) ──────────────────────
/** A receiver refuses an encrypted message whose sender time is further than this from the server's stamp, in ms. */
export const E2E_MAX_CLOCK_SKEW_MS = 10 * 60_000;
/** Epochs of one sender's keys a receiver keeps (messages of an older epoch may still be in flight), count. */
export const SENDER_KEY_EPOCHS_KEPT = 8;
/** Times a client re-sends one encrypted room message the server refused for missing keys, count. */
export const SENDER_KEY_RESEND_MAX = 8;
/** RSA size of the signing key each sender makes per epoch for its room messages (made ahead of need), in bits. */
export const EPOCH_SIGNING_RSA_BITS = 2048;

// ── server memory (issue 18) ────────────────────────────────────────
/**
 * Largest V8 young generation the server lets itself grow to, in MB (both semi-spaces; V8's default
 * maximum is 32). A login ramp or a flood grows it to the maximum and V8 keeps it for good; capped, an
 * idle room of 1,000 stays under 150 MB. lib/app/young-generation.ts.
 */
export const SERVER_YOUNG_GEN_MAX_MB = 8;
/** After an attack, one compacting collection gives memory back (lib/compact-after-attack.ts): a second
 * with this many dropped datagrams, or this many connections before login, is a second of attack; this
 * many calm seconds end it; compactions are at least this far apart, in ms. */
export const ATTACK_DROPS_PER_S = 50;
export const ATTACK_PRELOGIN = 32;
export const ATTACK_QUIET_S = 2;
export const ATTACK_COMPACT_GAP_MS = 30_000;


// ── file transfer (issue 19) ─────────────────────────────────────────
/** Plaintext bytes of one file chunk (a chunk message stays far below MAX_MESSAGE_BYTES). */
export const FILE_CHUNK_BYTES = 32 * 1024;
/** Chunks a sender may have sent beyond the recipient's last acknowledgement (the server enforces it too). */
export const FILE_WINDOW_CHUNKS = 32;
/** The recipient acknowledges every this many verified chunks (and the last one). */
export const FILE_ACK_EVERY = 4;
/** Largest file offered or accepted by default, in bytes (--max-file). */
export const FILE_MAX_BYTES = 2 * 1024 ** 3;
/** Transfers one member may have going at once as sender, and as recipient, count. */
export const FILE_MAX_CONCURRENT = 3;
/** The server hands relayed chunks to a recipient's connection only while less than this is queued there, so chat goes first. */
export const FILE_RELAY_BUFFER_BYTES = 1024 * 1024;
/** While the room chats (a message fanned out in the last CHAT_ACTIVE_MS), the server relays file data at most this fast, in bytes/s. */
export const FILE_RELAY_RATE_WHILE_CHAT = 32 * 1024 * 1024;
export const CHAT_ACTIVE_MS = 1_000;
/** What the relay may hand on at once after a pause while the room chats, in bytes. */
export const FILE_RELAY_BURST_BYTES = 256 * 1024;
/** A sender puts chunks on its own connection only while less than this is queued there. */
export const FILE_SEND_BUFFER_BYTES = 1024 * 1024;
/** A sender reads its file this much at a time (a multiple of FILE_CHUNK_BYTES), in bytes. */
export const FILE_READ_BLOCK_BYTES = 1024 * 1024;
/** Progress events at most this often per transfer, in ms. */
export const FILE_PROGRESS_MS = 250;
/** An offer nobody answers ends after this long, on both sides, in ms (file_failed {reason: 'timeout'}). */
export const FILE_OFFER_TIMEOUT_MS = 10 * 60_000;
/** A paused transfer (someone's connection lost) ends after this long, in ms; the recipient's temporary file goes. */
export const FILE_PAUSE_TIMEOUT_MS = 10 * 60_000;
/** How often transfers are checked for those timeouts, in ms. */
export const FILE_SWEEP_MS = 5_000;
/** /accept refuses a file unless its folder's file system has this much free space beyond the file's size, in bytes. */
export const FILE_DISK_MARGIN_BYTES = 64 * 1024 ** 2;
/** The chat window redraws its live transfer bars at most this often, in ms. */
export const FILE_LIVE_MS = 250;
