export {
  createDependenciesFactory,
  type DependenciesFactory,
  type DependenciesFactoryDeps,
} from './dependencies-factory.ts';
export { DependenciesProcessor } from './dependencies-processor.ts';
export type { DependenciesSettings } from './dependencies-settings.ts';
export { countServiceEdges, PARENT_WINDOW_US, type ServiceEdgeSink } from './service-edges.ts';
