// Where the cluster credentials come from, in kubectl's order: the `kubeconfig` option (content or path),
// KUBECONFIG, ~/.kube/config, then the in-cluster service account. Nothing here ever echoes the content:
// a kubeconfig holds tokens and keys, so errors name the source and the line, never the text.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { KubeConfig, loadKubeconfigYaml } from './client-node.js';
import { InputError } from '../errors.js';
import { kubeconfigMasks } from './credentials.js';

export interface KubeConfigOptions {
  /** Kubeconfig content (YAML or JSON) or a path to a file holding it. */
  kubeconfig?: string;
  /** The context to use instead of the file's current-context. */
  context?: string;
}

/** Where to look when no kubeconfig is given: the process's own by default, swapped in tests. */
export interface KubeConfigEnvironment {
  env: NodeJS.ProcessEnv;
  homeDir: string;
  /** Prefix of /var/run/secrets/kubernetes.io/serviceaccount (client-node's in-cluster convention). */
  serviceAccountPrefix: string;
}

export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  /** The raw content and every credential in it (see credentials.ts): mask them before logging anything. */
  secrets: string[];
  /** Where it came from, safe to print: `the kubeconfig input`, `KUBECONFIG (/path)`, `in-cluster`. */
  source: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const defaultEnvironment = (): KubeConfigEnvironment => ({
  env: process.env,
  homeDir: homedir(),
  serviceAccountPrefix: '',
});

/** A path is one line without YAML structure; content always has a newline, a `{` or a `key:`. */
export function looksLikeKubeconfigContent(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.includes('\n') || trimmed.startsWith('{') || /^[\w-]+:\s/.test(trimmed);
}

function readKubeConfigFile(path: string, source: string): string {
  if (!existsSync(path)) {
    throw new InputError(
      'kubeconfig',
      `kubeconfig file ${path} (from ${source}) not found: pass the kubeconfig's content or an existing path`,
    );
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw new InputError(
      'kubeconfig',
      `kubeconfig file ${path} cannot be read (${code}): check its permissions`,
    );
  }
}

/**
 * Kubeconfigs parsed in this process, by directory and content, and their masks by content: concurrent
 * runs of a library user (one per service) read the same file, and parsing it three times per run (our
 * check, client-node's, the masks) made most of a run's garbage besides the plan. Each caller still gets a
 * KubeConfig of its own (a context is selected on it) over the same parsed entries. Bounded: a process
 * rarely holds more than a few kubeconfigs.
 */
type ConfigEntries = Pick<KubeConfig, 'clusters' | 'users' | 'contexts' | 'currentContext'>;
const parsedConfigs = new Map<string, ConfigEntries>();
const parsedMasks = new Map<string, string[]>();
const MAX_REMEMBERED = 16;

function remembered<T>(memory: Map<string, T>, key: string, make: () => T): T {
  const known = memory.get(key);
  if (known) return known;
  const made = make();
  if (memory.size >= MAX_REMEMBERED) memory.delete(memory.keys().next().value as string);
  memory.set(key, made);
  return made;
}

function parseKubeConfig(content: string, source: string, baseDir?: string): KubeConfig {
  const entries = remembered(parsedConfigs, JSON.stringify([baseDir ?? '', content]), () =>
    parseKubeConfigOnce(content, source, baseDir),
  );
  const kubeConfig = new KubeConfig();
  // Fresh arrays: merging several KUBECONFIG files appends to them.
  kubeConfig.loadFromOptions({
    clusters: [...entries.clusters],
    users: [...entries.users],
    contexts: [...entries.contexts],
    currentContext: entries.currentContext,
  });
  return kubeConfig;
}

function masksOf(content: string): string[] {
  return remembered(parsedMasks, content, () => kubeconfigMasks(content));
}

/** The line of a YAML syntax error (js-yaml's YAMLException counts from 0); its message quotes the text. */
function syntaxErrorLine(err: unknown): number | undefined {
  const mark = (err as { mark?: { line?: unknown } }).mark;
  return typeof mark?.line === 'number' ? mark.line + 1 : undefined;
}

/**
 * Parses with the YAML parser KubeConfig itself uses (js-yaml), first on its own so that a syntax error is
 * reported by line without any content, and an object that is not a kubeconfig is named as such.
 */
