// labelSelector and fieldSelector query parameters, parsed as k8s.io/apimachinery/pkg/labels parses them.
import { badRequest } from './status.js';

type Requirement =
  | { key: string; op: 'in' | 'notin' | 'gt' | 'lt'; values: string[] }
  | { key: string; op: 'exists' | '!exists' };

export type Matcher = (labels: Record<string, string>) => boolean;

type Token = 'end' | ')' | ',' | '!' | '==' | '=' | '>' | '<' | '!=' | '(' | 'identifier' | 'in' | 'notin';

const SYMBOLS = ['==', '!=', '=', '!', '(', ')', ',', '>', '<'];

/** The lexer of k8s.io/apimachinery/pkg/labels: identifiers run until a blank or a symbol. */
function tokenize(selector: string): { token: Token; literal: string }[] {
  const out: { token: Token; literal: string }[] = [];
  let i = 0;
  while (i < selector.length) {
    if (/\s/.test(selector[i]!)) {
      i++;
      continue;
    }
    const symbol = SYMBOLS.find((sym) => selector.startsWith(sym, i));
    if (symbol) {
      out.push({ token: symbol as Token, literal: symbol });
      i += symbol.length;
      continue;
    }
    let j = i;
    while (
      j < selector.length &&
      !/\s/.test(selector[j]!) &&
      !SYMBOLS.some((sym) => selector.startsWith(sym, j))
    )
      j++;
    const word = selector.slice(i, j);
    out.push({ token: word === 'in' || word === 'notin' ? word : 'identifier', literal: word });
    i = j;
  }
  out.push({ token: 'end', literal: '' });
  return out;
}

/**
 * The label selector parser of k8s.io/apimachinery/pkg/labels, with its error messages (the server answers
 * them as a 400). In value position `in` and `notin` are plain identifiers, as there.
 */
class SelectorParser {
  private position = 0;
  constructor(private readonly tokens: { token: Token; literal: string }[]) {}

  private lookahead(values: boolean) {
    const t = this.tokens[this.position]!;
    return values && (t.token === 'in' || t.token === 'notin') ? { ...t, token: 'identifier' as Token } : t;
  }

