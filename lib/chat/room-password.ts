// The room password, held in one place for the server's lifetime: the login code can read it, but it is
// not a property of any options object, and printing, logging or serialising the holder shows nothing.
import { inspect } from 'node:util';

const HIDDEN = '[room password hidden]';

export class RoomPassword {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The password itself, for the login code only (never log or send it). */
  reveal(): string {
    return this.#value;
  }

  toJSON(): string { return HIDDEN; }
  toString(): string { return HIDDEN; }
  [inspect.custom](): string { return HIDDEN; }
}

/** `opts` without its `password`, and the password in its holder. */
export function takePassword<T extends { password: string }>(opts: T): { rest: Omit<T, 'password'>; password: RoomPassword } {
  const { password, ...rest } = opts;
  return { rest, password: new RoomPassword(password) };
}
