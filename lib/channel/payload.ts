// The payload a channel is filling (lib/channel/channel.ts): its frames, packed with retransmissions and new
// fragments up to the payload size, then encoded in one go (into one shared buffer with reusePayload).
import { LARGE_PAYLOAD_MAX_BYTES, MAX_ACK_RANGES } from '../constants.ts';
import { DATA_FRAME_OVERHEAD, encodeFrames, frameLength, type Frame } from '../wire.ts';
import type { Sender } from './send.ts';

/** Largest ACK frame, in bytes. */
const ACK_FRAME_MAX_BYTES = 8 + 8 * MAX_ACK_RANGES;
/** A PING frame, in bytes. */
const PING_FRAME_BYTES = 1;
/** A message is not cut to fill the end of a payload if the piece would be smaller, in bytes. */
const MIN_PIECE_BYTES = 64;

let scratchBuf = Buffer.allocUnsafeSlow(0); // where channels with reusePayload build payloads (see scratch())

function scratch(): Buffer { // the reused payload buffer (reusePayload): one for every channel, as send is synchronous
  return scratchBuf.length > 0 ? scratchBuf : (scratchBuf = Buffer.allocUnsafeSlow(LARGE_PAYLOAD_MAX_BYTES));
}

/**
 * Largest data in one fragment of payloads of `size` bytes, so a full DATA frame, an ACK and a PING share a
 * payload. Throws RangeError if `size` cannot hold them with a useful DATA frame.
 */
export function maxDataFor(size: number): number {
  const maxData = Math.min(0xffff, size - ACK_FRAME_MAX_BYTES - PING_FRAME_BYTES - DATA_FRAME_OVERHEAD);
  if (maxData < MIN_PIECE_BYTES) throw new RangeError(`maxPayload ${size} is too small`);
  return maxData;
}

/** The frames of the next payload. */
export class Payload {
  private readonly frames: Frame[] = [];
  private size = 0;
  /** The payload being filled holds an ACK frame. */
  hasAck = false;

  /** Frames in the payload being filled. */
  get count(): number { return this.frames.length; }

  push(f: Frame): void {
    this.frames.push(f);
    this.size += frameLength(f);
    if (f.type === 'ack') this.hasAck = true;
  }

  /** Encodes the frames (into the shared buffer if `reuse`) and empties this for the next payload. */
  encode(reuse: boolean): Buffer {
    const payload = encodeFrames(this.frames, reuse ? scratch() : undefined);
    this.frames.length = 0; // encoded: the array is reused for the next payload
    this.size = 0;
    this.hasAck = false;
    return payload;
  }

  /** Fills the current payload: retransmissions first (oldest loss first), then new fragments; returns the frames added. */
  fillData(sender: Sender, maxPayload: number, maxData: number, now: number): number {
    const before = this.frames.length;
    if (sender.hasLost) {
      for (const f of sender.lostFragments()) {
        if (this.size + frameLength(f) > maxPayload) break;
        sender.resend(f, now);
        this.push(f);
      }
    }
    while (sender.canSendNew) {
      const room = maxPayload - this.size - DATA_FRAME_OVERHEAD;
      const want = sender.nextChunkLength(maxData);
      if (room < want && room < MIN_PIECE_BYTES) break;
      this.push(sender.takeFragment(Math.min(room, maxData), now));
    }
    return this.frames.length - before;
  }
}
