// Typed errors: a message for people and a stable code for programs.

/** Codes for malformed or unacceptable input from a peer (wire, channel, session). */
export type ProtocolErrorCode =
  | 'bad_version'
  | 'bad_type'
  | 'bad_frame'
  | 'bad_field'
  | 'truncated'
  | 'too_large'
  | 'trailing_bytes'
  | 'bad_ack'
  | 'bad_message'
  | 'window_full'
  | 'bad_signature'
  | 'bad_cookie'
  | 'not_open';

/** Malformed or unacceptable input from a peer. The session decides what to do with it (drop, count, reply). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(readonly code: ProtocolErrorCode, message: string, readonly data?: Record<string, unknown>) {
    super(message);
  }
}

/** Codes a person may see when the room refuses something; also the `error.code` of the JSON line mode. */
export type ChatErrorCode =
  | 'wrong_password'
  | 'name_taken'
  | 'bad_name'
  | 'rate_limited'
  | 'too_large'
  | 'server_key_changed'
  | 'server_gone'
  | 'no_such_user'
  | 'not_logged_in'
  | 'flood'
  | 'bad_arguments'
  | 'timeout'
  | 'verify_failed'
  // issue 15: sending encrypted to someone whose keys changed, until /verify NAME yes or /trust NAME
  | 'key_changed';

/** A refusal or failure at the chat level, meant to be shown to a person. */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(readonly code: ChatErrorCode, message: string, readonly data?: Record<string, unknown>) {
    super(message);
  }
}
