// Worker entry: Node 20 does not apply --import hooks to a .ts worker file, so this
// loads the TypeScript worker through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./pack-worker.ts', import.meta.url);
