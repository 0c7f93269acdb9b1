// Tests of the binary plain room message (lib/chat/messages.ts): round trips, a fixed hex vector, the same
// result and validation as the JSON path, typed errors for every bad length, and the encoder's RangeErrors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_TEXT_BYTES } from '../lib/constants.ts';
import {
  decodeServerMessage, encodeMessage, encodePlainRoomMessage, MAX_ID_CHARS, PLAIN_ROOM_MESSAGE_KIND, type WireChat,
} from '../lib/chat/messages.ts';
import { hex, throwsCode } from './support/protocol-asserts.ts';

/** Runs `fn` and checks it throws a RangeError whose message mentions `mentions`. */
function throwsRange(fn: () => unknown, mentions: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, RangeError, `${String(mentions)}: expected a RangeError, got ${String(err)}`);
    assert.match((err as Error).message, mentions);
    return;
  }
  assert.unreachable(`${String(mentions)}: expected a RangeError, nothing was thrown`);
}

/** A typical room message: a 12-character id as clients make them, a short name, a 100-byte text. */
const TYPICAL: WireChat = { seq: 12_345, id: 'q3Zk8_Lm2PxA', from: 'budi', ts: 1_700_000_000_000, text: 'x'.repeat(100) };

const SAMPLES: WireChat[] = [
  TYPICAL,
  { seq: 1, id: 'a', from: 'Siti', ts: 0, text: '' },
  { seq: 0, id: '', from: '', ts: 0, text: 'empty id and from' },
  { seq: 2 ** 48 - 1, id: 'max', from: 'Wayan', ts: 2 ** 48 - 1, text: 'the largest seq and ts' },
  { seq: 7, id: 'ü'.repeat(MAX_ID_CHARS), from: 'Dewi Ñandú', ts: 1_700_000_000_001, text: 'selamat pagi — ¿qué tal? 你好 👋🏽' },
  { seq: 8, id: '😀'.repeat(MAX_ID_CHARS / 2), from: 'Ω'.repeat(127), ts: 5, text: 'a four-byte id and a 254-byte name' },
  { seq: 9, id: 'big', from: 'Agus', ts: 6, text: 'ab'.repeat(MAX_TEXT_BYTES / 2) },
  { seq: 10, id: 'lines', from: 'Agus', ts: 6, text: '{"t":"msg"}\n\u0000\u0001 starts like JSON' },
];

/** The JSON encoding of the same message, as the server sent it before. */
const asJson = (m: WireChat): Buffer => encodeMessage({ t: 'msg', m });

test('round-trips plain room messages, including non-ASCII, empty text, a 16 KiB text and the largest seq', () => {
  for (const m of SAMPLES) {
    const bytes = encodePlainRoomMessage(m);
    assert.is(bytes[0], PLAIN_ROOM_MESSAGE_KIND, m.id);
    assert.equal(decodeServerMessage(bytes), { t: 'msg', m }, m.id);
  }
});

test('decodes to exactly what the JSON encoding of the same message decodes to', () => {
  for (const m of SAMPLES) {
    const fromBinary = decodeServerMessage(encodePlainRoomMessage(m));
    const fromJson = decodeServerMessage(asJson(m));
    assert.equal(fromBinary, fromJson, m.id);
    assert.equal(Object.keys((fromBinary as { m: object }).m), Object.keys((fromJson as { m: object }).m), `${m.id}: key order`);
  }
});

test('encodes a small message to the hand-written hex of the layout, and decodes that hex back', () => {
  const m: WireChat = { seq: 1, id: 'a1', from: 'Budi', ts: 1_700_000_000_000, text: 'hai' };
  const bytes = hex('01 000000000001 018bcfe56800 02 6131 04 42756469 686169');
  assert.is(encodePlainRoomMessage(m).toString('hex'), bytes.toString('hex'));
  assert.equal(decodeServerMessage(bytes), { t: 'msg', m });
});

test('rejects every truncation that cuts into the fixed fields, the id or the name', () => {
  for (const m of SAMPLES.slice(0, 6)) {
    const bytes = encodePlainRoomMessage(m);
    const textAt = bytes.length - Buffer.byteLength(m.text!, 'utf8');
    for (let n = 0; n < textAt; n++) throwsCode(() => decodeServerMessage(bytes.subarray(0, n)), 'bad_message', `${m.id}: first ${n} of ${bytes.length} bytes`);
  }
});

test('reads a message cut inside its text as a shorter text, because the channel keeps message boundaries', () => {
  const bytes = encodePlainRoomMessage(TYPICAL);
  const cut = decodeServerMessage(bytes.subarray(0, bytes.length - 40));
  assert.equal(cut, { t: 'msg', m: { ...TYPICAL, text: 'x'.repeat(60) } });
});

test('rejects an id or a name whose length runs past the end of the message', () => {
  // seq 1, ts 2, id "ab", from "cd", text "e"
  const valid = hex('01 000000000001 000000000002 02 6162 02 6364 65');
  assert.equal(decodeServerMessage(valid), { t: 'msg', m: { seq: 1, id: 'ab', from: 'cd', ts: 2, text: 'e' } });
  const bad = (at: number, value: number): Buffer => { const b = Buffer.from(valid); b[at] = value; return b; };
  throwsCode(() => decodeServerMessage(bad(13, 0xff)), 'bad_message', 'id length 255');
  throwsCode(() => decodeServerMessage(bad(13, 5)), 'bad_message', 'id covering the name length byte and past it');
  throwsCode(() => decodeServerMessage(bad(13, 6)), 'bad_message', 'id ending at the very end, no name length byte');
  throwsCode(() => decodeServerMessage(bad(16, 4)), 'bad_message', 'name length one past the end');
  throwsCode(() => decodeServerMessage(bad(16, 0xff)), 'bad_message', 'name length 255');
  // Lengths that end exactly at the end are fine: the text is then empty.
  assert.equal(decodeServerMessage(bad(16, 3)), { t: 'msg', m: { seq: 1, id: 'ab', from: 'cde', ts: 2, text: '' } });
});