function parseKubeConfigOnce(content: string, source: string, baseDir?: string): KubeConfig {
  let parsed: unknown;
  try {
    parsed = loadKubeconfigYaml(content);
  } catch (err) {
    const line = syntaxErrorLine(err);
    throw new InputError(
      'kubeconfig',
      `the kubeconfig from ${source} is not valid YAML or JSON${line ? ` (line ${line})` : ''}: pass the file exactly as kubectl writes it`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || !('clusters' in parsed)) {
    throw new InputError(
      'kubeconfig',
      `the kubeconfig from ${source} has no clusters: pass a kubeconfig (apiVersion: v1, kind: Config), not another file`,
    );
  }
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromString(content);
  } catch (err) {
    // client-node's messages name fields only (`clusters[0].cluster.server is missing`), never values.
    const reason = err instanceof Error ? err.message : String(err);
    throw new InputError(
      'kubeconfig',
      `the kubeconfig from ${source} is incomplete (${reason}): fix that entry`,
    );
  }
  if (baseDir) kubeConfig.makePathsAbsolute(baseDir);
  return kubeConfig;
}

interface Loaded {
  kubeConfig: KubeConfig;
  contents: string[];
  source: string;
}

function fromKubeconfigEnv(value: string): Loaded | undefined {
  const paths = value.split(delimiter).filter((path) => path !== '');
  // kubectl merges every listed file and skips the missing ones; the first file's current-context wins.
  const existing = paths.filter((path) => existsSync(path));
  if (existing.length === 0) {
    if (paths.length === 0) return undefined;
    throw new InputError(
      'kubeconfig',
      `KUBECONFIG names no existing file (${paths.join(delimiter)}): point it at a kubeconfig or pass the kubeconfig input`,
    );
  }
  const merged = new KubeConfig();
  const contents: string[] = [];
  existing.forEach((path, index) => {
    const content = readKubeConfigFile(path, 'KUBECONFIG');
    contents.push(content);
    const one = parseKubeConfig(content, `KUBECONFIG (${path})`, dirname(path));
    if (index === 0) merged.loadFromOptions(one);
    else mergeMissing(merged, one);
  });
  return { kubeConfig: merged, contents, source: `KUBECONFIG (${existing.join(delimiter)})` };
}

/** kubectl's merge rule: the first file that names a cluster, user or context wins. */
function mergeMissing(into: KubeConfig, from: KubeConfig): void {
  for (const cluster of from.clusters) if (!into.getCluster(cluster.name)) into.clusters.push(cluster);
  for (const user of from.users) if (!into.getUser(user.name)) into.users.push(user);
  for (const context of from.contexts) if (!into.getContextObject(context.name)) into.contexts.push(context);
  if (!into.currentContext) into.currentContext = from.currentContext;
}

function fromServiceAccount(environment: KubeConfigEnvironment): Loaded | undefined {
  const tokenPath = `${environment.serviceAccountPrefix}${SERVICE_ACCOUNT_DIR}/token`;
  if (!environment.env.KUBERNETES_SERVICE_HOST || !existsSync(tokenPath)) return undefined;
  const kubeConfig = new KubeConfig();
  // client-node reads KUBERNETES_SERVICE_HOST/PORT from process.env itself.
  kubeConfig.loadFromCluster(environment.serviceAccountPrefix);
  return {
    kubeConfig,
    contents: [readFileSync(tokenPath, 'utf8').trim()],
    source: 'the in-cluster service account',
  };
}

function locate(options: KubeConfigOptions, environment: KubeConfigEnvironment): Loaded {
  const given = options.kubeconfig?.trim();
  if (given) {
    if (looksLikeKubeconfigContent(given)) {
      return {
        kubeConfig: parseKubeConfig(options.kubeconfig ?? '', 'the kubeconfig input'),
        contents: [options.kubeconfig ?? ''],
        source: 'the kubeconfig input',
      };
    }
    const content = readKubeConfigFile(given, 'the kubeconfig input');
    return {
      kubeConfig: parseKubeConfig(content, given, dirname(given)),
      contents: [content],
      source: given,
    };
  }
  const fromEnv = fromKubeconfigEnv(environment.env.KUBECONFIG ?? '');
  if (fromEnv) return fromEnv;
  const homeConfig = join(environment.homeDir, '.kube', 'config');
  if (existsSync(homeConfig)) {
    const content = readKubeConfigFile(homeConfig, '~/.kube/config');
    return {
      kubeConfig: parseKubeConfig(content, homeConfig, dirname(homeConfig)),
      contents: [content],
      source: homeConfig,
    };
  }
  const inCluster = fromServiceAccount(environment);
  if (inCluster) return inCluster;
  throw new InputError(
    'kubeconfig',
    'no kubeconfig found (no kubeconfig input, KUBECONFIG, ~/.kube/config or in-cluster service account): pass the kubeconfig input or set KUBECONFIG',
  );
}

