// Assertions shared by the codec suites.
import * as assert from 'uvu/assert';
import { ProtocolError, type ProtocolErrorCode } from '../../lib/errors.ts';

/** Bytes from hex, white space allowed. */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Runs `fn` and checks it throws a ProtocolError with `code` and a message for people. */
export function throwsCode(fn: () => unknown, code: ProtocolErrorCode, what = ''): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ProtocolError, `${what}: expected a ProtocolError, got ${String(err)}`);
    assert.is((err as ProtocolError).code, code, `${what}: ${(err as Error).message}`);
    assert.ok((err as Error).message.length > 0);
    return;
  }
  assert.unreachable(`${what}: expected ProtocolError ${code}, nothing was thrown`);
}