test('rejects an id longer than MAX_ID_CHARS characters, as the JSON path does', () => {
  const id = 'i'.repeat(MAX_ID_CHARS + 1);
  const bytes = Buffer.concat([hex('01 000000000001 000000000002'), Buffer.from([id.length]), Buffer.from(id), hex('02 6364 65')]);
  throwsCode(() => decodeServerMessage(bytes), 'bad_message', 'binary');
  throwsCode(() => decodeServerMessage(asJson({ seq: 1, id, from: 'cd', ts: 2, text: 'e' })), 'bad_message', 'JSON');
});

test('rejects a text over MAX_TEXT_BYTES bytes with too_large, and accepts one of exactly that size', () => {
  const m = (text: string): WireChat => ({ seq: 1, id: 'big', from: 'Agus', ts: 2, text });
  throwsCode(() => decodeServerMessage(encodePlainRoomMessage(m('x'.repeat(MAX_TEXT_BYTES + 1)))), 'too_large', 'ASCII');
  throwsCode(() => decodeServerMessage(encodePlainRoomMessage(m('é'.repeat(MAX_TEXT_BYTES / 2) + 'x'))), 'too_large', 'two-byte characters');
  const exact = m('é'.repeat(MAX_TEXT_BYTES / 2));
  assert.equal(decodeServerMessage(encodePlainRoomMessage(exact)), { t: 'msg', m: exact });
});

test('measures the decoded text, so invalid UTF-8 that decodes larger than its bytes is too_large', () => {
  // 6,000 stray bytes decode to 6,000 U+FFFD, 18,000 bytes of UTF-8: over the limit as text, as in the JSON path.
  const bytes = Buffer.concat([hex('01 000000000001 000000000002 02 6162 02 6364'), Buffer.alloc(6_000, 0xff)]);
  throwsCode(() => decodeServerMessage(bytes), 'too_large');
  const few = Buffer.concat([hex('01 000000000001 000000000002 02 6162 02 6364'), hex('ff ff')]);
  assert.equal(decodeServerMessage(few), { t: 'msg', m: { seq: 1, id: 'ab', from: 'cd', ts: 2, text: '\ufffd\ufffd' } });
});

test('rejects a message whose first byte is neither the binary kind nor the start of JSON', () => {
  throwsCode(() => decodeServerMessage(Buffer.alloc(0)), 'bad_message', 'empty');
  for (const first of [0x00, 0x02, 0x20, 0x5b, 0x7d, 0xff]) {
    const bytes = encodePlainRoomMessage(TYPICAL);
    bytes[0] = first;
    throwsCode(() => decodeServerMessage(bytes), 'bad_message', `first byte 0x${first.toString(16)}`);
  }
  throwsCode(() => decodeServerMessage(Buffer.from(' {"t":"auth_ok"}')), 'bad_message', 'JSON after a space');
  assert.equal(decodeServerMessage(Buffer.from('{"t":"auth_ok","mac":"AA=="}')), { t: 'auth_ok', mac: 'AA==' });
});

test('refuses to encode what the layout cannot carry, with a RangeError naming the field', () => {
  throwsRange(() => encodePlainRoomMessage({ ...TYPICAL, id: 'i'.repeat(MAX_ID_CHARS + 1) }), /^id /);
  throwsRange(() => encodePlainRoomMessage({ ...TYPICAL, from: 'f'.repeat(256) }), /^from /);
  throwsRange(() => encodePlainRoomMessage({ ...TYPICAL, from: 'ä'.repeat(128) }), /^from /);
  for (const seq of [-1, 1.5, 2 ** 48, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) throwsRange(() => encodePlainRoomMessage({ ...TYPICAL, seq }), /^seq /);
  for (const ts of [-1, 0.5, 2 ** 48, Number.POSITIVE_INFINITY]) throwsRange(() => encodePlainRoomMessage({ ...TYPICAL, ts }), /^ts /);
  throwsRange(() => encodePlainRoomMessage({ ...TYPICAL, env: { v: 1 } }), /\(env\)/);
  throwsRange(() => encodePlainRoomMessage({ ...TYPICAL, to: 'siti' }), /\(to\)/);
  const { text: _text, ...noText } = TYPICAL;
  throwsRange(() => encodePlainRoomMessage(noText), /text/);
  // The limits themselves are fine.
  encodePlainRoomMessage({ ...TYPICAL, id: 'i'.repeat(MAX_ID_CHARS), from: 'f'.repeat(255) });
});

test('makes a typical 100-byte message smaller than its JSON encoding', () => {
  const binary = encodePlainRoomMessage(TYPICAL).length;
  const json = asJson(TYPICAL).length;
  assert.is(binary, 15 + 12 + 4 + 100);
  assert.ok(binary < json, `binary ${binary} bytes, JSON ${json} bytes`);
  assert.ok(json - binary >= 40, `saves ${json - binary} bytes`);
});

test.run();
