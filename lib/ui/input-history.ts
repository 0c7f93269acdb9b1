// Up/Down through the lines sent before, as shells and weechat do: the line being typed is kept and comes
// back after the newest entry. Pure; the chat input feeds it what was sent (and earlier sessions' lines).

/** Lines sent, oldest first, with a position while browsing. */
export class InputHistory {
  private readonly entries: string[] = [];
  /** Index into entries while browsing; entries.length when not browsing. */
  private pos = 0;
  /** The line that was being typed when browsing started. */
  private draft = '';

  constructor(private readonly max: number, earlier: string[] = []) {
    for (const line of earlier) this.add(line);
  }

  /** Records a sent line (not blanks, not a repeat of the newest) and stops browsing. */
  add(line: string): void {
    if (line.trim() && this.entries[this.entries.length - 1] !== line) this.entries.push(line);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    this.pos = this.entries.length;
    this.draft = '';
  }

  /** The line before (Up), given what the input holds now; undefined at the oldest. */
  up(current: string): string | undefined {
    if (this.pos === 0) return undefined;
    if (this.pos === this.entries.length) this.draft = current;
    return this.entries[--this.pos];
  }

  /** The line after (Down); past the newest, the line that was being typed; undefined when not browsing. */
  down(): string | undefined {
    if (this.pos >= this.entries.length) return undefined;
    this.pos++;
    return this.pos === this.entries.length ? this.draft : this.entries[this.pos];
  }

  /** Stops browsing (the person edited or sent the line). */
  reset(): void {
    this.pos = this.entries.length;
  }

  /** The recorded lines, oldest first. */
  list(): string[] {
    return [...this.entries];
  }
}
