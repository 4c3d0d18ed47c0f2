// The action's entry. Node's compile cache is turned on before the rest of the bundle is loaded (a chunk of
// its own, imported below): a later step on the same runner then skips compiling it, most of the start-up.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { run } = await import('./action/main.js');
await run();
