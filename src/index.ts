// The action's entry: everything else is in run().
import { run } from './action/main.js';

void run();