  private consume(values: boolean) {
    const t = this.lookahead(values);
    this.position++;
    return t;
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const next = this.lookahead(true);
      if (next.token === 'end') return requirements;
      if (next.token !== 'identifier' && next.token !== '!') {
        throw new Error(`found '${next.literal}', expected: !, identifier, or 'end of string'`);
      }
      requirements.push(this.requirement());
      const after = this.consume(true);
      if (after.token === 'end') return requirements;
      if (after.token !== ',') throw new Error(`found '${after.literal}', expected: ',' or 'end of string'`);
      const following = this.lookahead(true);
      if (following.token !== 'identifier' && following.token !== '!') {
        throw new Error(`found '${following.literal}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): Requirement {
    try {
      let t = this.consume(true);
      const negated = t.token === '!';
      if (negated) t = this.consume(true);
      if (t.token !== 'identifier') throw new Error(`found '${t.literal}', expected: identifier`);
      const key = t.literal;
      const next = this.lookahead(true).token;
      if (negated || next === 'end' || next === ',') return { key, op: negated ? '!exists' : 'exists' };
      const op = this.consume(false);
      switch (op.token) {
        case 'in':
        case 'notin':
          return { key, op: op.token, values: this.values() };
        case '=':
        case '==':
        case '!=':
          return { key, op: op.token === '!=' ? 'notin' : 'in', values: [this.exactValue()] };
        case '>':
        case '<':
          return { key, op: op.token === '>' ? 'gt' : 'lt', values: [this.exactValue()] };
        default:
          throw new Error(`found '${op.literal}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } catch (e) {
      throw new Error(`unable to parse requirement: ${(e as Error).message}`);
    }
  }

  private values(): string[] {
    const open = this.consume(true);
    if (open.token !== '(') throw new Error(`found '${open.literal}' expected: '('`);
    const next = this.lookahead(true);
    if (next.token === ')') {
      this.consume(true);
      return [''];
    }
    if (next.token !== 'identifier' && next.token !== ',') {
      throw new Error(`found '${next.literal}', expected: ',', ')' or identifier`);
    }
    const values = this.identifiers();
    const close = this.consume(true);
    if (close.token !== ')') throw new Error(`found '${close.literal}', expected: ')'`);
    return values;
  }

  private identifiers(): string[] {
    const values: string[] = [];
    for (;;) {
      const t = this.consume(true);
      if (t.token === 'identifier') {
        values.push(t.literal);
        const next = this.lookahead(true);
        if (next.token === ',') continue;
        if (next.token === ')') return values;
        throw new Error(`found '${next.literal}', expected: ',' or ')'`);
      }
      if (t.token !== ',') throw new Error(`found '${t.literal}', expected: ',', or identifier`);
      if (values.length === 0) values.push('');
      const next = this.lookahead(true);
      if (next.token === ')') {
        values.push('');
        return values;
      }
      if (next.token === ',') {
        this.consume(true);
        values.push('');
      }
    }
  }

  private exactValue(): string {
    const next = this.lookahead(true);
    if (next.token === 'end' || next.token === ',') return '';
    const t = this.consume(true);
    if (t.token === 'identifier') return t.literal;
    throw new Error(`found '${t.literal}', expected: identifier`);
  }
}

/** Parses a labelSelector query parameter; a 400 with the parser's message when it does not parse. */
function parseSelector(selector: string): Requirement[] {
  try {
    return new SelectorParser(tokenize(selector)).parse();
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

/** Splits a fieldSelector at its top-level commas. */
function splitTopLevel(selector: string): string[] {
  return selector
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case 'in':
      return has && r.values.includes(labels[r.key]!);
    case 'notin':
      return !has || !r.values.includes(labels[r.key]!);
    case 'gt':
      return has && Number(labels[r.key]) > Number(r.values[0]);
    case 'lt':
      return has && Number(labels[r.key]) < Number(r.values[0]);
  }
}

/** Parsed selectors by their text: the clients of a test or a bench ask the same few again and again. */
const parsedSelectors = new Map<string, Requirement[]>();
const PARSED_SELECTORS_KEPT = 1000;

export function labelMatcher(selector: string | undefined): Matcher {
  if (!selector) return () => true;
  let requirements = parsedSelectors.get(selector);
  if (!requirements) {
    requirements = parseSelector(selector);
    if (parsedSelectors.size >= PARSED_SELECTORS_KEPT) parsedSelectors.clear();
    parsedSelectors.set(selector, requirements);
  }
  const parsed = requirements;
  return (labels) => parsed.every((r) => matches(r, labels));
}

/** The field selectors kube-apiserver supports beyond metadata.name and metadata.namespace, by kind. */
const FIELD_LABELS: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Namespace: ['status.phase'],
  ReplicaSet: ['status.replicas'],
};

function fieldValue(obj: Record<string, unknown>, path: string): string {
  let node: unknown = obj;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node === undefined || node === null ? '' : String(node);
}

/** fieldSelector with =, == and != on the fields the real server supports for the kind. */
export function fieldMatcher(
  selector: string | undefined,
  kind: string,
): (obj: Record<string, unknown>) => boolean {
  if (!selector) return () => true;
  const supported = ['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[kind] ?? [])];
  const checks = splitTopLevel(selector).map((text) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
    if (!m || !supported.includes(m[1]!)) throw badRequest(`field label not supported: ${m ? m[1] : text}`);
    const [, field, op, value] = m;
    return (obj: Record<string, unknown>) => (fieldValue(obj, field!) === value!.trim()) !== (op === '!=');
  });
  return (obj) => checks.every((c) => c(obj));
}

/** matchLabels/matchExpressions of a LabelSelector object, as Deployments and ReplicaSets carry. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export function selectorObjectMatcher(sel: LabelSelectorObject | undefined): Matcher {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {}))
    requirements.push({ key, op: 'in', values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const)[e.operator];
    requirements.push(
      op === 'in' || op === 'notin' ? { key: e.key, op, values: e.values ?? [] } : { key: e.key, op },
    );
  }
  return (labels) => requirements.every((r) => matches(r, labels));
}
