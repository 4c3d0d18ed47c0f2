// Strings that come from users or the cluster (names, matches, error messages) must not turn into markup.

// Punctuation that starts emphasis, code, links, tables or strike-through anywhere in a line.
const MARKDOWN_SPECIAL = /[\\`*_[\]|~]/g;
const HTML_SPECIAL: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes HTML first (GitHub renders inline HTML in markdown), then markdown, and folds lines into one. */
export function escapeMarkdown(text: string): string {
  return escapeHtml(text)
    .replace(/\r?\n/g, ' ')
    .replace(MARKDOWN_SPECIAL, (char) => `\\${char}`);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_SPECIAL[char] ?? char);
}

/** Inline code that cannot be closed early by a backtick inside the text. */
export function inlineCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${ticks}`;
}

/** A fenced block longer than any backtick run inside, so the content cannot end it. */
export function codeBlock(content: string, language = ''): string {
  const longest = Math.max(0, ...[...content.matchAll(/`{3,}/g)].map((run) => run[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `${fence}${language}\n${body}${fence}`;
}
