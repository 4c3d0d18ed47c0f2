// What to mask before anything is logged. The runner masks line by line, so a multi-line kubeconfig is
// masked as a whole and by each credential it holds.
import { parse } from 'yaml';

/** Shorter strings (user names like `ci`) would mask ordinary words all over the log. */
const MIN_SECRET_LENGTH = 8;

function stringsUnder(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(stringsUnder);
  if (node !== null && typeof node === 'object') return Object.values(node).flatMap(stringsUnder);
  return [];
}

/** Kubeconfig content is YAML or JSON; a value without a line break or brace is a path, not content. */
export function looksLikeKubeconfigContent(value: string): boolean {
  return value.includes('\n') || value.trimStart().startsWith('{');
}

/** `users[].user` of a kubeconfig (the user names beside them are not secret); nothing when unreadable. */
function userEntries(content: string): unknown[] {
  try {
    const users = (parse(content) as { users?: unknown } | null)?.users;
    return Array.isArray(users) ? users.map((entry: { user?: unknown } | null) => entry?.user) : [];
  } catch {
    return [];
  }
}

/** The content itself and every credential string under `users` (tokens, keys, passwords, exec env). */
export function kubeconfigSecrets(content: string): string[] {
  const credentials = stringsUnder(userEntries(content)).flatMap((value) => value.split(/\r?\n/));
  return [...new Set([content, ...credentials])].filter(
    (secret) => secret.trim().length >= MIN_SECRET_LENGTH,
  );
}
