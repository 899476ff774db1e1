/* jaeger-client's samplers (a devDependency without type declarations), as these tests use them. */

declare module 'jaeger-client/dist/src/samplers/probabilistic_sampler.js' {
  const probabilisticSampler: { default: new (samplingRate: number) => unknown };
  export default probabilisticSampler;
}
