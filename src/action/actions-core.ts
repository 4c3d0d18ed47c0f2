// The one door to @actions/core: the action's files import it from here. Its values come from
// actions-core.lean.js, the functions used built into one file by scripts/lean-packages.mjs: the package's
// index imports its OIDC client, @actions/http-client and a whole undici at the top (≈0.7 MB evaluated
// before the first API request), for getIDToken, which a release never calls.
export {
  getInput,
  group,
  info,
  setFailed,
  setOutput,
  setSecret,
  summary,
  warning,
} from './actions-core.lean.js';
