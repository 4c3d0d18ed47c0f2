// Which strings of a kubeconfig are credentials, to be masked in logs: the one rule for the action's inputs,
// the files the client loads and the CLI's output. Masking more than credentials is not harmless: the runner
// hides every occurrence of a masked string and drops each job output that contains one, so masking
// `default` or `1` (an exec plugin's AWS_PROFILE, AWS_SDK_LOAD_CONFIG) or a file path would empty the outputs
// the next job reads and turn messages into "***".
import { loadKubeconfigYaml } from './client-node.js';

/**
 * Shorter strings are never registered as masks: they would hide ordinary words and numbers all over the
 * log and void outputs that merely contain them. They are still never printed (nothing here echoes a
 * kubeconfig), only not searched for in every line.
 */
export const MIN_MASKED_LENGTH = 8;

/** Names of values that are credentials: exec env variables, auth-provider config keys. */
const CREDENTIAL_NAME = /token|secret|password|passwd|key|credential/i;
/** …unless the name says the value is where a credential lives (AWS_SHARED_CREDENTIALS_FILE, key-path). */
const LOCATION_NAME = /(file|path|dir|directory)$/i;

export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && !LOCATION_NAME.test(name);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function strings(...values: unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string');
}

/** The credentials of one `users[].user` entry, as kubectl writes it. */
function userCredentials(user: Record<string, unknown>): string[] {
  const keyData = strings(user['client-key-data']);
  const decodedKeys = keyData.map((data) => Buffer.from(data, 'base64').toString('utf8'));
  const providerConfig = record(record(user['auth-provider']).config);
  const fromProvider = Object.entries(providerConfig)
    .filter(([name]) => isCredentialName(name))
    .flatMap(([, value]) => strings(value));
  const execEnv = record(user.exec).env;
  const fromExec = (Array.isArray(execEnv) ? execEnv : [])
    .map(record)
    .filter((entry) => typeof entry.name === 'string' && isCredentialName(entry.name))
    .flatMap((entry) => strings(entry.value));
  return [...strings(user.token, user.password), ...keyData, ...decodedKeys, ...fromProvider, ...fromExec];
}

/** Every credential in kubeconfig content (YAML or JSON); nothing when it cannot be parsed. */
export function kubeconfigCredentials(content: string): string[] {
  let users: unknown;
  try {
    // The parser client-node reads kubeconfigs with: what it takes for a credential is masked.
    users = record(loadKubeconfigYaml(content)).users;
  } catch {
    return [];
  }
  return (Array.isArray(users) ? users : []).flatMap((entry) => userCredentials(record(record(entry).user)));
}

/**
 * What to register with the masker for these credentials: the runner masks line by line, so a multi-line
 * credential (a PEM key) is registered as a whole and by each of its lines; nothing shorter than
 * MIN_MASKED_LENGTH; no duplicates.
 */
export function maskableValues(values: string[]): string[] {
  const pieces = values.flatMap((value) => {
    const lines = value.split(/\r?\n/).map((line) => line.trim());
    return lines.length > 1 ? [value.trim(), ...lines] : [value.trim()];
  });
  return [...new Set(pieces)].filter((piece) => piece.length >= MIN_MASKED_LENGTH);
}

/**
 * The kubeconfig content as a whole (never by line: its lines are field names, the server address and
 * context names, which messages must be able to show) and each credential in it.
 */
export function kubeconfigMasks(content: string): string[] {
  const whole = content.trim();
  const credentials = maskableValues(kubeconfigCredentials(content));
  return [...new Set([whole, ...credentials])].filter((value) => value.length >= MIN_MASKED_LENGTH);
}