/** `"a", "b"` or `none`: the contexts a kubeconfig has, for messages. */
function listedContexts(kubeConfig: KubeConfig): string {
  const names = kubeConfig.contexts.map((context) => context.name);
  return names.length > 0 ? names.map((name) => `"${name}"`).join(', ') : 'none';
}

function checkContextExists(kubeConfig: KubeConfig, wanted: string, source: string, field: string): void {
  if (kubeConfig.getContextObject(wanted)) return;
  const prefix = field === 'context' ? '' : `${field}: `;
  throw new InputError(
    field,
    `${prefix}context "${wanted}" is not in the kubeconfig from ${source}: it has ${listedContexts(kubeConfig)}; pass one of them`,
  );
}

function selectContext(kubeConfig: KubeConfig, wanted: string | undefined, source: string): void {
  const listed = listedContexts(kubeConfig);
  if (wanted !== undefined && wanted !== '') {
    checkContextExists(kubeConfig, wanted, source, 'context');
    kubeConfig.setCurrentContext(wanted);
  } else if (!kubeConfig.getContextObject(kubeConfig.currentContext)) {
    throw new InputError(
      'context',
      `the kubeconfig from ${source} has no usable current-context: pass the context input (contexts: ${listed})`,
    );
  }
  const context = kubeConfig.getContextObject(kubeConfig.currentContext);
  if (context && !kubeConfig.getCluster(context.cluster)) {
    throw new InputError(
      'kubeconfig',
      `context "${context.name}" names cluster "${context.cluster}", which the kubeconfig from ${source} does not define: fix the context`,
    );
  }
}

export function loadKubeConfig(
  options: KubeConfigOptions = {},
  environment: KubeConfigEnvironment = defaultEnvironment(),
): LoadedKubeConfig {
  const { kubeConfig, contents, source } = locate(options, environment);
  const secrets = secretsOf(contents);
  selectContext(kubeConfig, options.context, source);
  return { kubeConfig, secrets, source };
}

/** Every user's credentials in the files read, each once (credentials only: see credentials.ts). */
function secretsOf(contents: string[]): string[] {
  return [...new Set(contents.flatMap(masksOf))];
}

export interface LoadedContexts {
  /** One configuration per context asked for, each with that context selected. */
  byContext: Map<string, KubeConfig>;
  /** Every credential of every user in the file (not only the contexts asked for), to mask. */
  secrets: string[];
  source: string;
}

/**
 * One kubeconfig, several contexts (a release across clusters): loaded once, each context checked to exist
 * (naming those that do) and to name a defined cluster, before any cluster is asked anything.
 */
export function loadKubeConfigContexts(
  options: { kubeconfig?: string; kubeConfig?: KubeConfig },
  contexts: { field: string; names: readonly string[] }[],
  environment: KubeConfigEnvironment = defaultEnvironment(),
): LoadedContexts {
  const loaded = options.kubeConfig
    ? { kubeConfig: options.kubeConfig, secrets: [], source: 'the kubeconfig given' }
    : loadWithoutContext(options.kubeconfig, environment);
  const byContext = new Map<string, KubeConfig>();
  for (const { field, names } of contexts) {
    for (const name of names) {
      checkContextExists(loaded.kubeConfig, name, loaded.source, field);
      const one = new KubeConfig();
      one.loadFromOptions({
        clusters: loaded.kubeConfig.clusters,
        users: loaded.kubeConfig.users,
        contexts: loaded.kubeConfig.contexts,
        currentContext: name,
      });
      selectContext(one, name, loaded.source);
      byContext.set(name, one);
    }
  }
  return { byContext, secrets: loaded.secrets, source: loaded.source };
}

function loadWithoutContext(
  kubeconfig: string | undefined,
  environment: KubeConfigEnvironment,
): LoadedKubeConfig {
  const { kubeConfig, contents, source } = locate({ kubeconfig }, environment);
  return { kubeConfig, secrets: secretsOf(contents), source };
}

/** The API server address of the selected context (for messages). */
export function serverOf(kubeConfig: KubeConfig): string {
  return kubeConfig.getCurrentCluster()?.server ?? 'the configured API server';
}
