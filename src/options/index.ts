// The single source of truth for the action's inputs and the CLI's flags.
export { OPTION_DEFINITIONS, findOptionDefinition } from './definitions.js';
export type { OptionDefinition } from './definitions.js';
export { parseDuration, parseHeaderMatch, parseRunOptions, parseStageOptions } from './parse.js';
export type { RawOptions } from './parse.js';
export { ignoredInputWarnings } from './ignored.js';
