// Worker entry: Node 20 does not apply --import hooks to a .ts worker file, so this
// registers tsx, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./pack-worker.ts');
