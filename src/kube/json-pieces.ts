// A request body's JSON as a few pieces of bytes rather than one string and one buffer of the whole.
//
// A string or buffer past 128 KiB does not come from the heap's pages already in use: V8 puts such a string
// in a large-object page of its own and malloc maps fresh memory for such a buffer, and every one of their
// pages is faulted in again on each allocation. On the virtual machine the benchmark runs on (GitHub's
// runners are virtual machines too) a page fault costs ~17 µs: the body of a 1,000-route VirtualService
// (194 KB) cost 1.3–1.8 ms as one string and one buffer, and 0.45–0.6 ms as pieces of 32 K characters.
import { isPlainRecord, omittedByJson } from '../plan/objects.js';

const PIECE_CHARS = 32 * 1024;
/** Items of a long list written by one JSON.stringify call: a few kilobytes each for routes. */
const ITEMS_PER_CALL = 64;
/** How far down the pieces are cut: the object, its spec, the spec's lists (a VirtualService's http). */
const DEPTH = 3;

/** Collects text into pieces of about PIECE_CHARS characters. */
class Pieces {
  readonly done: string[] = [];
  private current = '';

  add(text: string): void {
    this.current += text;
    if (this.current.length >= PIECE_CHARS) {
      this.done.push(this.current);
      this.current = '';
    }
  }

  end(): string[] {
    if (this.current !== '') this.done.push(this.current);
    return this.done;
  }
}

function write(value: unknown, depth: number, out: Pieces): void {
  if (depth < DEPTH && Array.isArray(value)) {
    out.add('[');
    for (let from = 0; from < value.length; from += ITEMS_PER_CALL) {
      const items = JSON.stringify(value.slice(from, from + ITEMS_PER_CALL));
      out.add(from > 0 ? `,${items.slice(1, -1)}` : items.slice(1, -1));
    }
    out.add(']');
    return;
  }
  if (depth < DEPTH && typeof value === 'object' && value !== null && isPlainRecord(value)) {
    out.add('{');
    let first = true;
    for (const key of Object.keys(value)) {
      const member = value[key];
      if (omittedByJson(member)) continue;
      out.add(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      write(member, depth + 1, out);
    }
    out.add('}');
    return;
  }
  out.add(JSON.stringify(value));
}

/**
 * The text of `JSON.stringify(value)` for plain data (what the planner writes), in pieces: one piece when
 * it is short. A toJSON method below the object's first levels is called with its list index within a
 * call, not within the whole list (Date's, the only one JSON data may meet, reads no index).
 */
export function jsonPieces(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [JSON.stringify(value)];
  const out = new Pieces();
  write(value, 0, out);
  return out.end();
}

/** A request body: its JSON as one string when short, else as buffers of pieces with their total length. */
export function jsonBody(value: unknown): string | { pieces: Buffer[]; length: number } {
  const pieces = jsonPieces(value);
  if (pieces.length === 1) return pieces[0]!;
  const buffers = pieces.map((piece) => Buffer.from(piece));
  return { pieces: buffers, length: buffers.reduce((sum, buffer) => sum + buffer.length, 0) };
}
