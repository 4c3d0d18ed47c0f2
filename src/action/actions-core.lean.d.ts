// Types of src/action/actions-core.lean.js (built by scripts/lean-packages.mjs from @actions/core): the
// package's own declarations for the parts that file holds.
export { getInput, group, info, setFailed, setOutput, setSecret, summary, warning } from '@actions/core';
