// The one door to yaml and diff: src files import them from here. Their values come from yaml-diff.lean.js,
// the functions used built into one file by scripts/lean-packages.mjs: the packages themselves are 91 small
// files, which cost a process 14.7 MB of RSS to load against 2.1 MB for the one file. Types come from the
// packages themselves.
export { createTwoFilesPatch, parse, parseAllDocuments, stringify } from './yaml-diff.lean.js';
