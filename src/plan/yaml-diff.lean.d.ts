// Types of src/plan/yaml-diff.lean.js (built by scripts/lean-packages.mjs from yaml and diff): the packages'
// own declarations for the parts that file holds.
export { parse, parseAllDocuments, stringify } from 'yaml';
export { createTwoFilesPatch } from 'diff';
