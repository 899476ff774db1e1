// Worker entry: Node 20 does not apply --import hooks to a .ts worker file.
import { register } from 'tsx/esm/api';

register();
await import('./pack-worker.ts');
