// The chat's input line: a text field (lib/ui/input-field.ts) with history on Up/Down, Tab completion,
// multi-line text (Alt-Enter, a pasted block) and a question before a long paste becomes one message.
import type { Widgets } from 'blessed';
import { applyCompletion, nextCompletion, startCompletion, type Completion, type CompletionSource } from './complete.ts';
import { listDir } from './complete-path.ts';
import { InputHistory } from './input-history.ts';
import { textField, type TextField } from './widgets.ts';
import { CHAT_HISTORY_LINES, PASTE_ASK_LINES } from '../constants.ts';

/** What the chat input asks of its view. */
export interface ChatInputHooks {
  /** Enter: the whole text (several lines when it has line breaks). */
  submit(text: string): void;
  /** Names to complete (members, yourself left out). */
  names(): string[];
  /** Command words to complete, with their slash. */
  commands(): string[];
  /** Transfer ids to complete: offers waiting for an answer, and every transfer. */
  transfers(): { offers: string[]; all: string[] };
  /** A paste of `lines` lines (more than PASTE_ASK_LINES): resolve true to insert it as one message. */
  confirmPaste(lines: number): Promise<boolean>;
}

/** The input line of the chat view. */
export class ChatInput {
  readonly field: TextField;
  readonly history = new InputHistory(CHAT_HISTORY_LINES);
  private completion: Completion | undefined;
  private completing = false;

  constructor(opts: Widgets.BoxOptions & { onClick: () => void }, private readonly hooks: ChatInputHooks) {
    this.field = textField(opts);
    const f = this.field;
    f.on('submit', (text: string) => this.hooks.submit(text));
    // Escape clears nothing: a reflex must not throw away a line.
    f.on('edit', () => {
      if (!this.completing) this.completion = undefined;
    });
    f.key(['up'], () => this.recall(this.history.up(f.getValue())));
    f.key(['down'], () => this.recall(this.history.down()));
    f.key(['tab'], () => this.complete());
    f.onPaste = (text) => void this.paste(text);
  }

  /** Lines sent in earlier sessions, oldest first, for Up. */
  seedHistory(lines: string[]): void {
    const now = this.history.list();
    for (const l of [...lines, ...now]) this.history.add(l);
  }

  private recall(line: string | undefined): void {
    if (line !== undefined) this.field.setValue(line);
  }

  private complete(): void {
    const f = this.field;
    // Tab after the only choice starts again from there (a folder just completed: its entries).
    const c = this.completion && this.completion.choices.length > 1
      ? nextCompletion(this.completion)
      : startCompletion(f.getValue(), f.editor.cursor, this.source());
    if (!c) return;
    const { text, cursor } = applyCompletion(c);
    this.completing = true;
    f.setValue(text, cursor);
    this.completing = false;
    this.completion = c;
  }

  private source(): CompletionSource {
    const { offers, all } = this.hooks.transfers();
    return { names: this.hooks.names(), commands: this.hooks.commands(), listDir, offers, transfers: all };
  }

  private async paste(text: string): Promise<void> {
    const lines = text.replace(/\n+$/, '').split('\n').length;
    if (lines > PASTE_ASK_LINES && !(await this.hooks.confirmPaste(lines))) return;
    this.field.editor.insert(lines > 1 ? text.replace(/\n+$/, '') : text);
    this.field.setValue(this.field.editor.text, this.field.editor.cursor);
  }
}
